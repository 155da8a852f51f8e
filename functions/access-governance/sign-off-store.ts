/**
 * Reviewers' sign-offs of the monthly permission audit (guide 2.5).
 *
 *   ACCESS#REVIEW#<month> / SIGNOFF#<reviewer>   the reviewer's latest sign-off of the month:
 *                                                comment, eventId, time
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../shared/dynamo-access.ts';
import { inKeyOrder } from './keys.ts';
import type { SignOff } from './permission-report.ts';

const reviewPartition = (month: string) => `ACCESS#REVIEW#${month}`;
const signOffSortKey = (reviewer: string) => `SIGNOFF#${reviewer}`;

export interface SignOffRecord extends SignOff {
  readonly month: string;
  readonly eventId: string;
}

export interface SignOffStore {
  /** Records the sign-off; a later one by the same reviewer for the same month replaces it. */
  record(signOff: SignOffRecord): Promise<void>;
  /** The month's sign-offs, in reviewer order. */
  ofMonth(month: string): Promise<SignOff[]>;
}

export function dynamoSignOffStore(client: DynamoDBDocumentClient, tableName: string): SignOffStore {
  return {
    async record(signOff) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: reviewPartition(signOff.month), sk: signOffSortKey(signOff.reviewer), ...signOff } }));
    },

    async ofMonth(month) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': reviewPartition(month) }, ConsistentRead: true });
      return items.map((i) => ({ reviewer: String(i.reviewer), ...(typeof i.comment === 'string' ? { comment: i.comment } : {}), time: String(i.time) }));
    },
  };
}

export function memorySignOffStore(): SignOffStore {
  const signOffs = new Map<string, SignOffRecord>();
  return {
    async record(signOff) {
      signOffs.set(`${reviewPartition(signOff.month)}\n${signOffSortKey(signOff.reviewer)}`, signOff);
    },
    async ofMonth(month) {
      return [...signOffs.values()]
        .filter((o) => o.month === month)
        .sort((a, b) => inKeyOrder(a.reviewer, b.reviewer))
        .map((o) => ({ reviewer: o.reviewer, ...(o.comment ? { comment: o.comment } : {}), time: o.time }));
    },
  };
}
