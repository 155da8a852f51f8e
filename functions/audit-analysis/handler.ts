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
import { governanceHandler } from '../shared/event-handler.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { analyseClosedHours } from './analyse-hours.ts';
import { dynamoBehaviourCursor, dynamoHourlyBaselineStore, dynamoHighRiskStore } from './analysis-state.ts';
import { recordHighRiskFact, sweepOverdueOperations } from './verify-high-risk.ts';

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

export const handler = governanceHandler('audit-analysis')({
  async onFact(fact, { logger, now }) {
    const findings = await recordHighRiskFact(highRisk, { eventId: fact.eventId, source: fact.source, detailType: fact.detailType, occurredAt: fact.time, detail: fact.detail as Record<string, unknown> }, now);
    if (findings.length > 0) logger.info('high-risk findings raised', { eventId: fact.eventId, findingIds: findings.map((f) => f.findingId) });
    return { eventId: fact.eventId, findings: findings.length };
  },
  onSchedule: {
    async 'audit-high-risk-sweep'(firedAt, { logger }) {
      const findings = await sweepOverdueOperations(highRisk, firedAt);
      logger.info('high-risk sweep', { firedAt: firedAt.toISOString(), findingIds: findings.map((f) => f.findingId) });
      return { schedule: 'audit-high-risk-sweep', findings: findings.length };
    },
    async 'audit-behaviour-hourly'(firedAt, { logger }) {
      const { windows, findings } = await analyseClosedHours(behaviour, firedAt);
      logger.info('behaviour analysis', { firedAt: firedAt.toISOString(), hours: windows.length, findingIds: findings.map((f) => f.findingId) });
      return { schedule: 'audit-behaviour-hourly', hours: windows.length, findings: findings.length };
    },
  },
});
