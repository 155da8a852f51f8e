/**
 * log-archiving: every event on the bus becomes an append-only, hash-chained audit record
 * (guide 6.1). Thin: build the record (pure), append it (idempotent on the event id).
 */
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, type IncomingEvent } from '../shared/event-handler.ts';
import { toAuditRecord } from './audit-record.ts';
import { dynamoAuditTrailStore } from './audit-trail-store.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);

export const handler = eventBridgeHandler('log-archiving', async (event: IncomingEvent, { logger }) => {
  const now = new Date();
  const record = toAuditRecord(event, now);
  const outcome = await trail.append(record, now);
  if (outcome === 'duplicate') logger.info('duplicate delivery ignored', { eventId: record.eventId });
  if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return { eventId: record.eventId, outcome, valid: record.valid };
});
