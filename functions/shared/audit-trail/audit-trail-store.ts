/**
 * The audit trail in the state table: append-only, hash-chained, idempotent on the event id,
 * and safe if the function dies between any two writes (dynalite and this design use no
 * transactions; each step is a single-item conditional write that a redelivery can resume).
 *
 * Items:
 *   AUDIT#<eventId> / CLAIM          which chain and seq the event went to; state claimed → linked
 *   CHAIN#<chainId> / LINK#<seq>     the record, its previous hash and its hash
 *   HEAD#<chainId>  / HEAD           last seq and hash of the chain (may lag one link after a crash)
 * Chains are per source and arrival day, sharded by event id so concurrent writers rarely
 * contend for the same head.
 */
import { TransientError } from '../../../schemas/errors.ts';
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryPages } from '../dynamo-access.ts';
import { utcDaysBetween } from '../time.ts';
import type { AuditRecord } from './audit-record.ts';
import { nextLink, type ChainHead, type ChainLink } from './hash-chain.ts';

export const CHAIN_SHARDS = 8;
/** How long a claim is honoured before another delivery may take over a crashed append. */
const CLAIM_LEASE_MS = 60_000;
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
  return `${record.source}/${arrival.toISOString().slice(0, 10)}/${shard}`;
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
          Item: { pk: `HEAD#${link.chainId}`, sk: 'HEAD', seq: link.seq, hash: link.hash, gsi1pk: `CHAINS#${chainDay(link.chainId)}`, gsi1sk: link.chainId, expiresAt },
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
      client.send(new PutCommand({ TableName: tableName, Item: { pk: `AUDIT#${record.eventId}`, sk: 'CLAIM', ...fresh, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' })),
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
    queryAll(client, { TableName: tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': partition } });

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
          client.send(new PutCommand({ TableName: tableName, Item: { ...toStored(link), expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' })),
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
      return (await queryIndex(`CHAINS#${day}`)).map((item) => String(item.gsi1sk)).sort();
    },

    async recordsOccurredOn(day) {
      return (await queryIndex(`AUDITDAY#${day}`)).map((item) => (item as unknown as StoredLink).record);
    },

    async recordsOccurredBetween(from, to) {
      const [start, end] = [Date.parse(from), Date.parse(to)];
      const records: AuditRecord[] = [];
      for (const day of utcDaysBetween(from.slice(0, 10), to.slice(0, 10))) {
        // The key starts with the event's own time text (with or without milliseconds): bound by the second, then filter exactly.
        const items = await queryAll(client, {
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to',
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

function toStored(link: ChainLink<AuditRecord>): Record<string, unknown> {
  return {
    pk: `CHAIN#${link.chainId}`,
    sk: seqKey(link.seq),
    chainId: link.chainId,
    seq: link.seq,
    prevHash: link.prevHash,
    hash: link.hash,
    record: link.record,
    // Time-range reads for search: by the day the operation happened.
    gsi1pk: `AUDITDAY#${link.record.occurredAt.slice(0, 10)}`,
    gsi1sk: `${link.record.occurredAt}#${link.record.eventId}`,
  };
}

function fromStored(item: StoredLink): ChainLink<AuditRecord> {
  return { chainId: item.chainId, seq: item.seq, prevHash: item.prevHash, hash: item.hash, record: item.record };
}
