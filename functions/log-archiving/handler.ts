/**
 * log-archiving: every event on the bus becomes an audit record, sealed in blocks (guide
 * 6.1). Thin: build the records (pure) and accept them as one batch — one write, durable
 * before the delivery is answered; the seal pass (its schedule, `audit-seal-pending`) then
 * writes the records that are new (idempotent on the event id) and seals them.
 *
 * It takes events in batches (`batch` in the routing table: SQS on AWS, the bus's batches
 * locally), or one EventBridge event at a time. On AWS the state table's stream also invokes it
 * when a batch's seal intent is put (`stateStreamTrigger`), and it runs the seal pass then, seconds
 * after the accept rather than at the schedule's next fire. It takes every event as it comes
 * (`eventBridgeHandler`, not the governance handler): the trail records even what fails its
 * contract, flagged invalid, and never drops anything.
 */
import type { Context } from 'aws-lambda';
import { isScheduledEvent } from '../../infra/function-routes.ts';
import type { EventEnvelope } from '../../schemas/envelope.ts';
import { functionPolicy } from '../../schemas/policy-loader.ts';
import { toAuditRecord, type AuditRecord } from '../shared/audit-trail/audit-record.ts';
import { dynamoAuditTrailStore, trailRecordExpiry } from '../shared/audit-trail/audit-trail-store.ts';
import { stateDocumentClient, stateTableClient } from '../shared/aws-clients.ts';
import { eventOfRecord, isDynamoStreamBatch, isSqsBatch, type SQSBatchResponse, type SQSEvent } from '../shared/batch-handler.ts';
import { processClock } from '../shared/clock.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, firedSchedule, type HandlerTools, type IncomingEvent } from '../shared/event-handler.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName, { intentWriter: stateTableClient() });
const policy = functionPolicy();

/** Accepts a batch of events into the trail; returns their records. */
async function acceptEvents(events: readonly IncomingEvent[], { logger }: HandlerTools): Promise<AuditRecord[]> {
  const now = processClock.now();
  const records: AuditRecord[] = events.map((event) => toAuditRecord(event, now, policy.ingress));
  // Hot for the whole legal window (6.1), plus a day so a chain never expires mid-verification;
  // the daily archive has long since copied it to write-once storage.
  await trail.accept(records, now, trailRecordExpiry(now, policy.audit.retention.days));
  for (const record of records) if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return records;
}

const batched = eventBridgeHandler('log-archiving', async (batch: SQSEvent & IncomingEvent, tools): Promise<SQSBatchResponse> => {
  await acceptEvents(batch.Records.map(eventOfRecord), tools);
  // Accepted whole or not at all: a failed write throws, and the whole batch comes again.
  return { batchItemFailures: [] };
});

/** The pipeline's own seal pass: EventBridge's scheduled event for this function (no ERP may send as `aws.events`). */
function isSealPass(event: IncomingEvent): boolean {
  const e = event as EventEnvelope;
  return isScheduledEvent(e) && Array.isArray(e.resources) && firedSchedule(e, 'log-archiving') === 'audit-seal-pending';
}

/**
 * The seal pass (`audit-seal-pending`), whichever way it was started. A pass that throws throws:
 * the schedule's target or the stream's mapping retries it, then dead-letters. Another pass
 * running holds the lock, and this one waits for it and then seals what is still open.
 */
async function sealAccepted(startedBy: 'schedule' | 'state-stream', { logger }: HandlerTools) {
  const sealed = await trail.sealPending(processClock.now());
  logger.debug('sealed accepted batches', { sealed, startedBy });
  return { schedule: 'audit-seal-pending', startedBy, sealed };
}

const single = eventBridgeHandler('log-archiving', async (event: IncomingEvent, tools) => {
  // Seal intents were put (the stream trigger's filter passes nothing else): the records only say that some are open, the pass finds them all.
  if (isDynamoStreamBatch(event)) return sealAccepted('state-stream', tools);
  if (isSealPass(event)) return sealAccepted('schedule', tools);
  const [record] = (await acceptEvents([event], tools)) as [AuditRecord];
  return { eventId: record.eventId, outcome: 'accepted', valid: record.valid };
});

/** An SQS batch, or one invocation of another shape: a schedule's fire, a stream batch (whose `Records` are no SQS batch) or an event. */
export const handler = (event: unknown, context: Context): Promise<unknown> => (isSqsBatch(event) ? batched(event as SQSEvent & IncomingEvent, context) : single(event as IncomingEvent, context));
