/**
 * Where the hourly behaviour analysis got to: one item in the state table.
 *
 *   BEHAVIOUR#CURSOR / HOURLY      `analysedUntil`: end (exclusive) of the last hour analysed
 *
 * The cursor only moves forward (a conditional write), so a late or duplicated run never
 * takes it back and each hour is analysed once.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../shared/dynamo-access.ts';

export interface BehaviourCursorStore {
  /** End (exclusive) of the last hour analysed, if any run finished. */
  analysedUntil(): Promise<Date | undefined>;
  /** Moves the cursor forward to `until`; never backwards. */
  advance(until: Date): Promise<void>;
}

export function dynamoBehaviourCursorStore(client: DynamoDBDocumentClient, tableName: string): BehaviourCursorStore {
  const key = { pk: 'BEHAVIOUR#CURSOR', sk: 'HOURLY' };
  return {
    async analysedUntil() {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return typeof out.Item?.analysedUntil === 'string' ? new Date(out.Item.analysedUntil) : undefined;
    },
    async advance(until) {
      await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key, analysedUntil: until.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk) OR analysedUntil < :until',
            ExpressionAttributeValues: { ':until': until.toISOString() },
          }),
        ),
      );
    },
  };
}

/** The same cursor in memory, for the unit tests of the flow (and the benches). */
export function memoryBehaviourCursorStore(start?: Date): BehaviourCursorStore {
  let until = start;
  return {
    async analysedUntil() {
      return until;
    },
    async advance(to) {
      if (until === undefined || until < to) until = to;
    },
  };
}
