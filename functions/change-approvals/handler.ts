/**
 * change-approvals (guide 4.1–4.4): change requests, sign-offs, tests and deployments from ERP
 * systems, and AWS's own deployment and configuration events from the default bus, judged at
 * the production gate; an hourly sweep of emergency sign-off deadlines; the monthly change
 * report to the archive.
 *
 * Thin: the governance handler hands AWS service events (any `aws.*` source but the
 * scheduler's) to the gate flow, read tolerantly as AWS sends them, and ERP facts and schedules
 * to theirs.
 */
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { previousMonth } from '../shared/time.ts';
import { changeStore, dynamoChangeItems, roleHoldingsReader } from './change-store.ts';
import { writeChangeReport } from './change-report.ts';
import { freezeCalendars, judgeAwsEvent, monthlyChangeReport, recordChangeFact, sweepEmergencies, type ChangeDeps } from './flows.ts';

const wiring = governanceWiring();
const items = dynamoChangeItems(wiring.documents, wiring.tableName);
const deps: ChangeDeps = { ...wiring, store: changeStore(items), roles: roleHoldingsReader(items), calendars: freezeCalendars(wiring.policy) };

export const handler = governanceHandler('change-approvals')({
  async onFact(fact, { logger, now }) {
    const outcome = await recordChangeFact(deps, { eventId: fact.eventId, detailType: fact.detailType, time: fact.time, detail: fact.detail as Record<string, unknown> }, now);
    if (outcome.raised.length + outcome.resolved.length > 0) logger.info('change findings', { eventId: fact.eventId, raised: outcome.raised, resolved: outcome.resolved });
    return { eventId: fact.eventId, raised: outcome.raised.length, resolved: outcome.resolved.length };
  },
  async onAwsEvent(event, { logger, now }) {
    const outcome = await judgeAwsEvent(deps, event, now);
    if (outcome.raised.length > 0) logger.info('production gate', { eventId: String(event.id), raised: outcome.raised });
    return { eventId: String(event.id), ...outcome, raised: outcome.raised.length };
  },
  onSchedule: {
    async 'change-emergency-sweep'(firedAt) {
      const outcome = await sweepEmergencies(deps, firedAt);
      return { schedule: 'change-emergency-sweep', swept: outcome.swept, raised: outcome.raised.length };
    },
    async 'change-report-monthly'(firedAt, { logger }) {
      const report = await monthlyChangeReport(deps, previousMonth(firedAt));
      const keys = await writeChangeReport(archiveStoreFromEnv(), report);
      logger.info('change report', { month: report.month, changes: report.changes.length, unmatched: report.unmatchedProductionEdits.length, keys });
      return { schedule: 'change-report-monthly', month: report.month, changes: report.changes.length };
    },
  },
});
