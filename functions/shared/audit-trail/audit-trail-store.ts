/**
 * The audit trail in the state table, in sealed blocks, the way CloudTrail writes logs and
 * seals them with digests: the delivery's one step is to accept a batch — one PutItem of a
 * seal intent that carries the records themselves — and a seal pass that follows
 * (`sealPending`: after the deliveries locally; on AWS seconds after an accept, started by the
 * state table's stream, and every 5 minutes; and in the hourly sweep)
 * takes every open intent at once, decides which records are new (idempotent by event id),
 * writes them 25 per BatchWriteItem (the first while later ids are still being read), seals each chain's new records as one block (the ordered
 * event ids and record hashes, chained to the previous block) and moves the head once. One pass
 * runs at a time, under a lock. No transactions (dynalite has none): the intent is durable
 * before the delivery is answered and holds everything the seal needs, and is deleted only
 * after the seal, so a crash anywhere between the record writes and the seal loses or doubles
 * nothing — the next pass, once the dead one's lock lapses, finishes it.
 *
 * Items (index and TTL attribute names as `infra/state-table.ts` declares them):
 *   AUDIT#<eventId>   / RECORD          the record, the chain that seals it and the writer's batch id;
 *        on the index: partition AUDITDAY#<day the operation happened>, sort key <occurredAt>#<eventId>
 *        (search and the behaviour analysis read the trail by time through it)
 *   SEALS#<arrival day> / BATCH#<batchId> a seal intent: the batch's records as accepted (their JSON, deflated unless about one event's: `packRecords`), its holder's
 *        lease and how often it was taken; deleted once every block of the batch is sealed
 *   SEALS#PASS        / LOCK            the running seal pass and its lease (one pass at a time)
 *   CHAIN#<chainId>   / BLOCK#<seq>     a sealed block: its entries, the batches they came from, its previous hash and its hash
 *   HEAD#<chainId>    / HEAD            last seq and hash of the chain (lags one block while a seal is in progress);
 *        on the index: partition CHAINS#<arrival day>, sort key <chainId> (the chains of a day)
 * Every item carries the TTL attribute the writer gives (`trailRecordExpiry`).
 * Chains are per source and arrival day, sharded 8 ways by the batch's first event id so that
 * concurrent batches rarely contend for the same head.
 */
import { TransientError } from '../../../schemas/errors.ts';
import { createHash, randomUUID } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, type BatchGetCommandOutput, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../concurrency.ts';
import { SEAL_INTENT_KEY_PREFIXES } from '../../../infra/state-table.ts';
import { conditionally, queryAll, queryPages, stateIndex, TTL_ATTRIBUTE } from '../dynamo-access.ts';
import { inKeyOrder } from '../key-order.ts';
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
/** How long `appendBatch` holds the intents it seals itself before a pass may take over (its caller died). */
export const SEAL_LEASE_MS = MINUTE_MS;
const MAX_SEAL_ATTEMPTS = 50;
/** BatchWriteItem takes at most 25 items, BatchGetItem 100 keys. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;
/** Records per seal intent, by their JSON's size before it is deflated (so the packed item always fits): an item holds at most 400 KB, and one event may be up to 256 KB. */
const INTENT_BYTES = 300_000;
/** How long the seal pass's lock holds without renewal (each round renews it): a pass that died frees it this soon. */
const PASS_LOCK_LEASE_MS = 15_000;

/** Intents a seal pass takes in one round (each up to ~300 KB): a round ends well within the lock's lease, which each round renews. */
const PASS_INTENTS = 200;
/**
 * How long a pass goes on taking rounds while more intents are open: it keeps up with a backlog
 * (a month-end burst, passes starting every few seconds on AWS) and still ends well within its
 * function's 60-second timeout, a round being a few seconds at most.
 */
const PASS_BUDGET_MS = 20_000;
/** Batch reads or writes of one pass in flight at once. */
const REQUESTS_IN_FLIGHT = 4;

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** Entries per block, by size: a block is one item (at most 400 KB). */
const BLOCK_BYTES = 300_000;

/** An entry a pass seals, with the batch (intent) it came from. */
type PassEntry = SealedEntry & { readonly batchId: string };

/** An intent a pass (or `appendBatch`) holds; `resumed`: held before, so blocks of it may be sealed already. */
type HeldIntent = { readonly intent: SealIntent & { expiresAt?: number }; readonly resumed: boolean };

/** What a round wrote and has still to seal: its intents in order, each chain's new entries (and blocks found sealed), and each intent's outcomes. */
interface WrittenRound {
  readonly ordered: readonly HeldIntent[];
  readonly byChain: ReadonlyMap<string, { entries: PassEntry[]; expiresAt: number | undefined; done: AuditBlock[] }>;
  readonly outcomes: Map<string, Map<string, AppendOutcome>>;
}

/** A record of an intent a pass holds, planned into its chain before the pass knows whether it is new. */
interface PlannedRecord {
  readonly intent: SealIntent & { expiresAt?: number };
  readonly chainId: string;
  readonly record: AuditRecord;
  /** The intent's outcomes, by event id, that the pass fills in. */
  readonly mine: Map<string, AppendOutcome>;
  /** A block the intent's earlier holder sealed already seals it. */
  readonly sealed: boolean;
  /** The chain's entries this pass seals. */
  readonly entries: PassEntry[];
}

/** A chain stayed contended (another writer took every slot tried): the batch's holder retries later. */
export class ChainContendedError extends TransientError {}

/** The first record of each event id, in order: the same event twice in one batch is recorded once. */
function firstOfEachId(records: readonly AuditRecord[]): AuditRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => !seen.has(r.eventId) && (seen.add(r.eventId), true));
}

/** Consecutive parts of `items` of at most `limit` bytes by `sizeOf` each (a part holds at least one item). */
function partsBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (part.length > 0 && bytes + size > limit) (parts.push(part), (part = []), (bytes = 0));
    part.push(item);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** A record's size in an intent, estimated: the original event twice (the record's fields are drawn from it), plus room for the rest. */
const intentBytesOf = (record: AuditRecord) => 2 * Buffer.byteLength(record.originalEvent) + Buffer.byteLength(record.invalidReason ?? '') + 1024;
/** An entry's size in a block: its event id, a 64-character hash, its batch id among the block's, and some JSON. */
const blockBytesOf = (entry: PassEntry) => Buffer.byteLength(entry.eventId) + Buffer.byteLength(entry.batchId) + 120;

export type AppendOutcome = 'appended' | 'duplicate';

/** A record as the table holds it: the record and the chain whose blocks seal it. */
export interface StoredRecord {
  readonly chainId: string;
  readonly batchId: string;
  readonly record: AuditRecord;
}

/** The audit records of stored ones, for a reader that does not need their chains. */
export const recordsOf = (stored: readonly StoredRecord[]): AuditRecord[] => stored.map((s) => s.record);

/**
 * An accepted batch waiting for its seal (see the header): the records as they came (the first
 * of each event id, in order). Complete in itself, so whichever pass takes it can finish the
 * batch without the delivery that brought it.
 */
export interface SealIntent {
  readonly batchId: string;
  /** The arrival day: the partition it waits in and the day of the chains it goes to. */
  readonly day: string;
  readonly createdAt: string;
  /** Until when `appendBatch`, which seals its own intents, holds it; an accepted batch (no holder) has `createdAt`. */
  readonly leaseUntil: string;
  readonly records: readonly AuditRecord[];
  /**
   * Present when the stored records cannot be read (the item was damaged or tampered with): why.
   * Such an intent has no records; no pass takes it (the rest of the trail goes on sealing), and
   * `verifyTrail` reports it, since its batch can be neither sealed nor checked.
   */
  readonly unreadable?: string;
}

export interface AuditTrailStore {
  /**
   * The writer's one step on the delivery path: the batch becomes durable as seal intents
   * (one PutItem per up to ~300 KB of records, side by side) and is sealed later by
   * `sealPending`, which also decides what is new. `expiresAt` (epoch seconds): when the hot
   * copy may go.
   */
  accept(records: readonly AuditRecord[], now: Date, expiresAt?: number): Promise<void>;
  /**
   * Accepts a batch and seals it at once, holding it meanwhile: idempotent on the event id, one
   * outcome per record, in order. For callers that need the outcome (tests, tools); the trail's
   * function accepts and lets the seal pass follow.
   */
  appendBatch(records: readonly AuditRecord[], now: Date, expiresAt?: number): Promise<AppendOutcome[]>;
  /** One record: `appendBatch` of one. */
  append(record: AuditRecord, now: Date, expiresAt?: number): Promise<AppendOutcome>;
  /**
   * The seal pass: takes the open intents of yesterday and today (accepted batches, those a dead
   * pass left, and those `appendBatch` held past its lease), up to 200 a round, writes the
   * records that are new, seals them as blocks and closes the intents. One pass at a time: it
   * waits while another holds the lock. Returns how many intents it sealed. `lookBackDays`
   * (default 1: yesterday) reaches further back, for the sweeps: an intent left open longer (every
   * pass failing, or the machine off since the crash that left it) is sealed into its own day.
   */
  sealPending(now: Date, options?: { lookBackDays?: number }): Promise<number>;
  get(eventId: string): Promise<StoredRecord | undefined>;
  /** The records the table holds for these event ids. */
  readRecords(eventIds: readonly string[]): Promise<Map<string, StoredRecord>>;
  /** The sealed blocks of a chain, in seq order. */
  readChain(chainId: string): Promise<AuditBlock[]>;
  readHead(chainId: string): Promise<ChainHead | undefined>;
  /** Seal intents still open for an arrival day (batches accepted and not sealed yet, or orphaned by a crash). */
  openSeals(day: string): Promise<SealIntent[]>;
  /** Chain ids with a head on the given arrival day (YYYY-MM-DD). */
  chainsOfDay(day: string): Promise<string[]>;
  /**
   * Records whose operation happened on the given day, in time order (eventually consistent
   * index), with the chain each record item names (for verify: records nobody sealed); a reader
   * that wants the records alone takes `recordsOf` of them.
   */
  storedRecordsOccurredOn(day: string): Promise<StoredRecord[]>;
  /**
   * Records whose operation happened in [from, to] (ISO times), read by time range from the
   * by-day index. With `unsealedAsOf`, also those still waiting in the open intents a seal pass
   * at that time takes (accepted yesterday or today, not sealed yet), for a reader that must not
   * miss an event delivered a moment before (2.4's tagging of a grant's earlier operations); a
   * sealed record wins over an intent's, an older intent over a newer one, as the pass decides.
   * Evidence reads sealed records only.
   */
  recordsOccurredBetween(from: string, to: string, options?: { unsealedAsOf?: Date }): Promise<AuditRecord[]>;
}

/** The chain a batch's records of one source go to: per source and arrival day, sharded by the first event id. */
export function chainIdFor(record: Pick<AuditRecord, 'source' | 'eventId'>, arrival: Date): string {
  const shard = createHash('sha256').update(record.eventId).digest().readUInt8(0) % CHAIN_SHARDS;
  return `${record.source}/${utcDay(arrival)}/${shard}`;
}

const seqKey = (seq: number) => `BLOCK#${String(seq).padStart(12, '0')}`;
const recordKey = (eventId: string) => ({ pk: `AUDIT#${eventId}`, sk: 'RECORD' });
// The prefixes the stream trigger's filter passes (`stateStreamTrigger` of log-archiving): declared once.
const intentKey = (day: string, batchId: string) => ({ pk: `${SEAL_INTENT_KEY_PREFIXES.pk}${day}`, sk: `${SEAL_INTENT_KEY_PREFIXES.sk}${batchId}` });
/** The arrival days whose open intents a seal pass at `now` takes, oldest first: by default yesterday's and today's. */
function sealPassDays(now: Date, lookBackDays = 1): string[] {
  const back = Math.max(1, Math.floor(lookBackDays));
  return Array.from({ length: back + 1 }, (_, i) => utcDayBefore(now, back - i));
}
/** The order in which a pass takes intents, oldest accepted first: of two bringing the same event, the first records it. */
const olderIntentFirst = (a: SealIntent, b: SealIntent) => inKeyOrder(a.createdAt, b.createdAt) || inKeyOrder(a.batchId, b.batchId);
/** The seal pass's lock: one pass at a time (`sealPending`). */
const PASS_LOCK_KEY = { pk: 'SEALS#PASS', sk: 'LOCK' };

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

export interface AuditTrailStoreOptions {
  /**
   * What puts a batch's seal intent, the one write a delivery waits on: the state table's plain
   * client (`stateTableClient`) where deliveries are hot; by default the document client.
   */
  readonly intentWriter?: Pick<DynamoDBClient, 'send'>;
}

export function dynamoAuditTrailStore(client: DynamoDBDocumentClient, tableName: string, options: AuditTrailStoreOptions = {}): AuditTrailStore {
  const intentWriter = options.intentWriter ?? client;
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

  /** BatchGetItem, 100 keys a request (a few in flight), unprocessed keys retried. */
  async function batchGet(keys: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    await mapWithConcurrency(chunks(keys, READ_BATCH), REQUESTS_IN_FLIGHT, (chunk) =>
      untilProcessed(chunk, async (pending) => {
        const out: BatchGetCommandOutput = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
        items.push(...((out.Responses?.[tableName] ?? []) as Record<string, unknown>[]));
        return out.UnprocessedKeys?.[tableName]?.Keys as typeof pending | undefined;
      }),
    );
    return items;
  }

  /** BatchWriteItem, 25 requests a call (a few calls in flight), unprocessed ones retried. */
  async function batchWrite(requests: readonly Record<string, unknown>[]): Promise<void> {
    await mapWithConcurrency(chunks(requests, WRITE_BATCH), REQUESTS_IN_FLIGHT, (chunk) =>
      untilProcessed(chunk, async (pending) => {
        const out: BatchWriteCommandOutput = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
        return out.UnprocessedItems?.[tableName] as typeof pending | undefined;
      }),
    );
  }
  const batchPut = (items: readonly Record<string, unknown>[]) => batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  const batchDelete = (keys: readonly { pk: string; sk: string }[]) => batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));

  async function readRecords(eventIds: readonly string[]): Promise<Map<string, StoredRecord>> {
    const items = await batchGet([...new Set(eventIds)].map(recordKey));
    return new Map(items.map((item) => [(item as unknown as StoredRecordItem).record.eventId, toStoredRecord(item as unknown as StoredRecordItem)]));
  }

  /** The block that already sealed a batch's entries in this chain since `since` (a takeover must not seal twice), if any. */
  async function findSealedBlock(chainId: string, batchId: string, since: string): Promise<AuditBlock | undefined> {
    const newestFirst = { TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)', ExpressionAttributeValues: { ':pk': `CHAIN#${chainId}`, ':b': 'BLOCK#' }, ScanIndexForward: false, ConsistentRead: true, Limit: 50 };
    for await (const page of queryPages(client, newestFirst)) {
      for (const item of page as unknown as StoredBlock[]) {
        if (item.record.batchIds.includes(batchId)) return fromStored(item);
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

  /**
   * Seals one chain's entries of a pass (each entry with the batch it came from) as the chain's
   * next blocks, as few as fit in an item each; returns the last, where the head is to move
   * (the caller moves it).
   */
  async function sealChain(chainId: string, entries: readonly PassEntry[], now: Date, expiresAt: number | undefined): Promise<AuditBlock> {
    let last: AuditBlock | undefined;
    for (const part of partsBySize(entries, blockBytesOf, BLOCK_BYTES)) {
      last = await sealBlock(chainId, part, now, expiresAt);
      // The next part chains onto this one.
      knownHeads.set(chainId, { chainId, seq: last.seq, hash: last.hash });
    }
    return last as AuditBlock;
  }

  /**
   * Seals entries as the chain's next block; returns it. A slot taken by a block that already
   * seals some of these batches (another holder of the same intents, its lease run out) keeps
   * those: only the other batches' entries go on to the next slot.
   */
  async function sealBlock(chainId: string, entries: readonly PassEntry[], now: Date, expiresAt: number | undefined): Promise<AuditBlock> {
    let head = knownHeads.get(chainId) ?? (await readHead(chainId));
    let left = entries;
    for (let attempt = 0; attempt < MAX_SEAL_ATTEMPTS; attempt++) {
      const block = nextLink(chainId, head, { sealedAt: now.toISOString(), batchIds: [...new Set(left.map((e) => e.batchId))], entries: left.map(({ eventId, recordHash }) => ({ eventId, recordHash })) });
      const sealed = await conditionally(() =>
        client.send(new PutCommand({ TableName: tableName, Item: { ...blockItem(block), ...ttl(expiresAt) }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (sealed) return block;
      // Another pass took the slot (or a crashed seal left the head one block behind): follow the chain.
      const taken = (await readBlock(chainId, block.seq)) as AuditBlock;
      const sealedThere = new Set(taken.record.batchIds);
      left = left.filter((e) => !sealedThere.has(e.batchId));
      if (left.length === 0) return taken;
      const stored = await readHead(chainId);
      head = stored && stored.seq > taken.seq ? stored : { chainId, seq: taken.seq, hash: taken.hash };
    }
    throw new ChainContendedError(`chain ${chainId} stayed contended for ${MAX_SEAL_ATTEMPTS} attempts; retry later`);
  }

  /** Puts accepted batches' intents, side by side; `holdMs` above zero: the caller holds them (seals them itself) that long. */
  async function putIntents(records: readonly AuditRecord[], now: Date, expiresAt: number | undefined, holdMs: number): Promise<SealIntent[]> {
    const day = utcDay(now);
    const createdAt = now.toISOString();
    const leaseUntil = new Date(now.getTime() + holdMs).toISOString();
    const intents = partsBySize(records, intentBytesOf, INTENT_BYTES).map((part): SealIntent => ({ batchId: randomUUID(), day, createdAt, leaseUntil, records: part }));
    await Promise.all(
      intents.map((intent) => {
        const item = { ...intentKey(day, intent.batchId), ...intent, records: packRecords(intent.records), ...(holdMs > 0 ? { heldBy: 'writer' } : {}), ...ttl(expiresAt) };
        return intentWriter.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));
      }),
    );
    return intents;
  }

  /**
   * Seals the intents a pass holds, as one unit: reads which of their records the table
   * already has (a record the table holds under its own batch was written by an earlier holder
   * that died: it is sealed as it was written), writes the new ones, seals each chain's new
   * entries, from every intent, as one block, moves the heads and closes the intents. Of two
   * intents bringing the same event, the older records it. An intent held before (`resumed`)
   * may have had blocks sealed already: those are found, not sealed twice. Returns each
   * intent's outcomes, by batch id and event id.
   */
  async function completeAll(held: readonly HeldIntent[], now: Date): Promise<Map<string, Map<string, AppendOutcome>>> {
    const written = await writeAll(held);
    await sealAll(written, now);
    return written.outcomes;
  }

  /**
   * The first half of `completeAll`: decides which records of the held intents are new and
   * writes them; what it returns is what `sealAll` seals. Once it resolves, every record it
   * decided is in the table, so a later round's reads find them.
   */
  async function writeAll(held: readonly HeldIntent[]): Promise<WrittenRound> {
    const ordered = [...held].sort((x, y) => olderIntentFirst(x.intent, y.intent));
    const outcomes = new Map<string, Map<string, AppendOutcome>>();
    const byChain = new Map<string, { entries: PassEntry[]; expiresAt: number | undefined; done: AuditBlock[] }>();
    const planned: PlannedRecord[] = [];
    for (const { intent, resumed } of ordered) {
      const mine = new Map<string, AppendOutcome>();
      outcomes.set(intent.batchId, mine);
      // Chains from the whole intent, before any record is found a duplicate: every holder plans the same.
      for (const { chainId, records } of planGroups(intent.records, new Date(intent.createdAt))) {
        const chain = byChain.get(chainId) ?? { entries: [], expiresAt: undefined, done: [] };
        byChain.set(chainId, chain);
        chain.expiresAt = Math.max(chain.expiresAt ?? 0, intent.expiresAt ?? 0) || undefined;
        const done = resumed ? await findSealedBlock(chainId, intent.batchId, intent.createdAt) : undefined;
        if (done) chain.done.push(done);
        for (const record of records) planned.push({ intent, chainId, record, mine, sealed: done !== undefined, entries: chain.entries });
      }
    }
    const claimed = new Set<string>();
    /** One record, in order, against what the table holds: a duplicate, or appended (written unless an earlier holder of its batch wrote it) and sealed unless a block already seals it. */
    const decide = ({ intent, chainId, record, mine, sealed, entries }: PlannedRecord, there: StoredRecord | undefined, toWrite: Record<string, unknown>[]) => {
      if ((there && there.batchId !== intent.batchId) || claimed.has(record.eventId)) {
        mine.set(record.eventId, 'duplicate');
        return;
      }
      claimed.add(record.eventId);
      mine.set(record.eventId, 'appended');
      if (!there) toWrite.push({ ...recordItem({ chainId, batchId: intent.batchId, record }), ...ttl(intent.expiresAt) });
      if (!sealed) entries.push({ eventId: record.eventId, recordHash: recordHash(chainId, there?.record ?? record), batchId: intent.batchId });
    };
    await readDecideWrite(planned, decide);
    return { ordered, byChain, outcomes };
  }

  /** The second half of `completeAll`: seals each chain's new entries, moves the heads, and closes the intents. */
  async function sealAll({ ordered, byChain }: WrittenRound, now: Date): Promise<void> {
    // Chains seal side by side. The intents close only after every head moved: until then they
    // are what tells verify that a block beyond its head is a seal in progress.
    await Promise.all(
      [...byChain].map(async ([chainId, chain]) => {
        const blocks = [...chain.done];
        if (chain.entries.length > 0) blocks.push(await sealChain(chainId, chain.entries, now, chain.expiresAt));
        const last = blocks.sort((x, y) => x.seq - y.seq).at(-1);
        if (last) await advanceHead(last, chain.expiresAt);
      }),
    );
    await batchDelete(ordered.map(({ intent }) => intentKey(intent.day, intent.batchId)));
  }

  /**
   * Reads which of the planned records the table holds (100 ids a request), decides each record
   * in order (`decide`) as soon as every id up to it has been read, and writes the new ones
   * while later ids are still being read: the store reads and writes side by side instead of
   * reading everything first. Resolves once every write is done (the blocks seal only then).
   */
  async function readDecideWrite(planned: readonly PlannedRecord[], decide: (p: PlannedRecord, there: StoredRecord | undefined, toWrite: Record<string, unknown>[]) => void): Promise<void> {
    const ids = [...new Set(planned.map((p) => p.record.eventId))];
    const readChunks = chunks(ids, READ_BATCH);
    const chunkOfId = new Map(ids.map((id, i) => [id, Math.floor(i / READ_BATCH)]));
    const existing = new Map<string, StoredRecord>();
    const read = readChunks.map(() => false);
    let readThrough = -1;
    let decided = 0;
    const writes: Promise<void>[] = [];
    await mapWithConcurrency(readChunks.map((_, i) => i), REQUESTS_IN_FLIGHT, async (index) => {
      for (const [id, stored] of await readRecords(readChunks[index] as string[])) existing.set(id, stored);
      read[index] = true;
      while (read[readThrough + 1] === true) readThrough++;
      // Decisions go in order: a record waits for its own id's read and for every record before it.
      const toWrite: Record<string, unknown>[] = [];
      for (; decided < planned.length && (chunkOfId.get((planned[decided] as PlannedRecord).record.eventId) as number) <= readThrough; decided++) {
        const p = planned[decided] as PlannedRecord;
        decide(p, existing.get(p.record.eventId), toWrite);
      }
      if (toWrite.length === 0) return;
      const written = batchPut(toWrite);
      // Awaited below; if a read fails first, the pass is abandoned and this write's outcome no longer matters.
      written.catch(() => undefined);
      writes.push(written);
    });
    await Promise.all(writes);
  }

  /** The query of a day's open intents (consistent: a pass must see what was accepted just before). */
  const intentsOfDay = (day: string) => ({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)', ExpressionAttributeValues: { ':pk': intentKey(day, '').pk, ':b': SEAL_INTENT_KEY_PREFIXES.sk }, ConsistentRead: true });

  async function openSeals(day: string): Promise<(SealIntent & { expiresAt?: number })[]> {
    return (await queryAll(client, intentsOfDay(day))).map((item) => toIntent(item));
  }

  /** Whether a day has any intent open (its first key only). */
  async function anyOpenIntent(day: string): Promise<boolean> {
    const out = await client.send(new QueryCommand({ ...intentsOfDay(day), ProjectionExpression: 'sk', Limit: 1 }));
    return (out.Items?.length ?? 0) > 0;
  }

  /**
   * Up to `limit` open intents a pass may take (not those in `taken`: the pass's round still
   * sealing them), oldest day first, and whether more are open. An
   * intent `appendBatch` holds waits for its lease; one it held past its lease (its caller died)
   * may have sealed blocks already.
   */
  async function openIntents(days: readonly string[], now: Date, limit: number, taken: ReadonlySet<string>): Promise<{ intents: { intent: SealIntent & { expiresAt?: number }; heldByWriter: boolean }[]; more: boolean }> {
    const intents: { intent: SealIntent & { expiresAt?: number }; heldByWriter: boolean }[] = [];
    for (const day of days) {
      for await (const page of queryPages(client, intentsOfDay(day))) {
        for (const item of page) {
          if (taken.has(String(item.batchId))) continue;
          const heldByWriter = item.heldBy === 'writer';
          if (heldByWriter && Date.parse(String(item.leaseUntil)) > now.getTime()) continue;
          const intent = toIntent(item);
          if (intent.unreadable !== undefined) continue;
          if (intents.length === limit) return { intents, more: true };
          intents.push({ intent, heldByWriter });
        }
      }
    }
    return { intents, more: false };
  }

  /**
   * The pass's lock (`SEALS#PASS`), with a short lease its holder renews each round, naming the
   * intents the round seals. Waits while another pass holds it (until it is released, or its
   * lease lapses: its holder died), at most a lease and a bit; undefined if it stayed held (that
   * pass seals what is open). Taken from a dead holder, it tells which intents that pass was
   * sealing (`orphaned`): they may have blocks sealed already. Leases run on `now` plus the time
   * waited, so a driven clock works as the wall clock does.
   */
  async function lockPass(now: Date): Promise<{ orphaned: ReadonlySet<string>; renew(batchIds: readonly string[]): Promise<boolean>; release(): Promise<void>; abandon(): Promise<void> } | undefined> {
    const holder = randomUUID();
    const started = performance.now();
    const at = () => new Date(now.getTime() + (performance.now() - started));
    let before: Record<string, unknown> | undefined;
    let sealing: readonly string[] = [];
    const claim = (condition: string, values: Record<string, unknown>, batchIds: readonly string[] = [], leaseMs = PASS_LOCK_LEASE_MS) =>
      conditionally(async () => {
        const item = { ...PASS_LOCK_KEY, holder, leaseUntil: new Date(at().getTime() + leaseMs).toISOString(), batchIds };
        before = (await client.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values, ReturnValues: 'ALL_OLD' }))).Attributes;
      });
    for (let waited = 0; !(await claim('attribute_not_exists(pk) OR leaseUntil <= :at', { ':at': at().toISOString() })); waited++) {
      if (performance.now() - started > PASS_LOCK_LEASE_MS + 1000) return undefined;
      await new Promise((r) => setTimeout(r, Math.min(200, 10 * 2 ** waited)));
    }
    return {
      orphaned: new Set((before?.batchIds as string[] | undefined) ?? []),
      renew: (batchIds) => ((sealing = batchIds), claim('holder = :me', { ':me': holder }, batchIds)),
      release: async () => void (await conditionally(() => client.send(new DeleteCommand({ TableName: tableName, Key: PASS_LOCK_KEY, ConditionExpression: 'holder = :me', ExpressionAttributeValues: { ':me': holder } })))),
      // Failed part way: the lock lapses at once, still naming what the round was sealing, so the next pass resumes it.
      abandon: async () => void (await claim('holder = :me', { ':me': holder }, sealing, 0)),
    };
  }

  const queryIndex = (partition: string) =>
    queryAll(client, { TableName: tableName, IndexName: stateIndex.indexName, KeyConditionExpression: '#ipk = :p', ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey }, ExpressionAttributeValues: { ':p': partition } });

  const store: AuditTrailStore = {
    async accept(records, now, expiresAt) {
      await putIntents(firstOfEachId(records), now, expiresAt, 0);
    },

    async appendBatch(records, now, expiresAt) {
      const first = firstOfEachId(records);
      const byId = new Map<string, AppendOutcome>();
      if (first.length > 0) {
        const held = (await putIntents(first, now, expiresAt, SEAL_LEASE_MS)).map((intent) => ({ intent: { ...intent, ...(expiresAt === undefined ? {} : { expiresAt }) }, resumed: false }));
        for (const mine of (await completeAll(held, now)).values()) for (const [id, outcome] of mine) byId.set(id, outcome);
      }
      // The same event twice in one batch is recorded once: the first is its outcome, the rest duplicates.
      const seen = new Set<string>();
      return records.map((r) => (seen.has(r.eventId) ? 'duplicate' : (seen.add(r.eventId), byId.get(r.eventId) ?? 'duplicate')));
    },

    async append(record, now, expiresAt) {
      return (await store.appendBatch([record], now, expiresAt))[0] as AppendOutcome;
    },

    async sealPending(now, options = {}) {
      const days = sealPassDays(now, options.lookBackDays);
      // Most passes (one follows every delivery locally) find nothing open: two small reads, no lock.
      if (!(await Promise.all(days.map(anyOpenIntent))).some(Boolean)) return 0;
      // One pass at a time: two passes sealing two intents that bring the same event would both
      // write its record, and the one overwritten would no longer match its block.
      const lock = await lockPass(now);
      if (!lock) return 0;
      let sealed = 0;
      let sealing: { batchIds: string[]; done: Promise<void> } | undefined;
      try {
        // Rounds of up to PASS_INTENTS, each within the lock's lease, while more are open and the
        // budget lasts. A round's blocks are sealed while the next round reads and writes its
        // records (which then find the round's records in the table); rounds seal in order.
        const started = performance.now();
        for (let more = true; more && performance.now() - started < PASS_BUDGET_MS; ) {
          const round = await openIntents(days, now, PASS_INTENTS, new Set(sealing?.batchIds));
          const batchIds = round.intents.map((i) => i.intent.batchId);
          // The lock names what both rounds are sealing: a pass that dies leaves both to be resumed.
          if (round.intents.length === 0 || !(await lock.renew([...(sealing?.batchIds ?? []), ...batchIds]))) break;
          const written = await writeAll(round.intents.map(({ intent, heldByWriter }) => ({ intent, resumed: heldByWriter || lock.orphaned.has(intent.batchId) })));
          await sealing?.done;
          const done = sealAll(written, now);
          // Awaited by the next round or after the last; until then a failure must not go unhandled.
          done.catch(() => undefined);
          sealing = { batchIds, done };
          sealed += round.intents.length;
          more = round.more;
        }
        await sealing?.done;
      } catch (err) {
        // A round still sealing finishes (or fails) before the lock lapses: no second pass seals beside it.
        await sealing?.done.catch(() => undefined);
        await lock.abandon();
        throw err;
      }
      await lock.release();
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

    async recordsOccurredBetween(from, to, options = {}) {
      const [start, end] = [Date.parse(from), Date.parse(to)];
      const inRange = (record: AuditRecord) => {
        const at = Date.parse(record.occurredAt);
        return at >= start && at <= end;
      };
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
          if (inRange(record)) records.push(record);
        }
      }
      if (!options.unsealedAsOf) return records;
      // An intent waits under its arrival day; a pass takes yesterday's and today's. Oldest first.
      const seen = new Set(records.map((r) => r.eventId));
      const intents = (await Promise.all(sealPassDays(options.unsealedAsOf).map(openSeals))).flat().sort(olderIntentFirst);
      for (const record of intents.flatMap((intent) => intent.records)) {
        if (seen.has(record.eventId) || !inRange(record)) continue;
        seen.add(record.eventId);
        records.push(record);
      }
      return records;
    },
  };
  return store;
}

const pause = (round: number) => new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** round)));

/** Sends `chunk`, then what DynamoDB left unprocessed (backing off), until nothing is left. */
async function untilProcessed<T>(chunk: T[], send: (pending: T[]) => Promise<T[] | undefined>): Promise<void> {
  let pending: T[] | undefined = chunk;
  for (let round = 0; pending && pending.length > 0; round++) {
    if (round > 0) await pause(round);
    pending = await send(pending);
  }
}

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

/**
 * An intent's records as it stores them: their JSON, deflated, in one binary attribute. One
 * attribute to marshal and check, not fifteen per record; and a batch of routine events
 * shrinks about twentyfold (they share their shape and most of their values), so an intent
 * costs a few write units on AWS instead of one per kilobyte of its records, and each pass
 * reads and deletes a small item. Level 1: the fastest, and already most of the gain. A batch
 * of about one event keeps its JSON as text (`KEPT_AS_TEXT_UP_TO_CHARS`).
 */
export function packRecords(records: readonly AuditRecord[]): Uint8Array | string {
  const json = JSON.stringify(records);
  return json.length <= KEPT_AS_TEXT_UP_TO_CHARS ? json : deflateRawSync(json, { level: 1 });
}
/**
 * Up to this much JSON (one routine event's record is about 850 characters), an intent keeps
 * its records as text: the item is a write unit or so either way, and deflating would cost the
 * delivery 60-230 µs for nothing.
 */
const KEPT_AS_TEXT_UP_TO_CHARS = 1024;

/** An intent's records back: deflated JSON, or JSON text (one event's, or any intent a data folder kept from before records were packed). */
export function unpackRecords(stored: unknown, batchId: string): AuditRecord[] {
  if (!(stored instanceof Uint8Array) && typeof stored !== 'string') {
    throw new Error(`seal intent ${batchId}: records must be deflated JSON (binary) or JSON text, not ${stored === null ? 'null' : typeof stored}`);
  }
  let records: unknown;
  try {
    records = JSON.parse(typeof stored === 'string' ? stored : inflateRawSync(stored).toString('utf8'));
  } catch (err) {
    throw new Error(`seal intent ${batchId}: records cannot be read (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(records)) throw new Error(`seal intent ${batchId}: records must be a list, not ${records === null ? 'null' : typeof records}`);
  return records as AuditRecord[];
}

/** An intent item back (its TTL is the expiry its blocks and head get when a taker seals it). */
function toIntent(item: Record<string, unknown>): SealIntent & { expiresAt?: number } {
  const i = item as unknown as SealIntent;
  const expiresAt = item[TTL_ATTRIBUTE];
  const meta = { batchId: i.batchId, day: i.day, createdAt: i.createdAt, leaseUntil: i.leaseUntil, ...(typeof expiresAt === 'number' ? { expiresAt } : {}) };
  try {
    return { ...meta, records: unpackRecords(item.records, i.batchId) };
  } catch (err) {
    return { ...meta, records: [], unreadable: err instanceof Error ? err.message : String(err) };
  }
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
 * event id, each batch sealed as it is accepted, a block per source chain like the table, and read
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
        const body: BlockBody = { sealedAt: now.toISOString(), batchIds: [batchId], entries: group.records.map((r) => ({ eventId: r.eventId, recordHash: recordHash(group.chainId, r) })) };
        chains.set(group.chainId, [...(chains.get(group.chainId) ?? []), nextLink(group.chainId, headOf(group.chainId), body)]);
      }
      return outcomes;
    },
    async accept(batch, now) {
      await store.appendBatch(batch, now);
    },
    async append(record, now) {
      return (await store.appendBatch([record], now))[0] as AppendOutcome;
    },
    async sealPending() {
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
    // Sealed as accepted: nothing waits unsealed.
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
