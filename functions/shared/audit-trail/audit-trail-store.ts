/**
 * The audit trail in the state table: append-only, hash-chained, idempotent on the event id,
 * and safe if the function dies between any two writes (dynalite and this design use no
 * transactions; each step is a single-item conditional write that a redelivery can resume).
 *
 * Items (index and TTL attribute names as `infra/state-table.ts` declares them):
 *   AUDIT#<eventId> / CLAIM          which chain and seq the event went to; state claimed → linked
 *   CHAIN#<chainId> / LINK#<seq>     the record, its previous hash and its hash;
 *        on the index: partition AUDITDAY#<day the operation happened>, sort key <occurredAt>#<eventId>
 *        (search and the behaviour analysis read the trail by time through it)
 *   HEAD#<chainId>  / HEAD           last seq and hash of the chain (may lag one link after a crash);
 *        on the index: partition CHAINS#<arrival day>, sort key <chainId> (the chains of a day)
 * Every item carries the TTL attribute the writer gives (`trailRecordExpiry`).
 * Chains are per source and arrival day, sharded by event id so concurrent writers rarely
 * contend for the same head.
 */
import { TransientError } from '../../../schemas/errors.ts';
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryPages, stateIndex, TTL_ATTRIBUTE } from '../dynamo-access.ts';
import { MINUTE_MS, retentionExpiry, retentionWindowStart, utcDay, utcDaysBetween } from '../time.ts';
import type { AuditRecord } from './audit-record.ts';
import { nextLink, type ChainHead, type ChainLink } from './hash-chain.ts';

export const CHAIN_SHARDS = 8;

/**
 * When a record of the trail may leave the hot table (epoch seconds): kept the policy's
 * retention (guide 6.1: at least six months), plus a day so that a chain never expires while
 * it is being verified; the daily archive has long since copied it to write-once storage.
 */
export const trailRecordExpiry = (recordedAt: Date, retentionDays: number): number => retentionExpiry(recordedAt, retentionDays + 1);

/**
 * The oldest arrival day whose chains are certainly whole in the hot table at `now`: every
 * record of it was recorded at most `retentionDays` + 1 days ago, so none has expired yet
 * (`trailRecordExpiry`). Older chains may be partly gone by TTL, which is not tampering.
 */
export const oldestIntactTrailDay = (now: Date, retentionDays: number): string => retentionWindowStart(now, retentionDays);

/** The TTL attribute of an item, when the writer gives an expiry. */
const ttl = (expiresAt: number | undefined) => (expiresAt === undefined ? {} : { [TTL_ATTRIBUTE]: expiresAt });
/** How long a claim is honoured before another delivery may take over a crashed append. */
const CLAIM_LEASE_MS = MINUTE_MS;
const MAX_LINK_ATTEMPTS = 50;

export type AppendOutcome = 'appended' | 'duplicate';

export class AppendInProgressError extends TransientError {}

export interface AuditTrailStore {
  /** `expiresAt` (epoch seconds): when the hot copy may go; TTL removes it on AWS after the archive has it. */
  append(record: AuditRecord, now: Date, expiresAt?: number): Promise<AppendOutcome>;
  get(eventId: string): Promise<ChainLink<AuditRecord> | undefined>;
  readChain(chainId: string): Promise<ChainLink<AuditRecord>[]>;
  readHead(chainId: string): Promise<ChainHead | undefined>;
  /** Chain ids with a head on the given arrival day (YYYY-MM-DD). */
  chainsOfDay(day: string): Promise<string[]>;
  /** Records whose operation happened on the given day, in time order (eventually consistent index). */
  recordsOccurredOn(day: string): Promise<AuditRecord[]>;
  /** Records whose operation happened in [from, to] (ISO times), read by time range from the by-day index. */
  recordsOccurredBetween(from: string, to: string): Promise<AuditRecord[]>;
}

export function chainIdFor(record: Pick<AuditRecord, 'source' | 'eventId'>, arrival: Date): string {
  const shard = createHash('sha256').update(record.eventId).digest().readUInt8(0) % CHAIN_SHARDS;
  return `${record.source}/${utcDay(arrival)}/${shard}`;
}

const seqKey = (seq: number) => `LINK#${String(seq).padStart(12, '0')}`;

interface Claim {
  chainId: string;
  state: 'claimed' | 'linked';
  claimedAt: string;
  seq?: number;
  /** Set when this delivery took over the claim of one that died mid-append. */
  takenOver?: boolean;
}

export function dynamoAuditTrailStore(client: DynamoDBDocumentClient, tableName: string): AuditTrailStore {
  const knownHeads = new Map<string, ChainHead>();

  async function getItem<T>(pk: string, sk: string): Promise<T | undefined> {
    const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item as T | undefined;
  }

  async function readHead(chainId: string): Promise<ChainHead | undefined> {
    const item = await getItem<{ seq: number; hash: string }>(`HEAD#${chainId}`, 'HEAD');
    return item ? { chainId, seq: item.seq, hash: item.hash } : undefined;
  }

  async function readLink(chainId: string, seq: number): Promise<ChainLink<AuditRecord> | undefined> {
    const item = await getItem<StoredLink>(`CHAIN#${chainId}`, seqKey(seq));
    return item ? fromStored(item) : undefined;
  }

  /** Moves the head forward to `link` unless it is already there or beyond. */
  async function advanceHead(link: ChainLink<AuditRecord>, expiresAt: number | undefined): Promise<void> {
    await conditionally(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...chainHeadItem({ chainId: link.chainId, seq: link.seq, hash: link.hash }), ...ttl(expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk) OR #seq < :seq',
          ExpressionAttributeNames: { '#seq': 'seq' },
          ExpressionAttributeValues: { ':seq': link.seq },
        }),
      ),
    );
  }

  async function claim(record: AuditRecord, now: Date, expiresAt: number | undefined): Promise<Claim | 'duplicate'> {
    const fresh: Claim = { chainId: chainIdFor(record, now), state: 'claimed', claimedAt: now.toISOString() };
    const claimed = await conditionally(() =>
      client.send(new PutCommand({ TableName: tableName, Item: { pk: `AUDIT#${record.eventId}`, sk: 'CLAIM', ...fresh, ...ttl(expiresAt) }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    if (claimed) return fresh;
    const existing = (await getItem<Claim>(`AUDIT#${record.eventId}`, 'CLAIM')) as Claim;
    if (existing.state === 'linked') return 'duplicate';
    if (now.getTime() - Date.parse(existing.claimedAt) < CLAIM_LEASE_MS) {
      throw new AppendInProgressError(`event ${record.eventId} is being recorded by another delivery; retry later`);
    }
    // The earlier delivery died mid-append: take over its claim (conditional on its timestamp).
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `AUDIT#${record.eventId}`, sk: 'CLAIM' },
        UpdateExpression: 'SET claimedAt = :now',
        ConditionExpression: 'claimedAt = :then AND #state = :claimed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':then': existing.claimedAt, ':claimed': 'claimed' },
      }),
    );
    return { ...existing, takenOver: true };
  }

  async function linkAsHead(chainId: string, seq: number): Promise<ChainHead> {
    const taken = (await readLink(chainId, seq)) as ChainLink<AuditRecord>;
    return { chainId, seq: taken.seq, hash: taken.hash };
  }

  /** The link of `eventId` among the links written since `since` (newest first), if any. */
  async function findRecentLink(chainId: string, eventId: string, since: string): Promise<ChainLink<AuditRecord> | undefined> {
    const newestFirst = { TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :link)', ExpressionAttributeValues: { ':pk': `CHAIN#${chainId}`, ':link': 'LINK#' }, ScanIndexForward: false, ConsistentRead: true, Limit: 100 };
    for await (const page of queryPages(client, newestFirst)) {
      for (const item of page as unknown as StoredLink[]) {
        if (item.record.eventId === eventId) return fromStored(item);
        if (item.record.recordedAt < since) return undefined;
      }
    }
    return undefined;
  }

  async function markLinked(eventId: string, seq: number): Promise<void> {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `AUDIT#${eventId}`, sk: 'CLAIM' },
        UpdateExpression: 'SET #state = :linked, seq = :seq',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':linked': 'linked', ':seq': seq },
      }),
    );
  }

  const queryIndex = (partition: string) =>
    queryAll(client, { TableName: tableName, IndexName: stateIndex.indexName, KeyConditionExpression: '#ipk = :p', ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey }, ExpressionAttributeValues: { ':p': partition } });

  return {
    async append(record, now, expiresAt) {
      const claimed = await claim(record, now, expiresAt);
      if (claimed === 'duplicate') return 'duplicate';
      const { chainId } = claimed;
      if (claimed.takenOver) {
        // The delivery that died may have linked the record before it did: look for it.
        const there = await findRecentLink(chainId, record.eventId, claimed.claimedAt);
        if (there) {
          await advanceHead(there, expiresAt);
          await markLinked(record.eventId, there.seq);
          return 'appended';
        }
      }
      // Start from the head this process last wrote (saves a read); a stale guess only costs a retry.
      let head = knownHeads.get(chainId) ?? (await readHead(chainId));
      for (let attempt = 0; attempt < MAX_LINK_ATTEMPTS; attempt++) {
        const link = nextLink(chainId, head, record);
        const linked = await conditionally(() =>
          client.send(new PutCommand({ TableName: tableName, Item: { ...chainLinkItem(link), ...ttl(expiresAt) }, ConditionExpression: 'attribute_not_exists(pk)' })),
        );
        if (!linked) {
          // Another writer took the slot. The stored head is usually current; if it lags
          // (its writer died between link and head), follow the chain one link at a time.
          const stored = await readHead(chainId);
          head = stored && stored.seq >= link.seq ? stored : await linkAsHead(chainId, link.seq);
          continue;
        }
        knownHeads.set(chainId, { chainId, seq: link.seq, hash: link.hash });
        await advanceHead(link, expiresAt);
        await markLinked(record.eventId, link.seq);
        return 'appended';
      }
      throw new AppendInProgressError(`chain ${chainId} stayed contended for ${MAX_LINK_ATTEMPTS} attempts; retry later`);
    },

    async get(eventId) {
      const c = await getItem<Claim>(`AUDIT#${eventId}`, 'CLAIM');
      if (!c || c.state !== 'linked' || c.seq === undefined) return undefined;
      return readLink(c.chainId, c.seq);
    },

    async readChain(chainId) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :link)',
        ExpressionAttributeValues: { ':pk': `CHAIN#${chainId}`, ':link': 'LINK#' },
        ConsistentRead: true,
      });
      return items.map((item) => fromStored(item as unknown as StoredLink));
    },

    readHead,

    async chainsOfDay(day) {
      return (await queryIndex(`CHAINS#${day}`)).map((item) => String(item[stateIndex.sortKey])).sort();
    },

    async recordsOccurredOn(day) {
      return (await queryIndex(`AUDITDAY#${day}`)).map((item) => (item as unknown as StoredLink).record);
    },

    async recordsOccurredBetween(from, to) {
      const [start, end] = [Date.parse(from), Date.parse(to)];
      const records: AuditRecord[] = [];
      for (const day of utcDaysBetween(from, to)) {
        // The key starts with the event's own time text (with or without milliseconds): bound by the second, then filter exactly.
        const items = await queryAll(client, {
          TableName: tableName,
          IndexName: stateIndex.indexName,
          KeyConditionExpression: '#ipk = :p AND #isk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey },
          ExpressionAttributeValues: { ':p': `AUDITDAY#${day}`, ':from': from.slice(0, 19), ':to': `${to.slice(0, 19)}\uffff` },
        });
        for (const item of items) {
          const record = (item as unknown as StoredLink).record;
          const at = Date.parse(record.occurredAt);
          if (at >= start && at <= end) records.push(record);
        }
      }
      return records;
    },
  };
}

interface StoredLink {
  pk: string;
  sk: string;
  chainId: string;
  seq: number;
  prevHash: string;
  hash: string;
  record: AuditRecord;
}

function chainDay(chainId: string): string {
  return chainId.split('/').at(-2) ?? 'unknown';
}

/** A link as the store keeps it (without its TTL attribute); exported for the benches that load a trail in bulk. */
export function chainLinkItem(link: ChainLink<AuditRecord>): Record<string, unknown> {
  return {
    pk: `CHAIN#${link.chainId}`,
    sk: seqKey(link.seq),
    chainId: link.chainId,
    seq: link.seq,
    prevHash: link.prevHash,
    hash: link.hash,
    record: link.record,
    // Time-range reads for search: by the day the operation happened, as the event spells its time.
    [stateIndex.partitionKey]: `AUDITDAY#${link.record.occurredAt.slice(0, 10)}`,
    [stateIndex.sortKey]: `${link.record.occurredAt}#${link.record.eventId}`,
  };
}

/** A chain's head as the store keeps it (without its TTL attribute); exported for the benches. */
export function chainHeadItem(head: ChainHead): Record<string, unknown> {
  return { pk: `HEAD#${head.chainId}`, sk: 'HEAD', seq: head.seq, hash: head.hash, [stateIndex.partitionKey]: `CHAINS#${chainDay(head.chainId)}`, [stateIndex.sortKey]: head.chainId };
}

function fromStored(item: StoredLink): ChainLink<AuditRecord> {
  return { chainId: item.chainId, seq: item.seq, prevHash: item.prevHash, hash: item.hash, record: item.record };
}

/**
 * The same trail in memory, for unit tests and benches of what reads it: append-only,
 * hash-chained per source and arrival day like the table, idempotent on the event id, and
 * read through the same queries (no crash recovery to model: nothing is left half-written).
 */
export function memoryAuditTrailStore(): AuditTrailStore {
  const chains = new Map<string, ChainLink<AuditRecord>[]>();
  const byEvent = new Map<string, ChainLink<AuditRecord>>();
  const copy = <T>(value: T): T => structuredClone(value);
  const headOf = (chainId: string): ChainHead | undefined => {
    const last = chains.get(chainId)?.at(-1);
    return last ? { chainId, seq: last.seq, hash: last.hash } : undefined;
  };
  // The by-day index's order: the event's own time text, then its id.
  const byOccurrence = (a: AuditRecord, b: AuditRecord) => (`${a.occurredAt}#${a.eventId}` < `${b.occurredAt}#${b.eventId}` ? -1 : 1);
  const occurredOn = (day: string) => [...byEvent.values()].map((l) => l.record).filter((r) => r.occurredAt.slice(0, 10) === day).sort(byOccurrence);
  return {
    async append(record, now) {
      if (byEvent.has(record.eventId)) return 'duplicate';
      const chainId = chainIdFor(record, now);
      const link = nextLink(chainId, headOf(chainId), copy(record));
      chains.set(chainId, [...(chains.get(chainId) ?? []), link]);
      byEvent.set(record.eventId, link);
      return 'appended';
    },
    async get(eventId) {
      const link = byEvent.get(eventId);
      return link ? copy(link) : undefined;
    },
    async readChain(chainId) {
      return copy(chains.get(chainId) ?? []);
    },
    async readHead(chainId) {
      return headOf(chainId);
    },
    async chainsOfDay(day) {
      return [...chains.keys()].filter((chainId) => chainDay(chainId) === day).sort();
    },
    async recordsOccurredOn(day) {
      return copy(occurredOn(day));
    },
    async recordsOccurredBetween(from, to) {
      const [start, end] = [Date.parse(from), Date.parse(to)];
      return copy(utcDaysBetween(from, to).flatMap(occurredOn).filter((r) => Date.parse(r.occurredAt) >= start && Date.parse(r.occurredAt) <= end));
    },
  };
}
