/**
 * Batched delivery (`batch` in the routing table): on AWS an SQS event source mapping hands a
 * function up to `size` EventBridge events at once, each an SQS record whose body is the event
 * as EventBridge put it on the queue; the function answers which records failed
 * (`batchItemFailures`, partial batch failure reporting), and only those come back, alone.
 * The local bus delivers the same shape. Schedules keep invoking the function directly with
 * one EventBridge event, so a batched handler takes both shapes.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type { SQSBatchResponse, SQSEvent };

/** An event as EventBridge invokes a function with it, every field unchecked until the envelope is parsed. */
export interface IncomingEvent {
  readonly id?: unknown;
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly time?: unknown;
  readonly resources?: unknown;
  readonly detail?: unknown;
}

/** Whether the invocation is an SQS batch (else it is one EventBridge event). */
export function isSqsBatch(event: unknown): event is SQSEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);
}

/** The EventBridge event in a record's body; a body that is not JSON is kept as text (the trail still records it). */
export function eventOfRecord(record: SQSEvent['Records'][number]): IncomingEvent {
  try {
    const parsed: unknown = JSON.parse(record.body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as IncomingEvent;
  } catch {
    // fall through: an unreadable body
  }
  return { id: `sqs-message:${record.messageId}`, source: '(unreadable SQS body)', 'detail-type': '(unreadable SQS body)', detail: { body: record.body } };
}

/**
 * Runs `handle` on each record's event in order; a record whose handling throws is reported
 * failed (and comes back alone), the others are done. The handler logs its own failures.
 */
export async function eachRecord(batch: SQSEvent, handle: (event: IncomingEvent) => Promise<unknown>): Promise<SQSBatchResponse> {
  const failed: { itemIdentifier: string }[] = [];
  for (const record of batch.Records) {
    try {
      await handle(eventOfRecord(record));
    } catch {
      failed.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failed };
}
