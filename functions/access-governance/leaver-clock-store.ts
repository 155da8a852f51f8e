/**
 * Leaver and mover clocks (guide 2.3): a departure or a transfer starts a clock whose
 * deadline is when the person's old access must be gone; the sweep acts on each clock once
 * it is due, then closes it.
 *
 *   ACCESS#PERSON#<person> / CLOCK#<kind>#<at>   the clock (kind departure|transfer, at, deadline,
 *                                                eventId); while open, on the state index
 *                                                ACCESS#CLOCK-OPEN / <deadline>#<person>
 *
 * Clocks sit in the person's partition (keys.ts). Single-item conditional writes, each safe
 * to repeat.
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryDueOnIndex, stateIndex } from '../shared/dynamo-access.ts';
import { addMs } from '../shared/time.ts';
import { inKeyOrder, personPartition } from './keys.ts';

const OPEN_CLOCKS = 'ACCESS#CLOCK-OPEN';
const clockKey = (clock: Pick<LeaverClock, 'person' | 'kind' | 'at'>) => ({ pk: personPartition(clock.person), sk: `CLOCK#${clock.kind}#${clock.at}` });
const openClocksSortKey = (clock: Pick<LeaverClock, 'deadline' | 'person'>) => `${clock.deadline}#${clock.person}`;

/** The deadline a departure or a transfer sets for revoking the person's old access. */
export interface LeaverClock {
  readonly person: string;
  readonly kind: 'departure' | 'transfer';
  /** When the departure or the transfer took effect (ISO, UTC). */
  readonly at: string;
  readonly deadline: string;
  readonly eventId: string;
}

export interface LeaverClockStore {
  /** Starts the clock, once (a redelivery finds it started). */
  start(clock: LeaverClock): Promise<void>;
  /** Open clocks whose deadline is at or before `now`. */
  due(now: Date): Promise<LeaverClock[]>;
  /** Closes the clock; true when this call closed it. */
  close(clock: LeaverClock): Promise<boolean>;
}

export function dynamoLeaverClockStore(client: DynamoDBDocumentClient, tableName: string): LeaverClockStore {
  const index = { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey };
  return {
    async start(clock) {
      await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...clockKey(clock), ...clock, [stateIndex.partitionKey]: OPEN_CLOCKS, [stateIndex.sortKey]: openClocksSortKey(clock) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async due(now) {
      // `<deadline>#…` sorts before the next millisecond exactly when the deadline is at or before `now`.
      const items = await queryDueOnIndex(client, tableName, OPEN_CLOCKS, addMs(now, 1));
      return items.map((i) => ({ person: String(i.person), kind: i.kind === 'transfer' ? 'transfer' : 'departure', at: String(i.at), deadline: String(i.deadline), eventId: String(i.eventId) }));
    },

    async close(clock) {
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: clockKey(clock),
            UpdateExpression: 'SET closed = :true REMOVE #ipk, #isk',
            ConditionExpression: 'attribute_exists(#ipk)',
            ExpressionAttributeNames: index,
            ExpressionAttributeValues: { ':true': true },
          }),
        ),
      );
    },
  };
}

export function memoryLeaverClockStore(): LeaverClockStore {
  const clocks = new Map<string, { clock: LeaverClock; open: boolean }>();
  const keyOf = (clock: LeaverClock) => `${clock.person}\n${clock.kind}\n${clock.at}`;
  return {
    async start(clock) {
      if (!clocks.has(keyOf(clock))) clocks.set(keyOf(clock), { clock, open: true });
    },
    async due(now) {
      return [...clocks.values()]
        .filter((c) => c.open && c.clock.deadline <= now.toISOString())
        .map((c) => c.clock)
        .sort((a, b) => inKeyOrder(openClocksSortKey(a), openClocksSortKey(b)));
    },
    async close(clock) {
      const stored = clocks.get(keyOf(clock));
      if (!stored?.open) return false;
      stored.open = false;
      return true;
    },
  };
}
