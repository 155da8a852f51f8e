/**
 * evidence-delivery (scheduled monthly, guide 1.1–6.4): on the 1st, the signed evidence pack of
 * the month before to the archive, the month's export partitions for the SQL tables, and a
 * finding per control that had no data (see flows.ts).
 *
 * Thin: wire the ports once per container (the signer on first use: KMS on AWS, the data
 * folder's key locally), then run the flow with the schedule's own fire time.
 */
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { governanceHandler, refuseFacts } from '../shared/event-handler.ts';
import { dynamoControlFeed } from '../shared/evidence/control-feed.ts';
import { evidenceSignerFromEnv } from '../shared/evidence/kms-signer.ts';
import type { PackSigner } from '../shared/evidence/pack-manifest.ts';
import { findingLifecycle } from '../shared/findings/lifecycle.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { DETECTED_BY } from './evidence-findings.ts';
import { deliverMonthlyEvidence, type DeliveryPorts } from './flows.ts';

const { documents, tableName, findings, publisher, policy } = governanceWiring();
let signer: Promise<PackSigner> | undefined;
const ports: DeliveryPorts = {
  trail: dynamoAuditTrailStore(documents, tableName),
  archive: archiveStoreFromEnv(),
  feed: dynamoControlFeed(documents, tableName, DETECTED_BY),
  findingsStore: findings,
  findings: findingLifecycle({ store: findings, publisher }, DETECTED_BY),
  signer: () => (signer ??= evidenceSignerFromEnv().catch((err: unknown) => {
    signer = undefined;
    throw err;
  })),
  retentionDays: policy.audit.retention.days,
  language: policy.notifications.language,
  mode: policy.audit.retention.mode,
};

export const handler = governanceHandler(DETECTED_BY)({
  onFact: refuseFacts(DETECTED_BY),
  onSchedule: {
    async 'evidence-monthly'(firedAt, { logger }) {
      const outcome = await deliverMonthlyEvidence(ports, firedAt);
      if (outcome.delivered) logger.info('evidence pack delivered', { ...outcome });
      else logger.info(outcome.reason === 'already-delivered' ? 'evidence pack already delivered' : 'no evidence pack: the month ended before the pipeline had any data', { month: outcome.month, manifestKey: outcome.manifestKey });
      return { schedule: 'evidence-monthly', ...outcome };
    },
  },
});
