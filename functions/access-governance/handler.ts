/**
 * access-governance (guide 2.1–2.5): who holds which permission, checked against the job
 * matrix, segregation of duties, one person per account, the leaver/mover clock, temporary
 * grant expiry, and the monthly permission audit. Findings and revoke commands go on the bus.
 *
 * Thin: wires the stores (one per aggregate), the bus and the audit trail once, then hands
 * each routed fact, typed by its detail-type, to `recordFact` (judged at the event's own
 * time; the facts of one SQS batch in order, over stores that remember their accounts:
 * remembering-stores.ts), and the 5-minute sweep and the daily permission-audit check to their
 * flows (judged at the schedule's fire time, so a replayed fire or a test's `scheduler.tick`
 * decides the same way).
 */
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { perSoleInstance } from '../shared/sole-instance.ts';
import { previousMonth } from '../shared/time.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { INSTANCE_ACCOUNT_ENTRIES, rememberingStores } from './remembering-stores.ts';
import { buildMonthlyReport, recordFact, sweep, writeReport, type GovernanceDeps } from './flows.ts';
import { dynamoAccessStores } from './stores.ts';

const wired: GovernanceDeps = governanceWiring((documents, tableName) => ({
  stores: dynamoAccessStores(documents, tableName),
  trail: dynamoAuditTrailStore(documents, tableName),
}));
const { policy } = wired;

/**
 * What the stores learn about accounts is remembered (remembering-stores.ts) for as long as
 * nothing else can write those accounts: locally, for as long as this sole instance lives
 * (sole-instance.ts), the schedules' flows included, so that a grant the sweep ends is not
 * remembered open; on AWS, where many containers write the same accounts, for one batch.
 */
const soleInstanceDeps = perSoleInstance((): GovernanceDeps => ({ ...wired, stores: rememberingStores(wired.stores, INSTANCE_ACCOUNT_ENTRIES) }));
const scheduleDeps = (): GovernanceDeps => soleInstanceDeps() ?? wired;
const batchDeps = (): GovernanceDeps => soleInstanceDeps() ?? { ...wired, stores: rememberingStores(wired.stores) };

export const handler = governanceHandler('access-governance')({
  async onFact(fact, { logger, invocation }) {
    const outcome = await recordFact(invocation.once(batchDeps), fact);
    if (outcome.raised.length + outcome.updated.length + outcome.resolved.length > 0) logger.info('access findings', { eventId: fact.eventId, raised: outcome.raised, updated: outcome.updated, resolved: outcome.resolved });
    return { eventId: fact.eventId, raised: outcome.raised.length, updated: outcome.updated.length, resolved: outcome.resolved.length };
  },
  onSchedule: {
    async 'access-sweep'(firedAt, { logger }) {
      const outcome = await sweep(scheduleDeps(), firedAt);
      logger.info('access sweep', { firedAt: firedAt.toISOString(), raised: outcome.raised, updated: outcome.updated, resolved: outcome.resolved, commands: outcome.commands.map((c) => c.commandId) });
      return { schedule: 'access-sweep', raised: outcome.raised.length, updated: outcome.updated.length, resolved: outcome.resolved.length, commands: outcome.commands.length };
    },
    async 'access-permission-audit'(firedAt, { logger }) {
      // Fires daily; the audit runs on the policy's day of the month, for the month before.
      if (firedAt.getUTCDate() !== policy.access.permissionAudit.dayOfMonth) return { schedule: 'access-permission-audit', skipped: true };
      const report = await buildMonthlyReport(scheduleDeps().stores, policy, previousMonth(firedAt));
      const keys = await writeReport(archiveStoreFromEnv(), report);
      logger.info('permission audit', { month: report.month, accounts: report.accountsReviewed, items: report.items.length, keys });
      return { schedule: 'access-permission-audit', month: report.month, items: report.items.length };
    },
  },
});
