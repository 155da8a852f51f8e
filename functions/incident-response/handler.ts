/**
 * incident-response (guide 5.1–5.3): incident SLA clocks with escalation and re-notification,
 * drills with measured RTO/RPO, overdue drills and standby readiness, and the operations report
 * (3.x and 5.x, quarter to date) to the archive each month. Thin: wiring and dispatch.
 */
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { dynamoDrillStore } from './drill-store.ts';
import { checkContinuity, recordDrill, recordIncidentFact, sweepIncidents } from './flows.ts';
import { dynamoIncidentStore } from './incident-store.ts';
import { buildOperationsReport, quarterToReport, writeOperationsReport } from './operations-report.ts';

const deps = governanceWiring((documents, tableName) => ({
  incidents: dynamoIncidentStore(documents, tableName),
  drills: dynamoDrillStore(documents, tableName),
}));

export const handler = governanceHandler('incident-response')({
  async onFact(fact, { logger, now }) {
    if (fact.detailType === 'Drill Completed') {
      const outcome = await recordDrill(deps, fact.detail, fact.eventId, now);
      logger.info('drill recorded', { eventId: fact.eventId, drillId: fact.detail.drillId, raised: outcome.raised, resolved: outcome.resolved });
      return { eventId: fact.eventId, raised: outcome.raised.length, resolved: outcome.resolved.length };
    }
    const outcome = await recordIncidentFact(deps, fact, fact.eventId, fact.time, now);
    if (outcome.announced.length + outcome.resolved.length > 0) logger.info('incident clock', { eventId: fact.eventId, announced: outcome.announced, resolved: outcome.resolved });
    return { eventId: fact.eventId, announced: outcome.announced.length, resolved: outcome.resolved.length };
  },
  onSchedule: {
    async 'incident-sla-sweep'(firedAt, { logger }) {
      const outcome = await sweepIncidents(deps, firedAt);
      if (outcome.announced.length > 0) logger.info('incident breaches', { firedAt: firedAt.toISOString(), announced: outcome.announced });
      return { schedule: 'incident-sla-sweep', announced: outcome.announced.length };
    },
    async 'continuity-daily'(firedAt, { logger }) {
      const outcome = await checkContinuity(deps, firedAt);
      logger.info('continuity check', { firedAt: firedAt.toISOString(), raised: outcome.raised, resolved: outcome.resolved });
      return { schedule: 'continuity-daily', raised: outcome.raised.length, resolved: outcome.resolved.length };
    },
    async 'operations-report-monthly'(firedAt, { logger }) {
      const report = await buildOperationsReport(deps, deps.policy, quarterToReport(firedAt));
      const keys = await writeOperationsReport(archiveStoreFromEnv(), report);
      logger.info('operations report', { quarter: report.quarter, keys });
      return { schedule: 'operations-report-monthly', quarter: report.quarter, episodes: report.episodes.length, drills: report.drills.length };
    },
  },
});
