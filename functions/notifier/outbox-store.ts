/**
 * The notifier's outbox in the state table: one message per delivery (finding or incident,
 * state change, channel, recipient), kept until it is sent or given up on, so nothing is
 * lost while a channel is down. Single-item conditional writes only (dynalite has no
 * transactions); each write is safe to repeat.
 *
 *   NOTIFY#<messageId> / MESSAGE        an outbox message; the id is a hash of its dedupe key
 *        (subject id, state, channel, recipient), so a duplicate event cannot add a second one.
 *        On the state table's index: partition NOTIFY#PENDING|NOTIFY#SENT|NOTIFY#DEAD, sort key
 *        <nextAttemptAt|sentAt|deadAt>#<messageId>: the drain reads the due pending messages
 *        (`queryDueOnIndex`), the CLI lists each state.
 *        The TTL attribute only once sent or dead: a pending message never expires.
 *   DUE#notifier-drain / MARKER   when the drain next has something to do (`drain-wake.ts`):
 *        lowered after each enqueue, so an idle drain costs one GetItem.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryDueOnIndex, queryIndexPartition, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import type { DueMarker } from '../shared/due-marker.ts';
import { addMs } from '../shared/time.ts';
import type { MessagePayload } from './render.ts';
import type { Channel } from './routing.ts';

export type OutboxState = 'pending' | 'sent' | 'dead';
export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'sent', 'dead'];

export interface NewOutboxMessage {
  readonly messageId: string;
  readonly dedupeKey: string;
  readonly channel: Channel;
  readonly recipient: string;
  readonly payload: MessagePayload;
  /** Finding or incident id (or the digest bucket) the message is about, for inspection. */
  readonly about: string;
  readonly createdAt: string;
  /** First attempt not before this instant. */
  readonly notBefore: string;
}

export interface OutboxMessage extends NewOutboxMessage {
  readonly state: OutboxState;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly sentAt: string | undefined;
  readonly lastError: string | undefined;
  /** Set when the message was done with but reached nobody, and why ("not sent: no channel configured"). */
  readonly notSent?: string | undefined;
}

export interface OutboxStore {
  /** Stores a new pending message; false when one with this id exists already (a duplicate). */
  enqueue(message: NewOutboxMessage): Promise<boolean>;
  get(messageId: string): Promise<OutboxMessage | undefined>;
  /** Pending messages whose next attempt is due at `now` (at or before it), oldest first, at most `limit`. */
  due(now: Date, limit: number): Promise<OutboxMessage[]>;
  /**
   * Takes the message for one attempt: only if it is still pending, due, and nobody else
   * started attempt `attempts + 1`. Its next attempt moves to `leaseUntil`, so a crash
   * mid-send leaves it to a later drain. False when someone else took it.
   */
  claim(message: OutboxMessage, now: Date, leaseUntil: Date): Promise<boolean>;
  /** `notSent`: no channel carried it (the console stand-in); recorded so `notifications list` says so. */
  markSent(messageId: string, attempt: number, sentAt: Date, expiresAt: number, notSent?: string): Promise<void>;
  reschedule(messageId: string, attempt: number, at: Date, error: string): Promise<void>;
  markDead(messageId: string, attempt: number, reason: string, at: Date, expiresAt: number): Promise<void>;
  /** Messages in a state, newest first (pending: next due first). */
  list(state: OutboxState, limit: number): Promise<OutboxMessage[]>;
}

const messageKey = (messageId: string) => ({ pk: `NOTIFY#${messageId}`, sk: 'MESSAGE' });
export const statePartition = (state: OutboxState) => `NOTIFY#${state.toUpperCase()}`;
const indexSortKey = (at: string, messageId: string) => `${at}#${messageId}`;

/** `wake`: the drain's due marker, lowered to each new message's first attempt (see `drain-wake.ts`). */
export function dynamoOutboxStore(client: DynamoDBDocumentClient, tableName: string, wake?: Pick<DueMarker, 'lower'>): OutboxStore {
  const indexNames = { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey };
  /** Moves a message that is on attempt `attempt` (and still pending); a lost race changes nothing. */
  const transition = (messageId: string, attempt: number, set: string, values: Record<string, unknown>, names: Record<string, string> = {}) =>
    conditionally(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: messageKey(messageId),
          UpdateExpression: `SET ${set}`,
          ConditionExpression: '#state = :pending AND attempts = :attempt',
          ExpressionAttributeNames: { '#state': 'state', ...names },
          ExpressionAttributeValues: { ':pending': 'pending', ':attempt': attempt, ...values },
        }),
      ),
    );

  return {
    async enqueue(message) {
      const { payload, ...fields } = message;
      const added = await conditionally(() =>
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
              [stateIndex.partitionKey]: statePartition('pending'),
              [stateIndex.sortKey]: indexSortKey(message.notBefore, message.messageId),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      // Also for a duplicate: the first enqueue may have died before it lowered the marker.
      await wake?.lower(message.notBefore);
      return added;
    },

    async get(messageId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: messageKey(messageId), ConsistentRead: true }));
      return out.Item ? toMessage(out.Item) : undefined;
    },

    async due(now, limit) {
      // Due at `now` included: `<nextAttemptAt ISO>#id` sorts before the next millisecond exactly when nextAttemptAt <= now.
      return (await queryDueOnIndex(client, tableName, statePartition('pending'), addMs(now, 1), { limit })).map(toMessage);
    },

    async claim(message, now, leaseUntil) {
      const lease = leaseUntil.toISOString();
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: messageKey(message.messageId),
            UpdateExpression: 'SET attempts = :next, nextAttemptAt = :lease, #isk = :leaseSk',
            ConditionExpression: '#state = :pending AND attempts = :attempts AND nextAttemptAt <= :now',
            ExpressionAttributeNames: { '#state': 'state', '#isk': stateIndex.sortKey },
            ExpressionAttributeValues: {
              ':pending': 'pending',
              ':attempts': message.attempts,
              ':next': message.attempts + 1,
              ':now': now.toISOString(),
              ':lease': lease,
              ':leaseSk': indexSortKey(lease, message.messageId),
            },
          }),
        ),
      );
    },

    async markSent(messageId, attempt, sentAt, expiresAt, notSent) {
      const at = sentAt.toISOString();
      await transition(
        messageId,
        attempt,
        `#state = :sent, sentAt = :at, #ipk = :index, #isk = :sk, #ttl = :expires${notSent === undefined ? '' : ', notSent = :notSent'}`,
        { ':sent': 'sent', ':at': at, ':index': statePartition('sent'), ':sk': indexSortKey(at, messageId), ':expires': expiresAt, ...(notSent === undefined ? {} : { ':notSent': notSent }) },
        { ...indexNames, '#ttl': TTL_ATTRIBUTE },
      );
    },

    async reschedule(messageId, attempt, at, error) {
      const when = at.toISOString();
      await transition(messageId, attempt, 'nextAttemptAt = :when, #isk = :sk, lastError = :error', { ':when': when, ':sk': indexSortKey(when, messageId), ':error': error }, { '#isk': stateIndex.sortKey });
    },

    async markDead(messageId, attempt, reason, at, expiresAt) {
      const when = at.toISOString();
      await transition(
        messageId,
        attempt,
        '#state = :dead, deadAt = :at, lastError = :error, #ipk = :index, #isk = :sk, #ttl = :expires',
        { ':dead': 'dead', ':at': when, ':error': reason, ':index': statePartition('dead'), ':sk': indexSortKey(when, messageId), ':expires': expiresAt },
        { ...indexNames, '#ttl': TTL_ATTRIBUTE },
      );
    },

    async list(state, limit) {
      const items = await queryIndexPartition(client, tableName, statePartition(state), { limit, newestFirst: state !== 'pending' });
      return items.map(toMessage);
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
    ...(typeof item.notSent === 'string' ? { notSent: item.notSent } : {}),
  };
}

/** The same outbox in memory, with the DynamoDB adapter's contract, for the unit tests of the flows. */
export function memoryOutboxStore(): OutboxStore & { readonly messages: Map<string, OutboxMessage & { indexedAt: string }> } {
  const messages = new Map<string, OutboxMessage & { indexedAt: string }>();
  const copy = <T>(value: T): T => structuredClone(value);
  const strip = ({ indexedAt: _at, ...message }: OutboxMessage & { indexedAt: string }): OutboxMessage => copy(message);
  const inState = (state: OutboxState) => [...messages.values()].filter((m) => m.state === state).sort((a, b) => (indexSortKey(a.indexedAt, a.messageId) < indexSortKey(b.indexedAt, b.messageId) ? -1 : 1));
  const move = (id: string, attempt: number, change: Partial<OutboxMessage & { indexedAt: string }>) => {
    const m = messages.get(id);
    if (m && m.state === 'pending' && m.attempts === attempt) messages.set(id, { ...m, ...change });
  };
  return {
    messages,
    async enqueue(message) {
      if (messages.has(message.messageId)) return false;
      messages.set(message.messageId, { ...copy(message), state: 'pending', attempts: 0, nextAttemptAt: message.notBefore, sentAt: undefined, lastError: undefined, indexedAt: message.notBefore });
      return true;
    },
    async get(id) {
      const m = messages.get(id);
      return m ? strip(m) : undefined;
    },
    async due(now, limit) {
      return inState('pending').filter((m) => m.nextAttemptAt <= now.toISOString()).slice(0, limit).map(strip);
    },
    async claim(message, now, leaseUntil) {
      const m = messages.get(message.messageId);
      if (!m || m.state !== 'pending' || m.attempts !== message.attempts || m.nextAttemptAt > now.toISOString()) return false;
      messages.set(m.messageId, { ...m, attempts: m.attempts + 1, nextAttemptAt: leaseUntil.toISOString(), indexedAt: leaseUntil.toISOString() });
      return true;
    },
    async markSent(id, attempt, at, _expiresAt, notSent) {
      move(id, attempt, { state: 'sent', sentAt: at.toISOString(), indexedAt: at.toISOString(), ...(notSent === undefined ? {} : { notSent }) });
    },
    async reschedule(id, attempt, at, error) {
      move(id, attempt, { nextAttemptAt: at.toISOString(), lastError: error, indexedAt: at.toISOString() });
    },
    async markDead(id, attempt, reason, at) {
      move(id, attempt, { state: 'dead', lastError: reason, indexedAt: at.toISOString() });
    },
    async list(state, limit) {
      const ordered = inState(state);
      return (state === 'pending' ? ordered : ordered.reverse()).slice(0, limit).map(strip);
    },
  };
}
