/**
 * The notifier's items in the state table. Single-item conditional writes only (dynalite
 * has no transactions); each write is safe to repeat.
 *
 *   NOTIFY#<messageId> / MESSAGE        an outbox message; the id is a hash of its dedupe key
 *        (subject id, state, channel, recipient), so a duplicate event cannot add a second one.
 *        gsi1pk NOTIFY#PENDING|NOTIFY#SENT|NOTIFY#DEAD, gsi1sk <nextAttemptAt|sentAt|deadAt>#<messageId>:
 *        the drain reads due pending messages (gsi1sk < now), the CLI lists each state.
 *        expiresAt only once sent or dead: a pending message never expires.
 *   NOTIFY#<messageId> / DIGESTED       marker: this dedupe key went into a digest already
 *   NOTIFY#DIGEST#<bucket> / ENTRY#<dedupeKey>   one line of a digest;
 *        gsi1pk NOTIFY#DIGEST#OPEN, gsi1sk <periodEnd>#<bucket>#<dedupeKey> until summarised
 *   NOTIFY#SUBJECT#<key> / SUBJECT      title, severity and first-seen time of a finding or
 *        incident, for the resolve message
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll } from '../shared/dynamo-access.ts';
import type { RememberedSubject } from './notification.ts';
import type { DigestEntry, DigestStore, NewOutboxMessage, OutboxMessage, OutboxState, OutboxStore, SubjectMemory } from './ports.ts';
import type { MessagePayload } from './render.ts';
import { messageIdOf } from './routing.ts';

const messageKey = (messageId: string) => ({ pk: `NOTIFY#${messageId}`, sk: 'MESSAGE' });
const stateIndex = (state: OutboxState) => `NOTIFY#${state.toUpperCase()}`;
const DIGEST_OPEN = 'NOTIFY#DIGEST#OPEN';


export function dynamoOutboxStore(client: DynamoDBDocumentClient, tableName: string): OutboxStore {
  /** Moves a message that is on attempt `attempt` (and still pending); a lost race changes nothing. */
  const transition = (messageId: string, attempt: number, set: string, values: Record<string, unknown>) =>
    conditionally(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: messageKey(messageId),
          UpdateExpression: `SET ${set}`,
          ConditionExpression: '#state = :pending AND attempts = :attempt',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending', ':attempt': attempt, ...values },
        }),
      ),
    );

  return {
    async enqueue(message) {
      const { payload, ...fields } = message;
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...messageKey(message.messageId),
              ...fields,
              payload: JSON.stringify(payload),
              state: 'pending',
              attempts: 0,
              nextAttemptAt: message.notBefore,
              gsi1pk: stateIndex('pending'),
              gsi1sk: `${message.notBefore}#${message.messageId}`,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async get(messageId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: messageKey(messageId), ConsistentRead: true }));
      return out.Item ? toMessage(out.Item) : undefined;
    },

    async due(now, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          // `<nextAttemptAt ISO>#id` sorts before `<now ISO>~` exactly when nextAttemptAt <= now.
          KeyConditionExpression: 'gsi1pk = :pending AND gsi1sk < :now',
          ExpressionAttributeValues: { ':pending': stateIndex('pending'), ':now': `${now.toISOString()}~` },
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(toMessage);
    },

    async claim(message, now, leaseUntil) {
      const lease = leaseUntil.toISOString();
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: messageKey(message.messageId),
            UpdateExpression: 'SET attempts = :next, nextAttemptAt = :lease, gsi1sk = :leaseSk',
            ConditionExpression: '#state = :pending AND attempts = :attempts AND nextAttemptAt <= :now',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':pending': 'pending',
              ':attempts': message.attempts,
              ':next': message.attempts + 1,
              ':now': now.toISOString(),
              ':lease': lease,
              ':leaseSk': `${lease}#${message.messageId}`,
            },
          }),
        ),
      );
    },

    async markSent(messageId, attempt, sentAt, expiresAt) {
      const at = sentAt.toISOString();
      await transition(messageId, attempt, '#state = :sent, sentAt = :at, gsi1pk = :index, gsi1sk = :sk, expiresAt = :expires', {
        ':sent': 'sent', ':at': at, ':index': stateIndex('sent'), ':sk': `${at}#${messageId}`, ':expires': expiresAt,
      });
    },

    async reschedule(messageId, attempt, at, error) {
      const when = at.toISOString();
      await transition(messageId, attempt, 'nextAttemptAt = :when, gsi1sk = :sk, lastError = :error', { ':when': when, ':sk': `${when}#${messageId}`, ':error': error });
    },

    async markDead(messageId, attempt, reason, at, expiresAt) {
      const when = at.toISOString();
      await transition(messageId, attempt, '#state = :dead, deadAt = :at, lastError = :error, gsi1pk = :index, gsi1sk = :sk, expiresAt = :expires', {
        ':dead': 'dead', ':at': when, ':error': reason, ':index': stateIndex('dead'), ':sk': `${when}#${messageId}`, ':expires': expiresAt,
      });
    },

    async list(state, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :index',
          ExpressionAttributeValues: { ':index': stateIndex(state) },
          ScanIndexForward: state === 'pending',
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(toMessage);
    },
  };
}

export function dynamoDigestStore(client: DynamoDBDocumentClient, tableName: string): DigestStore {
  return {
    async add(entry, expiresAt) {
      const first = await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: `NOTIFY#${messageIdOf(entry.dedupeKey)}`, sk: 'DIGESTED', dedupeKey: entry.dedupeKey, bucket: entry.bucket, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (!first) {
        // Digested before. In the same period it may be a retry after a crash between the two
        // writes, so the entry is written (idempotently); in another period it is a duplicate.
        const marker = await client.send(new GetCommand({ TableName: tableName, Key: { pk: `NOTIFY#${messageIdOf(entry.dedupeKey)}`, sk: 'DIGESTED' }, ConsistentRead: true }));
        if (marker.Item?.bucket !== entry.bucket) return false;
      }
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: `NOTIFY#DIGEST#${entry.bucket}`,
              sk: `ENTRY#${entry.dedupeKey}`,
              ...entry,
              line: JSON.stringify(entry.line),
              gsi1pk: DIGEST_OPEN,
              gsi1sk: `${entry.periodEnd}#${entry.bucket}#${entry.dedupeKey}`,
              expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async closed(now) {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :open AND gsi1sk < :now',
        ExpressionAttributeValues: { ':open': DIGEST_OPEN, ':now': now.toISOString() },
      });
      return items.map((item) => ({
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
              Key: { pk: `NOTIFY#DIGEST#${entry.bucket}`, sk: `ENTRY#${entry.dedupeKey}` },
              UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
              ConditionExpression: 'attribute_exists(pk)',
            }),
          ),
        );
      }
    },
  };
}

export function dynamoSubjectMemory(client: DynamoDBDocumentClient, tableName: string): SubjectMemory {
  const key = (subjectKey: string) => ({ pk: `NOTIFY#SUBJECT#${subjectKey}`, sk: 'SUBJECT' });
  return {
    async remember(subject, expiresAt) {
      await conditionally(() =>
        client.send(new PutCommand({ TableName: tableName, Item: { ...key(subject.key), ...subject, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },
    async recall(subjectKey) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: key(subjectKey), ConsistentRead: true }));
      const item = out.Item;
      if (item === undefined) return undefined;
      return {
        key: String(item.key),
        title: String(item.title),
        severity: item.severity as RememberedSubject['severity'],
        firstSeenAt: String(item.firstSeenAt),
        owner: typeof item.owner === 'string' ? item.owner : undefined,
        incidentSeverity: typeof item.incidentSeverity === 'string' ? (item.incidentSeverity as RememberedSubject['incidentSeverity']) : undefined,
      };
    },
  };
}

function toMessage(item: Record<string, unknown>): OutboxMessage {
  return {
    messageId: String(item.messageId),
    dedupeKey: String(item.dedupeKey),
    channel: item.channel as OutboxMessage['channel'],
    recipient: String(item.recipient),
    payload: JSON.parse(String(item.payload)) as MessagePayload,
    about: String(item.about),
    createdAt: String(item.createdAt),
    notBefore: String(item.notBefore),
    state: item.state as OutboxState,
    attempts: Number(item.attempts),
    nextAttemptAt: String(item.nextAttemptAt ?? ''),
    sentAt: typeof item.sentAt === 'string' ? item.sentAt : undefined,
    lastError: typeof item.lastError === 'string' ? item.lastError : undefined,
  };
}
