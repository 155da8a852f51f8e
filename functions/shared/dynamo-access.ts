/**
 * DynamoDB helpers every store in functions/ shares: reading a whole query through the SDK's
 * own paginator, and telling a lost conditional write (an expected race) from a real error.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { paginateQuery, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';

/** Pages of a query, lazily: callers that stop early read no further pages. */
export async function* queryPages(client: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Record<string, unknown>[]> {
  for await (const page of paginateQuery({ client }, input)) yield page.Items ?? [];
}

/** Every item a query returns, across all pages. */
export async function queryAll(client: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages(client, input)) items.push(...page);
  return items;
}

/** A conditional write that lost: someone else wrote first, or the condition no longer holds. */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write; false when its condition did not hold (a lost race, not an error). */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/**
 * The items of an index partition whose sort key (`<ISO time>#...`) comes before `before`:
 * what is due (overdue operations, leaver clocks past their deadline, expired grants,
 * messages to retry). The index is the state table's declared one, so no store spells its
 * names. Eventually consistent on AWS: a due item may show one sweep late, never early.
 */
export async function queryDueOnIndex(client: DynamoDBDocumentClient, tableName: string, indexPartition: string, before: Date | string, options: { limit?: number } = {}): Promise<Record<string, unknown>[]> {
  const index = stateTable.globalSecondaryIndexes[0];
  const input: QueryCommandInput = {
    TableName: tableName,
    IndexName: index.indexName,
    KeyConditionExpression: '#ipk = :partition AND #isk < :before',
    ExpressionAttributeNames: { '#ipk': index.partitionKey, '#isk': index.sortKey },
    ExpressionAttributeValues: { ':partition': indexPartition, ':before': new Date(before).toISOString() },
  };
  if (options.limit === undefined) return queryAll(client, input);
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages(client, { ...input, Limit: options.limit })) {
    items.push(...page);
    if (items.length >= options.limit) break;
  }
  return items.slice(0, options.limit);
}

/** The first `limit` items of an index partition, oldest sort key first unless `newestFirst`. */
export async function queryIndexPartition(client: DynamoDBDocumentClient, tableName: string, indexPartition: string, options: { limit: number; newestFirst?: boolean }): Promise<Record<string, unknown>[]> {
  const index = stateTable.globalSecondaryIndexes[0];
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: '#ipk = :partition',
      ExpressionAttributeNames: { '#ipk': index.partitionKey },
      ExpressionAttributeValues: { ':partition': indexPartition },
      ScanIndexForward: options.newestFirst !== true,
      Limit: options.limit,
    }),
  );
  return out.Items ?? [];
}

/** The state table's index and TTL attribute names, as declared (`infra/state-table.ts`). */
export const stateIndex = stateTable.globalSecondaryIndexes[0];
export const TTL_ATTRIBUTE = stateTable.ttlAttribute;
