/**
 * audit-analysis (guide 6.2, 6.3, 6.4, 3.3): dual verification of high-risk operations, and
 * the hourly behaviour analysis of the audit trail. Findings go on the bus as "Finding Raised".
 *
 * Thin: parse the event, dispatch — ERP facts to the high-risk flow, the two schedules to the
 * sweep and the behaviour analysis — with the event's own time as "now" for schedules (so a
 * delayed or replayed fire, or a test's `scheduler.tick`, decides the same way).
 */
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { busClient, stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { InvalidEventError } from '../shared/errors.ts';
import { eventBridgeHandler, parseEnvelope, routedDetail, type IncomingEvent } from '../shared/event-handler.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { analyseClosedHours, BEHAVIOUR_ANALYSIS_SCHEDULE } from './analyse-hours.ts';
import { dynamoBehaviourCursor, dynamoHourlyBaselineStore, dynamoHighRiskStore } from './analysis-state.ts';
import { HIGH_RISK_DETAIL_TYPES } from './high-risk.ts';
import { HIGH_RISK_SWEEP_SCHEDULE, recordHighRiskFact, sweepOverdueOperations } from './verify-high-risk.ts';

const config = readFunctionConfig();
const policy = loadPolicy();
const documents = stateDocumentClient();
const publisher = eventBridgePublisher(busClient(), config.eventBusName);
const highRisk = { store: dynamoHighRiskStore(documents, config.stateTableName), publisher, policy };
const behaviour = {
  trail: dynamoAuditTrailStore(documents, config.stateTableName),
  cursor: dynamoBehaviourCursor(documents, config.stateTableName),
  hours: dynamoHourlyBaselineStore(documents, config.stateTableName),
  publisher,
  policy,
};

export const handler = eventBridgeHandler('audit-analysis', async (event: IncomingEvent, { logger }) => {
  const envelope = parseEnvelope(event);
  if (envelope.source === 'aws.events') {
    const firedAt = new Date(envelope.time);
    const rule = envelope.resources[0] ?? '';
    if (rule.endsWith(HIGH_RISK_SWEEP_SCHEDULE)) {
      const findings = await sweepOverdueOperations(highRisk, firedAt);
      logger.info('high-risk sweep', { firedAt: envelope.time, findingIds: findings.map((f) => f.findingId) });
      return { schedule: HIGH_RISK_SWEEP_SCHEDULE, findings: findings.length };
    }
    if (rule.endsWith(BEHAVIOUR_ANALYSIS_SCHEDULE)) {
      const { windows, findings } = await analyseClosedHours(behaviour, firedAt);
      logger.info('behaviour analysis', { firedAt: envelope.time, hours: windows.length, findingIds: findings.map((f) => f.findingId) });
      return { schedule: BEHAVIOUR_ANALYSIS_SCHEDULE, hours: windows.length, findings: findings.length };
    }
    throw new InvalidEventError(`scheduled event from rule "${rule}" names none of this function's schedules (${HIGH_RISK_SWEEP_SCHEDULE}, ${BEHAVIOUR_ANALYSIS_SCHEDULE}); the rule's name must end with its schedule id`);
  }

  const detailType = envelope['detail-type'];
  const detail = routedDetail(envelope, 'audit-analysis', HIGH_RISK_DETAIL_TYPES);
  const fact = { eventId: envelope.id, source: envelope.source, detailType, occurredAt: envelope.time, detail: detail };
  const findings = await recordHighRiskFact(highRisk, fact, new Date());
  if (findings.length > 0) logger.info('high-risk findings raised', { eventId: envelope.id, findingIds: findings.map((f) => f.findingId) });
  return { eventId: envelope.id, findings: findings.length };
});
