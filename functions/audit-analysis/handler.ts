/**
 * audit-analysis (guide 6.2, 6.3, 6.4, 3.3): dual verification of high-risk operations, and
 * the hourly behaviour analysis of the audit trail. Findings go through the shared lifecycle.
 *
 * Thin: wire the ports, then dispatch — ERP facts (typed by their schema) to the high-risk
 * flow, the two schedules to the sweep and the behaviour analysis — with the schedule's own
 * fire time as "now" for schedules (so a delayed or replayed fire, or a test's
 * `scheduler.tick`, decides the same way).
 */
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { findingLifecycle } from '../shared/findings/lifecycle.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { dynamoBehaviourCursorStore } from './behaviour-cursor-store.ts';
import { DETECTED_BY } from './finding-scope.ts';
import { analyseClosedHours, recordHighRiskFact, sweepOverdueOperations } from './flows.ts';
import { dynamoHighRiskStore } from './high-risk-store.ts';
import { dynamoHourlyBaselineStore } from './hourly-baseline-store.ts';

const wiring = governanceWiring((documents, tableName) => ({
  highRiskStore: dynamoHighRiskStore(documents, tableName),
  trail: dynamoAuditTrailStore(documents, tableName),
  cursor: dynamoBehaviourCursorStore(documents, tableName),
  hours: dynamoHourlyBaselineStore(documents, tableName),
}));
const findings = findingLifecycle({ store: wiring.findings, publisher: wiring.publisher }, DETECTED_BY);
const highRisk = { store: wiring.highRiskStore, findings, policy: wiring.policy };
const behaviour = { ...wiring, findings };

export const handler = governanceHandler(DETECTED_BY)({
  async onFact(fact, { logger, now }) {
    const raised = await recordHighRiskFact(highRisk, fact, now);
    if (raised.length > 0) logger.info('high-risk findings raised', { eventId: fact.eventId, findingIds: raised.map((f) => f.findingId) });
    return { eventId: fact.eventId, findings: raised.length };
  },
  onSchedule: {
    async 'audit-high-risk-sweep'(firedAt, { logger }) {
      const raised = await sweepOverdueOperations(highRisk, firedAt);
      logger.info('high-risk sweep', { firedAt: firedAt.toISOString(), findingIds: raised.map((f) => f.findingId) });
      return { schedule: 'audit-high-risk-sweep', findings: raised.length };
    },
    async 'audit-behaviour-hourly'(firedAt, { logger }) {
      const { windows, findings: raised } = await analyseClosedHours(behaviour, firedAt);
      logger.info('behaviour analysis', { firedAt: firedAt.toISOString(), hours: windows.length, findingIds: raised.map((f) => f.findingId) });
      return { schedule: 'audit-behaviour-hourly', hours: windows.length, findings: raised.length };
    },
  },
});
