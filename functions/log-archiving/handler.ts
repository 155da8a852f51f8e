/**
 * log-archiving: every event on the bus becomes an append-only, hash-chained audit record
 * (guide 6.1). Thin: build the record (pure), append it (idempotent on the event id).
 *
 * It takes every event as it comes (`eventBridgeHandler`, not the governance handler): the
 * trail records even what fails its contract, flagged invalid, and never drops anything.
 */
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { toAuditRecord } from '../shared/audit-trail/audit-record.ts';
import { dynamoAuditTrailStore, trailRecordExpiry } from '../shared/audit-trail/audit-trail-store.ts';
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { processClock } from '../shared/clock.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, type IncomingEvent } from '../shared/event-handler.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);
const policy = loadPolicy();

export const handler = eventBridgeHandler('log-archiving', async (event: IncomingEvent, { logger }) => {
  const now = processClock.now();
  const record = toAuditRecord(event, now, policy.ingress);
  // Hot for the whole legal window (6.1), plus a day so a chain never expires mid-verification;
  // the daily archive has long since copied it to write-once storage.
  const outcome = await trail.append(record, now, trailRecordExpiry(now, policy.audit.retention.days));
  if (outcome === 'duplicate') logger.info('duplicate delivery ignored', { eventId: record.eventId });
  if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return { eventId: record.eventId, outcome, valid: record.valid };
});
