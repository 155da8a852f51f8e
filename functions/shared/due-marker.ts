/**
 * A due marker: one item that says when the earliest item a sweep looks for can fall due, so
 * a sweep with nothing due (nearly every minute of a quiet month) costs one GetItem instead of
 * a query per index partition.
 *
 *   DUE#<name> / MARKER     earliest (ISO time), version (a number every writer bumps)
 *
 * The protocol (single-item conditional writes, safe to repeat, no transactions):
 *   - a writer puts its item first, then `lower(at)`: earliest becomes min(earliest, at), and
 *     the version goes up whether or not it moved;
 *   - a sweep `read()`s the marker; while `earliest` lies after `now` nothing can be due and it
 *     stops there (`isIdle`). Otherwise it sweeps, works out when the earliest item left falls
 *     due, and `settle`s: the marker takes that time (at most `recheckMs` ahead) only if no
 *     writer bumped the version since the read; if one did, the marker stays due and the next
 *     sweep looks again.
 * A writer that dies between its item and its `lower` leaves the item unseen until the marker
 * next falls due, at most `recheckMs` later: nothing is lost, at worst it is late by that much.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { conditionally, queryIndexPartition } from './dynamo-access.ts';
import { addMs } from './time.ts';

export interface MarkerReading {
  /** Undefined when the marker was never written (a first sweep looks at everything). */
  readonly earliest: string | undefined;
  readonly version: number | undefined;
}

export interface DueMarker {
  /** Says an item may fall due at `at` (ISO): call after the item is written. */
  lower(at: string): Promise<void>;
  read(): Promise<MarkerReading>;
  /** After a sweep that started from `reading`: the earliest item left falls due at `next` (undefined: none left). */
  settle(reading: MarkerReading, next: string | undefined, now: Date): Promise<void>;
}

/** Nothing can be due at `now`: every item the marker covers falls due after it. */
export const isIdle = (reading: MarkerReading, now: Date): boolean => reading.earliest !== undefined && Date.parse(reading.earliest) > now.getTime();

const NAMES = { '#earliest': 'earliest', '#version': 'version' };

/** When the first item of an index partition falls due (its sort key is `<ISO time>#...`); undefined when the partition is empty. */
export async function earliestOnIndex(client: DynamoDBDocumentClient, tableName: string, indexPartition: string): Promise<string | undefined> {
  const [first] = await queryIndexPartition(client, tableName, indexPartition, { limit: 1 });
  const sortKey = first?.[stateTable.globalSecondaryIndexes[0].sortKey];
  return typeof sortKey === 'string' ? sortKey.split('#')[0] : undefined;
}

/** The earliest of some ISO times, undefined for none. */
export const earliestOf = (times: readonly (string | undefined)[]): string | undefined =>
  times.filter((t): t is string => t !== undefined).sort((a, b) => Date.parse(a) - Date.parse(b))[0];

export function dynamoDueMarker(client: DynamoDBDocumentClient, tableName: string, name: string, recheckMs: number): DueMarker {
  const Key = { [stateTable.partitionKey]: `DUE#${name}`, [stateTable.sortKey]: 'MARKER' };
  /**
   * A time the marker was at or before when this writer last read or wrote it. When `at` is not
   * before it (a deadline moved later: a heartbeat), the marker most likely covers `at` already,
   * so the version is bumped first, conditionally, in one request; only if that finds the marker
   * later than `at` (a sweep or another writer moved it) is it lowered. The result is the same
   * either way; only the number of requests differs.
   */
  let coveredUpTo: string | undefined;
  return {
    async lower(at) {
      const iso = new Date(at).toISOString();
      const bump = (condition?: string) =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'ADD #version :one',
            ...(condition ? { ConditionExpression: condition, ExpressionAttributeValues: { ':one': 1, ':at': iso } } : { ExpressionAttributeValues: { ':one': 1 } }),
            ExpressionAttributeNames: condition ? NAMES : { '#version': NAMES['#version'] },
          }),
        );
      if (coveredUpTo !== undefined && coveredUpTo <= iso && (await conditionally(() => bump('#earliest <= :at')))) return;
      const lowered = await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #earliest = :at ADD #version :one',
            ConditionExpression: 'attribute_not_exists(#earliest) OR #earliest > :at',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':at': iso, ':one': 1 },
          }),
        ),
      );
      // Already as early or earlier: still bump the version, so a sweep in flight does not settle past this item.
      if (!lowered) await bump();
      coveredUpTo = iso;
    },
    async read() {
      const out = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      const item = out.Item;
      const earliest = typeof item?.earliest === 'string' ? item.earliest : undefined;
      coveredUpTo = earliest;
      return { earliest, version: typeof item?.version === 'number' ? item.version : undefined };
    },
    async settle(reading, next, now) {
      const recheck = addMs(now, recheckMs).toISOString();
      const earliest = next !== undefined && Date.parse(next) < Date.parse(recheck) ? next : recheck;
      const settled = await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #earliest = :earliest, #version = :version',
            ConditionExpression: reading.version === undefined ? 'attribute_not_exists(#version)' : '#version = :version',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':earliest': earliest, ':version': reading.version ?? 0 },
          }),
        ),
      );
      coveredUpTo = settled ? earliest : undefined;
    },
  };
}
