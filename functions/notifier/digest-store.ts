/**
 * Digests in the state table: low-severity notifications collected per owner, period, channel
 * and recipient (a bucket), summarised in one message once the period has ended.
 * Single-item conditional writes only; each write is safe to repeat.
 *
 *   NOTIFY#<messageId> / DIGESTED                 marker: this dedupe key went into a digest
 *        already (in the bucket it names); the message id is the hash of the dedupe key, as
 *        for an outbox message
 *   NOTIFY#DIGEST#<bucket> / ENTRY#<dedupeKey>    one line of a digest; on the state table's
 *        index (partition NOTIFY#DIGEST#OPEN, sort key <periodEnd>#<bucket>#<dedupeKey>) until
 *        summarised, so the drain reads the entries of ended periods (`queryDueOnIndex`)
 * Both carry the TTL attribute the flow gives (the outbox retention after the period's end).
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryDueOnIndex, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import type { DueMarker } from '../shared/due-marker.ts';
import type { DigestLine } from './render.ts';
import { messageIdOf, type Channel } from './routing.ts';

export interface DigestEntry {
  readonly bucket: string;
  readonly dedupeKey: string;
  readonly channel: Channel;
  readonly recipient: string;
  readonly owner: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly line: DigestLine;
}

export interface DigestStore {
  /** Adds the entry unless its dedupe key was digested before (in any period); false for a duplicate. */
  add(entry: DigestEntry, expiresAt: number): Promise<boolean>;
  /** Entries of periods that ended before `now` and were not summarised yet. */
  closed(now: Date): Promise<DigestEntry[]>;
  /** Takes summarised entries off the open index. */
  markSummarised(entries: readonly DigestEntry[]): Promise<void>;
}

export const DIGEST_OPEN = 'NOTIFY#DIGEST#OPEN';
const markerKey = (dedupeKey: string) => ({ pk: `NOTIFY#${messageIdOf(dedupeKey)}`, sk: 'DIGESTED' });
const entryKey = (entry: Pick<DigestEntry, 'bucket' | 'dedupeKey'>) => ({ pk: `NOTIFY#DIGEST#${entry.bucket}`, sk: `ENTRY#${entry.dedupeKey}` });

/** `wake`: the drain's due marker, lowered to each entry's period end (see `drain-wake.ts`). */
export function dynamoDigestStore(client: DynamoDBDocumentClient, tableName: string, wake?: Pick<DueMarker, 'lower'>): DigestStore {
  return {
    async add(entry, expiresAt) {
      const first = await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...markerKey(entry.dedupeKey), dedupeKey: entry.dedupeKey, bucket: entry.bucket, [TTL_ATTRIBUTE]: expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (!first) {
        // Digested before. In the same period it may be a retry after a crash between the two
        // writes, so the entry is written (idempotently); in another period it is a duplicate.
        const marker = await client.send(new GetCommand({ TableName: tableName, Key: markerKey(entry.dedupeKey), ConsistentRead: true }));
        if (marker.Item?.bucket !== entry.bucket) return false;
      }
      const added = await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...entryKey(entry),
              ...entry,
              line: JSON.stringify(entry.line),
              [stateIndex.partitionKey]: DIGEST_OPEN,
              [stateIndex.sortKey]: `${entry.periodEnd}#${entry.bucket}#${entry.dedupeKey}`,
              [TTL_ATTRIBUTE]: expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      await wake?.lower(entry.periodEnd);
      return added;
    },

    async closed(now) {
      return (await queryDueOnIndex(client, tableName, DIGEST_OPEN, now)).map((item) => ({
        bucket: String(item.bucket),
        dedupeKey: String(item.dedupeKey),
        channel: item.channel as DigestEntry['channel'],
        recipient: String(item.recipient),
        owner: String(item.owner),
        periodStart: String(item.periodStart),
        periodEnd: String(item.periodEnd),
        line: JSON.parse(String(item.line)) as DigestEntry['line'],
      }));
    },

    async markSummarised(entries) {
      for (const entry of entries) {
        await conditionally(() =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: entryKey(entry),
              UpdateExpression: 'REMOVE #ipk, #isk',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey },
            }),
          ),
        );
      }
    },
  };
}

/** The same store in memory, with the DynamoDB adapter's contract, for the unit tests of the flows. */
export function memoryDigestStore(): DigestStore {
  const entries = new Map<string, DigestEntry & { open: boolean }>();
  const digestedIn = new Map<string, string>();
  const keyOf = (entry: Pick<DigestEntry, 'bucket' | 'dedupeKey'>) => `${entry.bucket}|${entry.dedupeKey}`;
  const sortKey = (e: DigestEntry) => `${e.periodEnd}#${e.bucket}#${e.dedupeKey}`;
  return {
    async add(entry) {
      const bucket = digestedIn.get(entry.dedupeKey);
      if (bucket !== undefined && bucket !== entry.bucket) return false;
      digestedIn.set(entry.dedupeKey, entry.bucket);
      if (entries.has(keyOf(entry))) return false;
      entries.set(keyOf(entry), { ...structuredClone(entry), open: true });
      return true;
    },
    async closed(now) {
      return [...entries.values()]
        .filter((e) => e.open && e.periodEnd < now.toISOString())
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
        .map(({ open: _open, ...entry }) => structuredClone(entry));
    },
    async markSummarised(list) {
      for (const e of list) {
        const stored = entries.get(keyOf(e));
        if (stored) entries.set(keyOf(e), { ...stored, open: false });
      }
    },
  };
}
