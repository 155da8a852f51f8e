/**
 * audit-archive (scheduled daily): writes each closed day's audit chains to the archive as
 * compressed JSON Lines with a digest manifest (guide 6.1). Days already archived are
 * skipped, missed days are caught up, so a rerun or a late schedule does no harm. Each chain
 * is verified as it is archived; a broken one is a critical 6.1 finding on the bus.
 */
import { busClient, stateDocumentClient } from '../shared/aws-clients.ts';
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { eventBridgeHandler, type IncomingEvent } from '../shared/event-handler.ts';
import { dynamoAuditTrailStore } from '../log-archiving/audit-trail-store.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { loadPolicy } from '../shared/policy.ts';
import { archiveAuditDays } from './archive-days.ts';
import { brokenChainFinding, integrityFindings } from './integrity-findings.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);
const archive = archiveStoreFromEnv();
const publisher = eventBridgePublisher(busClient(), config.eventBusName);
const policy = loadPolicy();

export const handler = eventBridgeHandler('audit-archive', async (event: IncomingEvent, { logger }) => {
  // The schedule's own time decides "today", so a delayed or replayed fire archives the same days.
  const today = typeof event.time === 'string' && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date();
  const results = await archiveAuditDays(trail, archive, today, new Date());
  const findings = results.flatMap((r) => r.broken.map((b) => brokenChainFinding(r.day, b, policy.audit.retention.mode)));
  await publisher.publish(findings.map(integrityFindings.findingEvent));
  logger.info('audit archive run', { days: results.map((r) => `${r.day}:${r.records}`), brokenChains: findings.length });
  return results;
});
