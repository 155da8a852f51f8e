/**
 * backup-verification (guide 1.1–1.3): ERP backup facts and AWS Backup/KMS events become
 * observations per catalogue dataset (state + evidence ledger); the 5-minute sweep judges the
 * datasets whose deadline came (silence, staleness); the monthly schedule writes the report.
 *
 * Thin: `governanceHandler` types the ERP facts, hands AWS service events (source `aws.*`,
 * routed from the default bus) to `onAwsEvent` as AWS sent them, to be read tolerantly, and
 * dispatches the schedules.
 */
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { previousMonth } from '../shared/time.ts';
import { readAwsEvent } from './aws-events.ts';
import { dynamoBackupStore } from './backup-store.ts';
import { buildBackupReport, writeBackupReport } from './backup-report.ts';
import { recordAwsReading, recordObservation, sweep, type BackupDeps } from './flows.ts';
import { fromErpFact } from './observations.ts';

const wiring = governanceWiring();
const { policy } = wiring;
const deps: BackupDeps = { ...wiring, store: dynamoBackupStore(wiring.documents, wiring.tableName, wiring.findings) };

export const handler = governanceHandler('backup-verification')({
  async onFact(fact, { now }) {
    const outcome = await recordObservation(deps, fromErpFact(fact), now);
    return { eventId: fact.eventId, raised: outcome.raised.length, resolved: outcome.resolved.length };
  },
  async onAwsEvent(event, { now }) {
    const reading = readAwsEvent(event, policy.backups);
    const outcome = await recordAwsReading(deps, reading, now);
    return { eventId: String(event.id), reading: reading.kind, raised: outcome.raised.length, resolved: outcome.resolved.length, ...(outcome.ignored ? { ignored: outcome.ignored } : {}) };
  },
  onSchedule: {
    async 'backup-silence-sweep'(firedAt, { logger }) {
      const outcome = await sweep(deps, firedAt);
      if (outcome.raised.length + outcome.resolved.length > 0) logger.info('backup sweep', { firedAt: firedAt.toISOString(), due: outcome.due, raised: outcome.raised, resolved: outcome.resolved });
      return { schedule: 'backup-silence-sweep', due: outcome.due, enrolled: outcome.enrolled, raised: outcome.raised.length, updated: outcome.updated.length, resolved: outcome.resolved.length };
    },
    async 'backup-monthly-report'(firedAt, { logger }) {
      const report = await buildBackupReport(deps.store, policy, previousMonth(firedAt));
      const keys = await writeBackupReport(archiveStoreFromEnv(), report);
      logger.info('backup report', { month: report.month, datasets: report.rows.length, keys });
      return { schedule: 'backup-monthly-report', month: report.month, datasets: report.rows.length };
    },
  },
});
