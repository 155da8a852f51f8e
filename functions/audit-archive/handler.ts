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
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { findingLifecycle } from '../shared/findings/lifecycle.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { archiveAuditDays, sealCheckAndAnchor } from './flows.ts';
import { DETECTED_BY } from './integrity-findings.ts';

const wiring = governanceWiring((documents, tableName) => ({ trail: dynamoAuditTrailStore(documents, tableName) }));
const ports = {
  trail: wiring.trail,
  archive: archiveStoreFromEnv(),
  findings: findingLifecycle({ store: wiring.findings, publisher: wiring.publisher }, DETECTED_BY),
  mode: wiring.policy.audit.retention.mode,
};

export const handler = governanceHandler(DETECTED_BY)({
  onSchedule: {
    async 'audit-anchor-heads'(firedAt, { logger }) {
      const run = await sealCheckAndAnchor(ports, firedAt);
      logger.info('audit heads anchored', { days: run.anchors.map((a) => `${a.day}:${a.heads.length}`), sealedBatches: run.sealedBatches, brokenChains: run.broken.length });
      return { schedule: 'audit-anchor-heads', sealedBatches: run.sealedBatches, brokenChains: run.broken.length, anchored: run.anchors.map((a) => ({ day: a.day, chains: a.heads.length })) };
    },
    async 'archive-audit-daily'(firedAt, { logger, now }) {
      const results = await archiveAuditDays(ports, firedAt, now);
      logger.info('audit archive run', { days: results.map((r) => `${r.day}:${r.records}`), brokenChains: results.reduce((n, r) => n + r.broken.length, 0) });
      return { schedule: 'archive-audit-daily', days: results };
    },
  },
});
