/**
 * The audit trail in the state table, in sealed blocks: records are written as they come,
 * idempotently by event id, up to 25 per BatchWriteItem, and a block seals each batch (the
 * ordered event ids and record hashes, chained to the previous block of its chain). One head
 * write per batch, not three writes per record. No transactions (dynalite has none): a seal
 * intent written before the records makes every step resumable, so a crash anywhere between
 * the record writes and the seal loses or doubles nothing — the redelivery, the next batch
 * that meets the orphaned records, or the sweep (`sealOrphans`, run with the hourly anchors)
 * seals them.
 *
 * Items (index and TTL attribute names as `infra/state-table.ts` declares them):
 *   AUDIT#<eventId>   / RECORD          the record, the chain that seals it and the writer's batch id;
 *        on the index: partition AUDITDAY#<day the operation happened>, sort key <occurredAt>#<eventId>
 *        (search and the behaviour analysis read the trail by time through it)
 *   SEALS#<arrival day> / BATCH#<batchId> a seal intent: per chain, the entries (event id, record hash)
 *        the batch will seal; the writer's lease; deleted once every block of the batch is sealed
 *   CHAIN#<chainId>   / BLOCK#<seq>     a sealed block: its entries, its previous hash and its hash
 *   HEAD#<chainId>    / HEAD            last seq and hash of the chain (lags one block while a seal is in progress);
 *        on the index: partition CHAINS#<arrival day>, sort key <chainId> (the chains of a day)
 * Every item carries the TTL attribute the writer gives (`trailRecordExpiry`).
 * Chains are per source and arrival day, sharded 8 ways by the batch's first event id so that
 * concurrent batches rarely contend for the same head.
 */
import { TransientError } from '../../../schemas/errors.ts';
import { createHash, randomUUID } from 'node:crypto';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type BatchGetCommandOutput, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryPages, stateIndex, TTL_ATTRIBUTE } from '../dynamo-access.ts';
import { MINUTE_MS, retentionExpiry, retentionWindowStart, utcDay, utcDayBefore, utcDaysBetween } from '../time.ts';
import type { AuditRecord } from './audit-record.ts';
import { recordHash, type AuditBlock, type BlockBody, type SealedEntry } from './audit-block.ts';
import { nextLink, type ChainHead } from './hash-chain.ts';

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
/** How long a writer's seal intent is honoured before another delivery or the sweep may take over a crashed batch. */
export const SEAL_LEASE_MS = MINUTE_MS;
const MAX_SEAL_ATTEMPTS = 50;
/** BatchWriteItem takes at most 25 items, BatchGetItem 100 keys. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;

/** `in-progress`: the event is being recorded by another delivery whose seal is not done yet; retry later. */
export type AppendOutcome = 'appended' | 'duplicate' | 'in-progress';

export class AppendInProgressError extends TransientError {}

/** A record as the table holds it: the record and the chain whose blocks seal it. */
export interface StoredRecord {
  readonly chainId: string;
  readonly batchId: string;
  readonly record: AuditRecord;
}

/** The audit records of stored ones, for a reader that does not need their chains. */
export const recordsOf = (stored: readonly StoredRecord[]): AuditRecord[] => stored.map((s) => s.record);

/** A writer's promise to seal, per chain, the entries of its batch (see the header). */
export interface SealIntent {
  readonly batchId: string;
  readonly day: string;
  readonly createdAt: string;
  readonly leaseUntil: string;
  readonly groups: readonly { readonly chainId: string; readonly entries: readonly SealedEntry[] }[];
}

export interface AuditTrailStore {
  /**
   * Records a batch (any size; written 25 per request), idempotent on the event id; one
   * outcome per record, in order. `expiresAt` (epoch seconds): when the hot copy may go.
   */
  appendBatch(records: readonly AuditRecord[], now: Date, expiresAt?: number): Promise<AppendOutcome[]>;
  /** One record: `appendBatch` of one; throws AppendInProgressError while another delivery is still sealing it. */
  append(record: AuditRecord, now: Date, expiresAt?: number): Promise<Exclude<AppendOutcome, 'in-progress'>>;
  /** Seals the batches whose writer died before sealing (their lease over); returns how many it finished. */
  sealOrphans(now: Date): Promise<number>;
  get(eventId: string): Promise<StoredRecord | undefined>;
  /** The records the table holds for these event ids. */
  readRecords(eventIds: readonly string[]): Promise<Map<string, StoredRecord>>;
  /** The sealed blocks of a chain, in seq order. */
  readChain(chainId: string): Promise<AuditBlock[]>;
  readHead(chainId: string): Promise<ChainHead | undefined>;
  /** Seal intents still open for an arrival day (batches being sealed, or orphaned by a crash). */
  openSeals(day: string): Promise<SealIntent[]>;
  /** Chain ids with a head on the given arrival day (YYYY-MM-DD). */
  chainsOfDay(day: string): Promise<string[]>;
  /**
   * Records whose operation happened on the given day, in time order (eventually consistent
   * index), with the chain each record item names (for verify: records nobody sealed); a reader
   * that wants the records alone takes `recordsOf` of them.
   */
  storedRecordsOccurredOn(day: string): Promise<StoredRecord[]>;
  /** Records whose operation happened in [from, to] (ISO times), read by time range from the by-day index. */
  recordsOccurredBetween(from: string, to: string): Promise<AuditRecord[]>;
}

/** The chain a batch's records of one source go to: per source and arrival day, sharded by the first event id. */
export function chainIdFor(record: Pick<AuditRecord, 'source' | 'eventId'>, arrival: Date): string {
  const shard = createHash('sha256').update(record.eventId).digest().readUInt8(0) % CHAIN_SHARDS;
  return `${record.source}/${utcDay(arrival)}/${shard}`;
}

const seqKey = (seq: number) => `BLOCK#${String(seq).padStart(12, '0')}`;
const recordKey = (eventId: string) => ({ pk: `AUDIT#${eventId}`, sk: 'RECORD' });
const intentKey = (day: string, batchId: string) => ({ pk: `SEALS#${day}`, sk: `BATCH#${batchId}` });

/** Records of a batch grouped by source, each group with the chain it goes to, in arrival order. */
function planGroups(records: readonly AuditRecord[], now: Date): { chainId: string; records: AuditRecord[] }[] {
  const bySource = new Map<string, AuditRecord[]>();
  for (const r of records) {
    const group = bySource.get(r.source);
    if (group) group.push(r);
    else bySource.set(r.source, [r]);
  }
  return [...bySource.values()].map((group) => ({ chainId: chainIdFor(group[0] as AuditRecord, now), records: group }));
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

  async function readBlock(chainId: string, seq: number): Promise<AuditBlock | undefined> {
    const item = await getItem<StoredBlock>(`CHAIN#${chainId}`, seqKey(seq));
    return item ? fromStored(item) : undefined;
  }

  /** BatchGetItem, 100 keys a request, unprocessed keys retried. */
  async function batchGet(keys: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH) {
      let pending: { pk: string; sk: string }[] | undefined = keys.slice(i, i + READ_BATCH);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > 0) await pause(round);
        const out: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        items.push(...((out.Responses?.[tableName] ?? []) as Record<string, unknown>[]));
        pending = out.UnprocessedKeys?.[tableName]?.Keys as { pk: string; sk: string }[] | undefined;
      }
    }
    return items;
  }

  /** BatchWriteItem puts, 25 items a request, unprocessed items retried. */
  async function batchPut(items: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < items.length; i += WRITE_BATCH) {
      let pending: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = items.slice(i, i + WRITE_BATCH).map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > 0) await pause(round);
        const out: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = out.UnprocessedItems?.[tableName] as typeof pending;
      }
    }
  }

  async function readRecords(eventIds: readonly string[]): Promise<Map<string, StoredRecord>> {
    const items = await batchGet([...new Set(eventIds)].map(recordKey));
    return new Map(items.map((item) => [(item as unknown as StoredRecordItem).record.eventId, toStoredRecord(item as unknown as StoredRecordItem)]));
  }

  /** The block a batch already sealed in this chain since `since` (a takeover must not seal twice), if any. */
  async function findSealedBlock(chainId: string, batchId: string, since: string): Promise<AuditBlock | undefined> {
    const newestFirst = { TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)', ExpressionAttributeValues: { ':pk': `CHAIN#${chainId}`, ':b': 'BLOCK#' }, ScanIndexForward: false, ConsistentRead: true, Limit: 50 };
    for await (const page of queryPages(client, newestFirst)) {
      for (const item of page as unknown as StoredBlock[]) {
        if (item.record.batchId === batchId) return fromStored(item);
        if (item.record.sealedAt < since) return undefined;
      }
    }
    return undefined;
  }

  /** Moves the head forward to `block` unless it is already there or beyond. */
  async function advanceHead(block: AuditBlock, expiresAt: number | undefined): Promise<void> {
    knownHeads.set(block.chainId, { chainId: block.chainId, seq: block.seq, hash: block.hash });
    await conditionally(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...chainHeadItem({ chainId: block.chainId, seq: block.seq, hash: block.hash }), ...ttl(expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk) OR #seq < :seq',
          ExpressionAttributeNames: { '#seq': 'seq' },
          ExpressionAttributeValues: { ':seq': block.seq },
        }),
      ),
    );
  }

  /** Seals one chain's entries of a batch as the chain's next block; returns the block (the head is moved by the caller). */
  async function sealGroup(chainId: string, body: BlockBody, expiresAt: number | undefined): Promise<AuditBlock> {
    let head = knownHeads.get(chainId) ?? (await readHead(chainId));
    for (let attempt = 0; attempt < MAX_SEAL_ATTEMPTS; attempt++) {
      const block = nextLink(chainId, head, body);
      const sealed = await conditionally(() =>
        client.send(new PutCommand({ TableName: tableName, Item: { ...blockItem(block), ...ttl(expiresAt) }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (sealed) return block;
      // Another batch took the slot (or a crashed seal left the head one block behind): follow the chain.
      const taken = (await readBlock(chainId, block.seq)) as AuditBlock;
      if (taken.record.batchId === body.batchId) return taken;
      const stored = await readHead(chainId);
      head = stored && stored.seq > taken.seq ? stored : { chainId, seq: taken.seq, hash: taken.hash };
    }
    throw new AppendInProgressError(`chain ${chainId} stayed contended for ${MAX_SEAL_ATTEMPTS} attempts; retry later`);
  }

  /**
   * Seals every group of an intent (skipping blocks a crashed holder already sealed) and closes
   * it. The groups are different chains, so they seal side by side. The intent closes only after
   * every head moved: until then it is what tells verify and the sweep that a block beyond its
   * head is a seal in progress, not an appended forgery.
   */
  async function seal(intent: SealIntent, now: Date, expiresAt: number | undefined, takenOver: boolean): Promise<void> {
    await Promise.all(
      intent.groups
        .filter((group) => group.entries.length > 0)
        .map(async (group) => {
          const done = takenOver ? await findSealedBlock(group.chainId, intent.batchId, intent.createdAt) : undefined;
          await advanceHead(done ?? (await sealGroup(group.chainId, { sealedAt: now.toISOString(), batchId: intent.batchId, entries: group.entries }, expiresAt)), expiresAt);
        }),
    );
    await client.send(new DeleteCommand({ TableName: tableName, Key: intentKey(intent.day, intent.batchId) }));
  }

  /**
   * Takes over an intent whose writer died (lease over): renews the lease (conditionally, so
   * one taker wins), keeps only the entries whose records the batch did write, and seals them.
   * False when another holder is still within its lease or won the takeover.
   */
  async function takeOver(intent: SealIntent & { expiresAt?: number }, now: Date): Promise<boolean> {
    if (Date.parse(intent.leaseUntil) > now.getTime()) return false;
    const leaseUntil = new Date(now.getTime() + SEAL_LEASE_MS).toISOString();
    const won = await conditionally(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: intentKey(intent.day, intent.batchId),
          UpdateExpression: 'SET leaseUntil = :next',
          ConditionExpression: 'leaseUntil = :then',
          ExpressionAttributeValues: { ':next': leaseUntil, ':then': intent.leaseUntil },
        }),
      ),
    );
    if (!won) return false;
    const written = await readRecords(intent.groups.flatMap((g) => g.entries.map((e) => e.eventId)));
    // Records never written were never acknowledged: their delivery failed and comes again.
    const groups = intent.groups.map((g) => ({ chainId: g.chainId, entries: g.entries.filter((e) => written.get(e.eventId)?.batchId === intent.batchId) }));
    await seal({ ...intent, leaseUntil, groups }, now, intent.expiresAt, true);
    return true;
  }

  async function openSeals(day: string): Promise<(SealIntent & { expiresAt?: number })[]> {
    const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)', ExpressionAttributeValues: { ':pk': `SEALS#${day}`, ':b': 'BATCH#' }, ConsistentRead: true });
    return items.map((item) => toIntent(item));
  }

  const queryIndex = (partition: string) =>
    queryAll(client, { TableName: tableName, IndexName: stateIndex.indexName, KeyConditionExpression: '#ipk = :p', ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey }, ExpressionAttributeValues: { ':p': partition } });

  const store: AuditTrailStore = {
    async appendBatch(records, now, expiresAt) {
      const outcomes: AppendOutcome[] = records.map(() => 'appended');
      // The same event twice in one batch is recorded once.
      const firstOf = new Map<string, number>();
      records.forEach((r, i) => (firstOf.has(r.eventId) ? (outcomes[i] = 'duplicate') : firstOf.set(r.eventId, i)));
      const existing = await readRecords([...firstOf.keys()]);
      const leftOpen = new Map<string, { day: string; batchId: string }>();
      const fresh: AuditRecord[] = [];
      for (const [eventId, i] of firstOf) {
        const there = existing.get(eventId);
        if (!there) {
          fresh.push(records[i] as AuditRecord);
          continue;
        }
        outcomes[i] = 'duplicate';
        // Written by an earlier delivery: make sure its batch was sealed (its intent is gone) or seal it.
        leftOpen.set(there.batchId, { day: utcDay(new Date(there.record.recordedAt)), batchId: there.batchId });
      }
      // The intent only after the read, for the fresh records only: a redelivery of what the trail
      // already holds (after a restart, a whole journal of them) writes no intent at all.
      if (fresh.length > 0) {
        const batchId = randomUUID();
        const day = utcDay(now);
        const groups = planGroups(fresh, now).map((g) => ({ chainId: g.chainId, records: g.records, entries: g.records.map((r) => ({ eventId: r.eventId, recordHash: recordHash(g.chainId, r) })) }));
        const intent: SealIntent = { batchId, day, createdAt: now.toISOString(), leaseUntil: new Date(now.getTime() + SEAL_LEASE_MS).toISOString(), groups: groups.map(({ chainId, entries }) => ({ chainId, entries })) };
        await client.send(new PutCommand({ TableName: tableName, Item: { ...intentKey(day, batchId), ...intent, ...ttl(expiresAt) } }));
        await batchPut(groups.flatMap((g) => g.records.map((r) => ({ ...recordItem({ chainId: g.chainId, batchId, record: r }), ...ttl(expiresAt) }))));
        await seal(intent, now, expiresAt, false);
      }
      if (leftOpen.size > 0) {
        const intents = await batchGet([...leftOpen.values()].map((o) => intentKey(o.day, o.batchId)));
        for (const item of intents) {
          const open = toIntent(item);
          if (await takeOver(open, now)) continue;
          // Its writer is still sealing it: those events are not recorded for sure yet.
          for (const group of open.groups) for (const e of group.entries) {
            const i = firstOf.get(e.eventId);
            if (i !== undefined && outcomes[i] === 'duplicate' && existing.get(e.eventId)?.batchId === open.batchId) outcomes[i] = 'in-progress';
          }
        }
      }
      return outcomes;
    },

    async append(record, now, expiresAt) {
      const [outcome] = await store.appendBatch([record], now, expiresAt);
      if (outcome === 'in-progress') throw new AppendInProgressError(`event ${record.eventId} is being recorded by another delivery; retry later`);
      return outcome as Exclude<AppendOutcome, 'in-progress'>;
    },

    async sealOrphans(now) {
      let sealed = 0;
      for (const day of [utcDayBefore(now, 1), utcDay(now)]) {
        for (const intent of await openSeals(day)) if (await takeOver(intent, now)) sealed++;
      }
      return sealed;
    },

    async get(eventId) {
      const item = await getItem<StoredRecordItem>(`AUDIT#${eventId}`, 'RECORD');
      return item ? toStoredRecord(item) : undefined;
    },

    readRecords,

    async readChain(chainId) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
        ExpressionAttributeValues: { ':pk': `CHAIN#${chainId}`, ':b': 'BLOCK#' },
        ConsistentRead: true,
      });
      return items.map((item) => fromStored(item as unknown as StoredBlock));
    },

    readHead,
    openSeals,

    async chainsOfDay(day) {
      return (await queryIndex(`CHAINS#${day}`)).map((item) => String(item[stateIndex.sortKey])).sort();
    },

    async storedRecordsOccurredOn(day) {
      return (await queryIndex(`AUDITDAY#${day}`)).map((item) => toStoredRecord(item as unknown as StoredRecordItem));
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
          const record = (item as unknown as StoredRecordItem).record;
          const at = Date.parse(record.occurredAt);
          if (at >= start && at <= end) records.push(record);
        }
      }
      return records;
    },
  };
  return store;
}

const pause = (round: number) => new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** round)));

interface StoredBlock {
  pk: string;
  sk: string;
  chainId: string;
  seq: number;
  prevHash: string;
  hash: string;
  record: BlockBody;
}

interface StoredRecordItem {
  chainId: string;
  batchId: string;
  record: AuditRecord;
}

const toStoredRecord = (item: StoredRecordItem): StoredRecord => ({ chainId: item.chainId, batchId: item.batchId, record: item.record });

/** An intent item back (its TTL is the expiry its blocks and head get when a taker seals it). */
function toIntent(item: Record<string, unknown>): SealIntent & { expiresAt?: number } {
  const i = item as unknown as SealIntent;
  const expiresAt = item[TTL_ATTRIBUTE];
  return { batchId: i.batchId, day: i.day, createdAt: i.createdAt, leaseUntil: i.leaseUntil, groups: i.groups, ...(typeof expiresAt === 'number' ? { expiresAt } : {}) };
}

function chainDay(chainId: string): string {
  return chainId.split('/').at(-2) ?? 'unknown';
}

/** A record as the store keeps it (without its TTL attribute); exported for the benches that load a trail in bulk. */
export function recordItem(stored: StoredRecord): Record<string, unknown> {
  const { record } = stored;
  return {
    ...recordKey(record.eventId),
    chainId: stored.chainId,
    batchId: stored.batchId,
    record,
    // Time-range reads for search: by the day the operation happened, as the event spells its time.
    [stateIndex.partitionKey]: `AUDITDAY#${record.occurredAt.slice(0, 10)}`,
    [stateIndex.sortKey]: `${record.occurredAt}#${record.eventId}`,
  };
}

/** A sealed block as the store keeps it (without its TTL attribute); exported for the benches. */
export function blockItem(block: AuditBlock): Record<string, unknown> {
  return { pk: `CHAIN#${block.chainId}`, sk: seqKey(block.seq), chainId: block.chainId, seq: block.seq, prevHash: block.prevHash, hash: block.hash, record: block.record };
}

/** A chain's head as the store keeps it (without its TTL attribute); exported for the benches. */
export function chainHeadItem(head: ChainHead): Record<string, unknown> {
  return { pk: `HEAD#${head.chainId}`, sk: 'HEAD', seq: head.seq, hash: head.hash, [stateIndex.partitionKey]: `CHAINS#${chainDay(head.chainId)}`, [stateIndex.sortKey]: head.chainId };
}

function fromStored(item: StoredBlock): AuditBlock {
  return { chainId: item.chainId, seq: item.seq, prevHash: item.prevHash, hash: item.hash, record: item.record };
}

/**
 * The same trail in memory, for unit tests and benches of what reads it: idempotent on the
 * event id, each batch sealed at once as a block per source chain like the table, and read
 * through the same queries (no crash recovery to model: nothing is left half-written).
 */
export function memoryAuditTrailStore(): AuditTrailStore {
  const chains = new Map<string, AuditBlock[]>();
  const records = new Map<string, StoredRecord>();
  let batches = 0;
  const copy = <T>(value: T): T => structuredClone(value);
  const headOf = (chainId: string): ChainHead | undefined => {
    const last = chains.get(chainId)?.at(-1);
    return last ? { chainId, seq: last.seq, hash: last.hash } : undefined;
  };
  // The by-day index's order: the event's own time text, then its id.
  const byOccurrence = (a: StoredRecord, b: StoredRecord) => (`${a.record.occurredAt}#${a.record.eventId}` < `${b.record.occurredAt}#${b.record.eventId}` ? -1 : 1);
  const occurredOn = (day: string) => [...records.values()].filter((r) => r.record.occurredAt.slice(0, 10) === day).sort(byOccurrence);
  const store: AuditTrailStore = {
    async appendBatch(batch, now) {
      const outcomes: AppendOutcome[] = [];
      const fresh: AuditRecord[] = [];
      for (const record of batch) {
        if (records.has(record.eventId) || fresh.some((r) => r.eventId === record.eventId)) outcomes.push('duplicate');
        else (outcomes.push('appended'), fresh.push(record));
      }
      const batchId = `memory-${++batches}`;
      for (const group of planGroups(fresh, now)) {
        for (const r of group.records) records.set(r.eventId, { chainId: group.chainId, batchId, record: copy(r) });
        const body: BlockBody = { sealedAt: now.toISOString(), batchId, entries: group.records.map((r) => ({ eventId: r.eventId, recordHash: recordHash(group.chainId, r) })) };
        chains.set(group.chainId, [...(chains.get(group.chainId) ?? []), nextLink(group.chainId, headOf(group.chainId), body)]);
      }
      return outcomes;
    },
    async append(record, now) {
      return (await store.appendBatch([record], now))[0] as 'appended' | 'duplicate';
    },
    async sealOrphans() {
      return 0;
    },
    async get(eventId) {
      const r = records.get(eventId);
      return r ? copy(r) : undefined;
    },
    async readRecords(eventIds) {
      return new Map(eventIds.flatMap((id) => (records.has(id) ? [[id, copy(records.get(id) as StoredRecord)] as const] : [])));
    },
    async readChain(chainId) {
      return copy(chains.get(chainId) ?? []);
    },
    async readHead(chainId) {
      return headOf(chainId);
    },
    async openSeals() {
      return [];
    },
    async chainsOfDay(day) {
      return [...chains.keys()].filter((chainId) => chainDay(chainId) === day).sort();
    },
    async storedRecordsOccurredOn(day) {
      return copy(occurredOn(day));
    },
    async recordsOccurredBetween(from, to) {
      const [start, end] = [Date.parse(from), Date.parse(to)];
      return copy(
        utcDaysBetween(from, to)
          .flatMap(occurredOn)
          .map((r) => r.record)
          .filter((r) => Date.parse(r.occurredAt) >= start && Date.parse(r.occurredAt) <= end),
      );
    },
  };
  return store;
}
