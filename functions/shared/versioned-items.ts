/**
 * One item per subject, written with an optimistic version: a writer reads the item at
 * version n and writes n + 1 only if nobody wrote in between (version 1: only if no item
 * exists yet). A lost write returns false, and the caller reads again and retries. The
 * threshold hosts, the slow-SQL modules and the incidents are kept this way; each store keeps
 * its own key layout and item shape, and shares this access and the in-memory twin.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { conditionally } from './dynamo-access.ts';

/** The item at (`partition`, `sort`), read consistently. */
export async function getItem(client: DynamoDBDocumentClient, tableName: string, partition: string, sort: string): Promise<Record<string, unknown> | undefined> {
  const out = await client.send(new GetCommand({ TableName: tableName, Key: { [stateTable.partitionKey]: partition, [stateTable.sortKey]: sort }, ConsistentRead: true }));
  return out.Item;
}

/** Puts `item` (carrying its key and `version`) if the stored version is still `version - 1`; false when it lost the race. */
export function putVersioned(client: DynamoDBDocumentClient, tableName: string, item: Record<string, unknown>, version: number): Promise<boolean> {
  return conditionally(() =>
    client.send(new PutCommand({
      TableName: tableName,
      Item: { ...item, version },
      ...(version === 1
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': stateTable.partitionKey } }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': version - 1 } }),
    })),
  );
}

/** The in-memory twin: `items` by subject with their due time, `writes` counts saves that landed. */
export interface MemoryVersionedItems<T> {
  readonly items: Map<string, { state: T; dueAt?: string }>;
  writes: number;
  get(subject: string): Promise<T | undefined>;
  /** Writes if the stored version is still `version - 1`; `dueAt` undefined takes the subject off the due list. */
  save(state: T, dueAt: string | undefined): Promise<boolean>;
  /** Subjects whose due time passed before `now`. */
  dueBefore(now: Date): Promise<T[]>;
  list(): Promise<T[]>;
}

/** Versioned items in memory (unit tests, the bench's baseline), with the same conditional write as DynamoDB's. */
export function memoryVersionedItems<T>(subjectOf: (state: T) => string, versionOf: (state: T) => number): MemoryVersionedItems<T> {
  const items = new Map<string, { state: T; dueAt?: string }>();
  const store: MemoryVersionedItems<T> = {
    items,
    writes: 0,
    async get(subject) {
      const found = items.get(subject);
      return found ? structuredClone(found.state) : undefined;
    },
    async save(state, dueAt) {
      const subject = subjectOf(state);
      const stored = items.get(subject);
      if ((stored ? versionOf(stored.state) : 0) !== versionOf(state) - 1) return false;
      items.set(subject, { state: structuredClone(state), ...(dueAt ? { dueAt } : {}) });
      store.writes++;
      return true;
    },
    async dueBefore(now) {
      return [...items.values()].filter((i) => i.dueAt !== undefined && i.dueAt < now.toISOString()).map((i) => structuredClone(i.state));
    },
    async list() {
      return [...items.values()].map((i) => structuredClone(i.state));
    },
  };
  return store;
}
