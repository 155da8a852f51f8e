/**
 * log-archiving: every event on the bus becomes an append-only audit record (guide 6.1).
 * Thin: build the record (pure), append it (idempotent on the event id).
 */
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, type IncomingEvent } from '../shared/event-handler.ts';
import { toAuditRecord } from './audit-record.ts';
import { dynamoAuditStore } from './audit-store.ts';

const config = readFunctionConfig();
const store = dynamoAuditStore(stateDocumentClient(), config.stateTableName);

export const handler = eventBridgeHandler('log-archiving', async (event: IncomingEvent, { logger }) => {
  const record = toAuditRecord(event, new Date());
  const appended = await store.append(record);
  if (!appended) logger.info('duplicate delivery ignored', { eventId: record.eventId });
  if (!record.valid) logger.warn('recorded an event that fails its contract', { eventId: record.eventId, reason: record.invalidReason });
  return { eventId: record.eventId, appended, valid: record.valid };
});
