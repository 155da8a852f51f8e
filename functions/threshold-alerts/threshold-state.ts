/**
 * Threshold state, one item per host: every series of the host (its episode, the short
 * window of recent outcomes, recent transitions) and when the host was last seen.
 *
 *   THRESHOLD#<host> / HOST
 *        series: { "<metric>[:<volume>][@<module>]": SeriesState }, seenAt, silentSince?,
 *        windows: { "<metric>@<module>": WindowTally } (business metrics' open percentile
 *        windows, percentile-window.ts),
 *        version (optimistic writes);
 *        gsi1pk THRESHOLD-SILENCE#<shard of host>, gsi1sk "<silence due ISO>#<host>" while
 *        the host is not yet known silent: the sweep finds hosts gone quiet on the index.
 *
 * Cost: one GetItem per sample event (all datapoints of a host in one read) and a PutItem
 * only when a series changed (episodes, window changes: see episode-evaluation.ts) or the
 * host's heartbeat is due (`seenAt` is advanced at most every `heartbeatMinutes`, so a host
 * in steady state costs one write per heartbeat, not one per sample). The silence deadline is
 * therefore `seenAt + silentAfter + heartbeat`: a host is declared silent late by at most one
 * heartbeat, never early.
 *
 *   DUE#threshold-silence / MARKER   when the earliest silence deadline on the index falls due
 *        (`functions/shared/due-marker.ts`): a save lowers it after its write; the every-minute
 *        sweep reads it and queries the shards only when something can be due (a quiet minute
 *        costs one GetItem, not one query per shard).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { queryDueOnIndex, stateIndex } from '../shared/dynamo-access.ts';
import { getItem, memoryVersionedItems, putVersioned, type MemoryVersionedItems } from '../shared/versioned-items.ts';
import { dynamoDueMarker, earliestOf, earliestOnIndex, isIdle } from '../shared/due-marker.ts';
import { HOUR_MS } from '../shared/time.ts';
import { shardOf, SHARDS } from '../shared/shards.ts';
import type { SeriesState } from './episode-evaluation.ts';
import type { WindowTally } from './percentile-window.ts';

export interface HostState {
  readonly host: string;
  /** 0 for a host never stored. */
  readonly version: number;
  readonly seenAt?: string;
  readonly silentSince?: string;
  readonly series: Readonly<Record<string, SeriesState>>;
  /** Open percentile windows of business metrics (absent when none). */
  readonly windows?: Readonly<Record<string, WindowTally>>;
}

export interface ThresholdStore {
  get(host: string): Promise<HostState | undefined>;
  /** Writes if the stored version is still `state.version - 1`; `silenceDueAt` undefined drops the host from the silence index. */
  save(state: HostState, silenceDueAt: string | undefined): Promise<boolean>;
  /** Hosts whose silence deadline passed before `now`. */
  silentBefore(now: Date): Promise<HostState[]>;
}

const partition = (host: string) => `THRESHOLD#${host}`;
const SORT_KEY = 'HOST';
const silencePartition = (host: string) => `THRESHOLD-SILENCE#${shardOf(host)}`;

function fromItem(item: Record<string, unknown>): HostState {
  return {
    host: String(item.host),
    version: Number(item.version),
    ...(typeof item.seenAt === 'string' ? { seenAt: item.seenAt } : {}),
    ...(typeof item.silentSince === 'string' ? { silentSince: item.silentSince } : {}),
    series: (item.series as Record<string, SeriesState> | undefined) ?? {},
    ...(item.windows !== undefined ? { windows: item.windows as Record<string, WindowTally> } : {}),
  };
}

/** Even with nothing due, the sweep queries the shards this often (bounds how late a crashed save's host is found). */
const SILENCE_RECHECK_MS = HOUR_MS;

export function dynamoThresholdStore(client: DynamoDBDocumentClient, tableName: string): ThresholdStore {
  const marker = dynamoDueMarker(client, tableName, 'threshold-silence', SILENCE_RECHECK_MS);
  return {
    async get(host) {
      const item = await getItem(client, tableName, partition(host), SORT_KEY);
      return item ? fromItem(item) : undefined;
    },
    async save(state, silenceDueAt) {
      const item: Record<string, unknown> = {
        [stateTable.partitionKey]: partition(state.host),
        [stateTable.sortKey]: SORT_KEY,
        host: state.host,
        series: state.series,
        ...(state.windows && Object.keys(state.windows).length > 0 ? { windows: state.windows } : {}),
        ...(state.seenAt ? { seenAt: state.seenAt } : {}),
        ...(state.silentSince ? { silentSince: state.silentSince } : {}),
        ...(silenceDueAt ? { [stateIndex.partitionKey]: silencePartition(state.host), [stateIndex.sortKey]: `${silenceDueAt}#${state.host}` } : {}),
      };
      const saved = await putVersioned(client, tableName, item, state.version);
      if (saved && silenceDueAt) await marker.lower(silenceDueAt);
      return saved;
    },
    async silentBefore(now) {
      const reading = await marker.read();
      if (isIdle(reading, now)) return [];
      // The shards side by side: a due sweep costs the time of one shard's queries, not of all of them.
      const shards = await Promise.all(
        Array.from({ length: SHARDS }, async (_, shard) => {
          const due = (await queryDueOnIndex(client, tableName, `THRESHOLD-SILENCE#${shard}`, now)).map(fromItem);
          // Hosts due now keep the marker due (until the flow marks them silent); else the shard's first deadline ahead.
          return { due, next: due.length > 0 ? now.toISOString() : await earliestOnIndex(client, tableName, `THRESHOLD-SILENCE#${shard}`) };
        }),
      );
      const hosts = shards.flatMap((s) => s.due);
      const next = shards.map((s) => s.next);
      await marker.settle(reading, earliestOf(next), now);
      return hosts;
    },
  };
}

/** The same store in memory (unit tests, the bench's baseline). `writes` counts saves that landed. */
export function memoryThresholdStore(): ThresholdStore & MemoryVersionedItems<HostState> {
  const items = memoryVersionedItems((state: HostState) => state.host, (state) => state.version);
  return Object.assign(items, { silentBefore: items.dueBefore });
}
