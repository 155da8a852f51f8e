/**
 * What a pack reads from the audit trail and the archive, the same for the CLI and the
 * evidence-delivery function: the records whose operation happened in the period, the trail's
 * verification against the archived head anchors, and the archive manifests of the period's
 * days. The areas' reports are read by each caller its own way (the CLI builds them from the
 * areas' stores; the function reads what the areas wrote to the archive).
 */
import { AUDIT_RECORDS_PREFIX, manifestKey, partitionDay } from '../../../schemas/archive-layout.ts';
import { utcDaysBetween } from '../time.ts';
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
  // Only the period's months are listed: the manifests of every day ever archived are not read.
  const inPeriod = new Set(utcDaysBetween(period.firstDay, period.lastDay).map(manifestKey));
  const archiveManifests = (await Promise.all(period.months.map((month) => archive.list(manifestKey(month).replace(/\.json$/, ''))))).flat().filter((k) => inPeriod.has(k));
  return { records, verify, archiveManifests };
}

/**
 * When the pipeline's data begins, as far as a pack can see: the first finding raised, the
 * first record whose operation it read, the first day archived. A period that ends before it
 * is before any data: the CLI refuses it, the monthly delivery skips it (a month before the
 * pipeline ran is not a month of controls without data). Callers only ask whether it lies
 * before `periodEnd` (`endsBeforeAnyData`): when a finding or record already does, that one is
 * returned and the archive (every day ever archived) is not listed.
 */
export async function earliestData(archive: ArchiveStore, findings: readonly { readonly firstRaisedAt: string }[], records: readonly { readonly occurredAt: string }[], periodEnd: string): Promise<string | undefined> {
  // One pass for the smallest time (ISO text sorts as time), not a sort of every finding and record.
  const earliestOf = (times: Iterable<string>, start?: string) => {
    let earliest = start;
    for (const t of times) if (earliest === undefined || t < earliest) earliest = t;
    return earliest;
  };
  const known = earliestOf(records.map((r) => r.occurredAt), earliestOf(findings.map((f) => f.firstRaisedAt)));
  if (known !== undefined && known < periodEnd) return known;
  const archivedDays = (await archive.list(`${AUDIT_RECORDS_PREFIX}/`)).flatMap((k) => partitionDay(k) ?? []);
  return earliestOf(archivedDays.map((d) => `${d}T00:00:00.000Z`), known);
}

/**
 * Whether a period lies before any data: nothing is known at all, or the earliest data (from
 * `earliestData`) comes at or after the period's end. The one test for the CLI's refusal and
 * the monthly delivery's skip.
 */
export const endsBeforeAnyData = (period: Pick<Period, 'to'>, earliest: string | undefined): boolean => earliest === undefined || period.to <= earliest;
