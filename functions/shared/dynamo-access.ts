/**
 * DynamoDB helpers every store in functions/ shares: reading a whole query through the SDK's
 * own paginator, and telling a lost conditional write (an expected race) from a real error.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

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
