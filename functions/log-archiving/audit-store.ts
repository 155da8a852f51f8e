/**
 * Audit records in the state table. Appending is a conditional put keyed on the event id,
 * so a redelivered event is recorded once, whatever the order of arrival.
 *   pk = AUDIT#<eventId>, sk = RECORD
 *   gsi1pk = AUDITDAY#<yyyy-mm-dd of occurredAt>, gsi1sk = <occurredAt>#<eventId>  (time-range reads)
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from './audit-record.ts';

export interface AuditStore {
  /** `false` when the record was already there (a duplicate delivery). */
  append(record: AuditRecord): Promise<boolean>;
  get(eventId: string): Promise<AuditRecord | undefined>;
  listDay(day: string): Promise<AuditRecord[]>;
}

export function dynamoAuditStore(client: DynamoDBDocumentClient, tableName: string): AuditStore {
  return {
    async append(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `AUDIT#${record.eventId}`,
              sk: 'RECORD',
              gsi1pk: `AUDITDAY#${record.occurredAt.slice(0, 10)}`,
              gsi1sk: `${record.occurredAt}#${record.eventId}`,
              ...record,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },
    async get(eventId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: `AUDIT#${eventId}`, sk: 'RECORD' } }));
      return out.Item ? stripKeys(out.Item) : undefined;
    },
    async listDay(day) {
      const records: AuditRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :day',
            ExpressionAttributeValues: { ':day': `AUDITDAY#${day}` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) records.push(stripKeys(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return records;
    },
  };
}

function stripKeys(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...record } = item;
  return record as unknown as AuditRecord;
}
