/**
 * log-archiving: every event on the bus becomes an audit record, sealed in blocks (guide
 * 6.1). Thin: build the records (pure), append them as one batch (idempotent on the event id).
 *
 * It takes events in batches (`batch` in the routing table: SQS on AWS, the bus's batches
 * locally), or one EventBridge event at a time. It takes every event as it comes
 * (`eventBridgeHandler`, not the governance handler): the trail records even what fails its
 * contract, flagged invalid, and never drops anything.
 */
import type { Context } from 'aws-lambda';
import { functionPolicy } from '../../schemas/policy-loader.ts';
import { toAuditRecord, type AuditRecord } from '../shared/audit-trail/audit-record.ts';
import { AppendInProgressError, dynamoAuditTrailStore, trailRecordExpiry } from '../shared/audit-trail/audit-trail-store.ts';
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { eventOfRecord, isSqsBatch, type SQSBatchResponse, type SQSEvent } from '../shared/batch-handler.ts';
import { processClock } from '../shared/clock.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, type HandlerTools, type IncomingEvent } from '../shared/event-handler.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);
const policy = functionPolicy();

/** Records a batch of events; returns each record and its outcome. */
async function recordEvents(events: readonly IncomingEvent[], { logger }: HandlerTools) {
  const now = processClock.now();
  const records: AuditRecord[] = events.map((event) => toAuditRecord(event, now, policy.ingress));
  // Hot for the whole legal window (6.1), plus a day so a chain never expires mid-verification;
  // the daily archive has long since copied it to write-once storage.
  const outcomes = await trail.appendBatch(records, now, trailRecordExpiry(now, policy.audit.retention.days));
  for (const record of records) if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return records.map((record, i) => ({ record, outcome: outcomes[i] }));
}

const batched = eventBridgeHandler('log-archiving', async (batch: SQSEvent & IncomingEvent, tools): Promise<SQSBatchResponse> => {
  const results = await recordEvents(batch.Records.map(eventOfRecord), tools);
  // Events another delivery is still sealing come back alone, later; everything else is recorded.
  const failed = batch.Records.filter((_, i) => results[i]?.outcome === 'in-progress').map((r) => ({ itemIdentifier: r.messageId }));
  if (failed.length > 0) tools.logger.info('events being recorded by another delivery; retried later', { count: failed.length });
  return { batchItemFailures: failed };
});

const single = eventBridgeHandler('log-archiving', async (event: IncomingEvent, tools) => {
  const [result] = await recordEvents([event], tools);
  const { record, outcome } = result as { record: AuditRecord; outcome: string };
  if (outcome === 'in-progress') throw new AppendInProgressError(`event ${record.eventId} is being recorded by another delivery; retry later`);
  if (outcome === 'duplicate') tools.logger.info('duplicate delivery ignored', { eventId: record.eventId });
  return { eventId: record.eventId, outcome, valid: record.valid };
});

export const handler = (event: unknown, context: Context): Promise<unknown> => (isSqsBatch(event) ? batched(event as SQSEvent & IncomingEvent, context) : single(event as IncomingEvent, context));
