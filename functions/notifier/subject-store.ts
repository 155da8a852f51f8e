/**
 * What the notifier remembers of a finding or incident when it is first seen (title,
 * severity, first-seen time, owner), so that the messages of its later steps — acknowledged,
 * resolved — can name it even when their events do not. One item per subject:
 *
 *   NOTIFY#SUBJECT#<key> / SUBJECT      the first description; never overwritten; the TTL
 *        attribute the flow gives (a year: longer than any life cycle that matters here)
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import type { RememberedSubject } from './notification.ts';

export interface SubjectStore {
  /** Keeps the first description of a finding or incident; later calls change nothing. */
  remember(subject: RememberedSubject, expiresAt: number): Promise<void>;
  recall(key: string): Promise<RememberedSubject | undefined>;
}

const subjectKey = (key: string) => ({ pk: `NOTIFY#SUBJECT#${key}`, sk: 'SUBJECT' });

export function dynamoSubjectStore(client: DynamoDBDocumentClient, tableName: string): SubjectStore {
  return {
    async remember(subject, expiresAt) {
      await conditionally(() =>
        client.send(new PutCommand({ TableName: tableName, Item: { ...subjectKey(subject.key), ...subject, [TTL_ATTRIBUTE]: expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },
    async recall(key) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: subjectKey(key), ConsistentRead: true }));
      const item = out.Item;
      if (item === undefined) return undefined;
      return {
        key: String(item.key),
        title: String(item.title),
        severity: item.severity as RememberedSubject['severity'],
        firstSeenAt: String(item.firstSeenAt),
        owner: typeof item.owner === 'string' ? item.owner : undefined,
        incidentSeverity: typeof item.incidentSeverity === 'string' ? (item.incidentSeverity as RememberedSubject['incidentSeverity']) : undefined,
        ...(typeof item.control === 'string' ? { control: item.control } : {}),
      };
    },
  };
}

/** The same store in memory, for the unit tests of the flows. */
export function memorySubjectStore(): SubjectStore {
  const subjects = new Map<string, RememberedSubject>();
  return {
    async remember(subject) {
      if (!subjects.has(subject.key)) subjects.set(subject.key, structuredClone(subject));
    },
    async recall(key) {
      const subject = subjects.get(key);
      return subject ? structuredClone(subject) : undefined;
    },
  };
}
