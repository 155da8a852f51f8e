/**
 * Batched delivery (`batch` in the routing table): on AWS an SQS event source mapping hands a
 * function up to `size` EventBridge events at once, each an SQS record whose body is the event
 * as EventBridge put it on the queue; the function answers which records failed
 * (`batchItemFailures`, partial batch failure reporting), and only those come back, alone.
 * The local bus delivers the same shape. Schedules keep invoking the function directly with
 * one EventBridge event, so a batched handler takes both shapes. A function with a stream
 * trigger (`stateStreamTrigger`, AWS only) also gets the state table's DynamoDB stream records,
 * which have `Records` too: each shape is told by its records' `eventSource`.
 */
import type { DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type { DynamoDBStreamEvent, SQSBatchResponse, SQSEvent };

/** An event as EventBridge invokes a function with it, every field unchecked until the envelope is parsed. */
export interface IncomingEvent {
  readonly id?: unknown;
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly time?: unknown;
  readonly resources?: unknown;
  readonly detail?: unknown;
}

/**
 * Whether the invocation is an SQS batch: `Records` that are not a stream batch (else it is one
 * EventBridge event). A malformed message still belongs to its batch: it is handled alone
 * (recorded as unreadable, or reported failed) and the others as they are.
 */
export function isSqsBatch(event: unknown): event is SQSEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records) && !isDynamoStreamBatch(event);
}

/** Whether the invocation is a batch of DynamoDB stream records (some, each from `aws:dynamodb` with its `dynamodb` change), as a stream trigger delivers them. */
export function isDynamoStreamBatch(event: unknown): event is DynamoDBStreamEvent {
  const records: unknown = typeof event === 'object' && event !== null ? (event as { Records?: unknown }).Records : undefined;
  const isStreamRecord = (r: unknown) => typeof r === 'object' && r !== null && (r as { eventSource?: unknown }).eventSource === 'aws:dynamodb' && typeof (r as { dynamodb?: unknown }).dynamodb === 'object' && (r as { dynamodb?: unknown }).dynamodb !== null;
  return Array.isArray(records) && records.length > 0 && records.every(isStreamRecord);
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
