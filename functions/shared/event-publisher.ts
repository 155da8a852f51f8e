/**
 * EventPublisher over EventBridge PutEvents: batches of 10 (the API's limit), and entries
 * the bus refuses are retried a few times before the call fails, so a partial failure is
 * never mistaken for success.
 */
import { TransientError } from '../../schemas/errors.ts';
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, OutgoingEvent } from './ports.ts';

const MAX_ENTRIES_PER_CALL = 10;
const MAX_ATTEMPTS = 3;

/** The bus kept refusing entries: worth another try later (the delivery is retried). */
export class PublishError extends TransientError {}

export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(events: readonly OutgoingEvent[]): Promise<void> {
      for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
        let batch: PutEventsRequestEntry[] = events.slice(i, i + MAX_ENTRIES_PER_CALL).map((e) => ({
          EventBusName: eventBusName,
          Source: e.source,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
          Resources: e.resources ? [...e.resources] : undefined,
        }));
        for (let attempt = 1; batch.length > 0; attempt++) {
          const result = await client.send(new PutEventsCommand({ Entries: batch }));
          const failed = batch.filter((_, idx) => result.Entries?.[idx]?.ErrorCode);
          if (failed.length === 0) break;
          if (attempt >= MAX_ATTEMPTS) {
            const first = result.Entries?.find((e) => e.ErrorCode);
            throw new PublishError(`${failed.length} event(s) refused by bus ${eventBusName}: ${first?.ErrorCode} ${first?.ErrorMessage}`);
          }
          batch = failed;
        }
      }
    },
  };
}
