/**
 * Whether the every-minute drain has anything to do, from one item: the due marker
 * `DUE#notifier-drain / MARKER` (`functions/shared/due-marker.ts`). The outbox and digest
 * stores lower it after each new message or digest entry; the drain reads it first and, when
 * it lies ahead, stops there (one GetItem); after a drain that looked, it is settled to the
 * earliest pending message or open digest period left (a Query with Limit 1 on each).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDueMarker, earliestOf, earliestOnIndex, type DueMarker, type MarkerReading } from '../shared/due-marker.ts';
import { HOUR_MS } from '../shared/time.ts';
import { DIGEST_OPEN } from './digest-store.ts';
import { statePartition } from './outbox-store.ts';

/** Even when idle, the drain looks at everything this often (bounds how late a message a crashed writer left unmarked goes out). */
export const DRAIN_RECHECK_MS = HOUR_MS;

export interface DrainWake {
  readonly marker: DueMarker;
  read(): Promise<MarkerReading>;
  /** After a drain that started from `reading`: the marker takes the earliest time anything is due again. */
  settle(reading: MarkerReading, now: Date): Promise<void>;
}

export function dynamoDrainWake(client: DynamoDBDocumentClient, tableName: string): DrainWake {
  const marker = dynamoDueMarker(client, tableName, 'notifier-drain', DRAIN_RECHECK_MS);
  return {
    marker,
    read: () => marker.read(),
    async settle(reading, now) {
      const next = earliestOf([await earliestOnIndex(client, tableName, statePartition('pending')), await earliestOnIndex(client, tableName, DIGEST_OPEN)]);
      await marker.settle(reading, next, now);
    },
  };
}
