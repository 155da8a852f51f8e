/**
 * access-governance (guide 2.1–2.5): who holds which permission, checked against the job
 * matrix, segregation of duties, one person per account, the leaver/mover clock, temporary
 * grant expiry, and the monthly permission audit. Findings and revoke commands go on the bus.
 *
 * Thin: parse the event, dispatch — ERP/HR facts to `recordFact` (judged at the event's own
 * time), the 5-minute sweep and the daily permission-audit check to their flows (judged at the
 * schedule's fire time, so a replayed fire or a test's `scheduler.tick` decides the same way).
 */
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { busClient, stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { InvalidEventError } from '../shared/errors.ts';
import { eventBridgeHandler, parseEnvelope, routedDetail, type IncomingEvent } from '../shared/event-handler.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { dynamoAccessStore } from './access-state.ts';
import { ACCESS_DETAIL_TYPES, ACCESS_SWEEP_SCHEDULE, buildMonthlyReport, PERMISSION_AUDIT_SCHEDULE, recordFact, sweep, writeReport } from './governance.ts';
import { previousMonth } from './permission-report.ts';

const config = readFunctionConfig();
const policy = loadPolicy();
const documents = stateDocumentClient();
const deps = {
  store: dynamoAccessStore(documents, config.stateTableName),
  publisher: eventBridgePublisher(busClient(), config.eventBusName),
  policy,
  trail: dynamoAuditTrailStore(documents, config.stateTableName),
};

export const handler = eventBridgeHandler('access-governance', async (event: IncomingEvent, { logger }) => {
  const envelope = parseEnvelope(event);
  if (envelope.source === 'aws.events') {
    const firedAt = new Date(envelope.time);
    const rule = envelope.resources[0] ?? '';
    if (rule.endsWith(ACCESS_SWEEP_SCHEDULE)) {
      const outcome = await sweep(deps, firedAt);
      logger.info('access sweep', { firedAt: envelope.time, raised: outcome.raised, resolved: outcome.resolved, commands: outcome.commands.map((c) => c.commandId) });
      return { schedule: ACCESS_SWEEP_SCHEDULE, raised: outcome.raised.length, resolved: outcome.resolved.length, commands: outcome.commands.length };
    }
    if (rule.endsWith(PERMISSION_AUDIT_SCHEDULE)) {
      // Fires daily; the audit runs on the policy's day of the month, for the month before.
      if (firedAt.getUTCDate() !== policy.access.permissionAudit.dayOfMonth) return { schedule: PERMISSION_AUDIT_SCHEDULE, skipped: true };
      const report = await buildMonthlyReport(deps.store, policy, previousMonth(firedAt));
      const keys = await writeReport(archiveStoreFromEnv(), report);
      logger.info('permission audit', { month: report.month, accounts: report.accountsReviewed, items: report.items.length, keys });
      return { schedule: PERMISSION_AUDIT_SCHEDULE, month: report.month, items: report.items.length };
    }
    throw new InvalidEventError(`scheduled event from rule "${rule}" names none of this function's schedules (${ACCESS_SWEEP_SCHEDULE}, ${PERMISSION_AUDIT_SCHEDULE}); the rule's name must end with its schedule id`);
  }

  const detailType = envelope['detail-type'];
  const detail = routedDetail(envelope, 'access-governance', ACCESS_DETAIL_TYPES);
  const outcome = await recordFact(deps, { eventId: envelope.id, detailType, time: envelope.time, detail: detail });
  if (outcome.raised.length + outcome.resolved.length > 0) logger.info('access findings', { eventId: envelope.id, raised: outcome.raised, resolved: outcome.resolved });
  return { eventId: envelope.id, raised: outcome.raised.length, resolved: outcome.resolved.length };
});
