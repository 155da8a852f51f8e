/**
 * audit-archive (scheduled daily): writes each closed day's audit chains to the archive as
 * compressed JSON Lines with a digest manifest (guide 6.1). Days already archived are
 * skipped, missed days are caught up, so a rerun or a late schedule does no harm. Each chain
 * is verified as it is archived; a broken one is a critical 6.1 finding, raised through the
 * shared lifecycle. Hourly, it also anchors the current chain heads in the archive.
 *
 * Thin: wire the ports, then run the flow of the schedule that fired, with the schedule's own
 * time deciding "today" (so a delayed or replayed fire archives the same days).
 */
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { busClient, stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { governanceHandler, refuseFacts } from '../shared/event-handler.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { dynamoFindingsStore } from '../shared/findings/findings-store.ts';
import { findingLifecycle } from '../shared/findings/lifecycle.ts';
import { archiveAuditDays, sealCheckAndAnchor } from './flows.ts';
import { DETECTED_BY } from './integrity-findings.ts';

const config = readFunctionConfig();
const documents = stateDocumentClient();
const ports = {
  trail: dynamoAuditTrailStore(documents, config.stateTableName),
  archive: archiveStoreFromEnv(),
  findings: findingLifecycle({ store: dynamoFindingsStore(documents, config.stateTableName), publisher: eventBridgePublisher(busClient(), config.eventBusName) }, DETECTED_BY),
  mode: loadPolicy().audit.retention.mode,
};

export const handler = governanceHandler(DETECTED_BY)({
  onFact: refuseFacts(DETECTED_BY),
  onSchedule: {
    async 'audit-anchor-heads'(firedAt, { logger }) {
      const run = await sealCheckAndAnchor(ports, firedAt);
      logger.info('audit heads anchored', { days: run.anchors.map((a) => `${a.day}:${a.heads.length}`), sealedOrphans: run.sealedOrphans, brokenChains: run.broken.length });
      return { schedule: 'audit-anchor-heads', sealedOrphans: run.sealedOrphans, brokenChains: run.broken.length, anchored: run.anchors.map((a) => ({ day: a.day, chains: a.heads.length })) };
    },
    async 'archive-audit-daily'(firedAt, { logger, now }) {
      const results = await archiveAuditDays(ports, firedAt, now);
      logger.info('audit archive run', { days: results.map((r) => `${r.day}:${r.records}`), brokenChains: results.reduce((n, r) => n + r.broken.length, 0) });
      return { schedule: 'archive-audit-daily', days: results };
    },
  },
});
