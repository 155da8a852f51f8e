/**
 * What a pack reads from the audit trail and the archive, the same for the CLI and the
 * evidence-delivery function: the records whose operation happened in the period, the trail's
 * verification against the archived head anchors, and the archive manifests of the period's
 * days. The areas' reports are read by each caller its own way (the CLI builds them from the
 * areas' stores; the function reads what the areas wrote to the archive).
 */
import { ARCHIVE_PREFIX } from '../../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../archive-store.ts';
import { verifyTrail } from '../audit-trail/audit-queries.ts';
import type { AuditTrailStore } from '../audit-trail/audit-trail-store.ts';
import { anchoredHeadsFrom } from '../audit-trail/head-anchors.ts';
import type { TrailEvidence } from './evidence-index.ts';
import type { Period } from './period.ts';

export async function trailEvidence(trail: AuditTrailStore, archive: ArchiveStore, period: Period, step: (label: string) => void = () => {}): Promise<TrailEvidence> {
  step('audit records');
  const records = await trail.recordsOccurredBetween(period.from, period.to);
  step('audit trail verification');
  const verify = await verifyTrail(trail, period.firstDay, period.lastDay, anchoredHeadsFrom(archive));
  step('archive manifests');
  const manifestPrefix = `${ARCHIVE_PREFIX}/manifests/`;
  const dayOf = (key: string) => key.slice(manifestPrefix.length).replace(/\.json$/, '');
  const archiveManifests = (await archive.list(manifestPrefix)).filter((k) => dayOf(k) >= period.firstDay && dayOf(k) <= period.lastDay);
  return { records, verify, archiveManifests };
}

/**
 * When the pipeline's data begins, as far as a pack can see: the first finding raised, the
 * first record whose operation it read, the first day archived. A period that ends before it
 * is before any data: the CLI refuses it, the monthly delivery skips it (a month before the
 * pipeline ran is not a month of controls without data).
 */
export async function earliestData(archive: ArchiveStore, findings: readonly { readonly firstRaisedAt: string }[], records: readonly { readonly occurredAt: string }[]): Promise<string | undefined> {
  const archivedDays = (await archive.list(`${ARCHIVE_PREFIX}/records/`)).flatMap((k) => /date=(\d{4}-\d{2}-\d{2})/.exec(k)?.[1] ?? []);
  return [...findings.map((f) => f.firstRaisedAt), ...records.map((r) => r.occurredAt), ...archivedDays.map((d) => `${d}T00:00:00.000Z`)].sort()[0];
}
