/**
 * audit-archive (scheduled daily): writes each closed day's audit chains to the archive as
 * compressed JSON Lines with a digest manifest (guide 6.1). Days already archived are
 * skipped, missed days are caught up, so a rerun or a late schedule does no harm. Each chain
 * is verified as it is archived; a broken one is a critical 6.1 finding on the bus. Hourly, it
 * also anchors the current chain heads in the archive (`head-anchors.ts`).
 */
import { busClient, stateDocumentClient } from '../shared/aws-clients.ts';
import { archiveStoreFromEnv } from '../shared/archive-store.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { dynamoAuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { eventBridgePublisher } from '../shared/event-publisher.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import { archiveAuditDays } from './archive-days.ts';
import { anchorHeads } from './head-anchors.ts';
import { InvalidEventError } from '../../schemas/errors.ts';
import { brokenChainFinding, integrityFindings } from './integrity-findings.ts';

const config = readFunctionConfig();
const trail = dynamoAuditTrailStore(stateDocumentClient(), config.stateTableName);
const archive = archiveStoreFromEnv();
const publisher = eventBridgePublisher(busClient(), config.eventBusName);
const policy = loadPolicy();

// The schedule's own time decides "today", so a delayed or replayed fire archives the same days.
export const handler = governanceHandler('audit-archive')({
  async onFact() {
    throw new InvalidEventError('audit-archive runs on its schedules only; no rule routes events to it');
  },
  onSchedule: {
    async 'audit-anchor-heads'(firedAt, { logger }) {
      const anchors = await anchorHeads(trail, archive, firedAt);
      logger.info('audit heads anchored', { days: anchors.map((a) => `${a.day}:${a.heads.length}`) });
      return { schedule: 'audit-anchor-heads', anchored: anchors.map((a) => ({ day: a.day, chains: a.heads.length })) };
    },
    async 'archive-audit-daily'(firedAt, { logger, now }) {
      const results = await archiveAuditDays(trail, archive, firedAt, now);
      const findings = results.flatMap((r) => r.broken.map((b) => brokenChainFinding(r.day, b, policy.audit.retention.mode)));
      await publisher.publish(findings.map(integrityFindings.findingEvent));
      logger.info('audit archive run', { days: results.map((r) => `${r.day}:${r.records}`), brokenChains: findings.length });
      return { schedule: 'archive-audit-daily', days: results };
    },
  },
});
