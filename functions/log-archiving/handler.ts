/**
 * log-archiving: every event on the bus becomes an append-only, hash-chained audit record
 * (guide 6.1). Thin: build the record (pure), append it (idempotent on the event id).
 */
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { eventBridgeHandler, type IncomingEvent } from '../shared/event-handler.ts';
import { toAuditRecord } from '../shared/audit-trail/audit-record.ts';
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);
const policy = loadPolicy();
const DAY_SECONDS = 86_400;

export const handler = eventBridgeHandler('log-archiving', async (event: IncomingEvent, { logger }) => {
  const now = new Date();
  const record = toAuditRecord(event, now);
  // Hot for the whole legal window (6.1), plus a day so a chain never expires mid-verification;
  // the daily archive has long since copied it to write-once storage.
  const expiresAt = Math.floor(now.getTime() / 1000) + (policy.audit.retention.days + 1) * DAY_SECONDS;
  const outcome = await trail.append(record, now, expiresAt);
  if (outcome === 'duplicate') logger.info('duplicate delivery ignored', { eventId: record.eventId });
  if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return { eventId: record.eventId, outcome, valid: record.valid };
});
