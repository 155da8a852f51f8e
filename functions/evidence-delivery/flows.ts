/**
 * The monthly delivery: on the 1st, the evidence pack of the month before goes to the archive
 * under `evidence/period=<YYYY-MM>/` (schemas/archive-layout.ts) with its signed manifest, the
 * month's export partitions are written for the SQL tables, and the controls without data
 * are reconciled as findings.
 *
 * Idempotent: the manifest is written last, and a month whose manifest is in the archive is
 * not delivered again, so a second fire writes nothing. Everything before the manifest is
 * safe to repeat (the same keys, the same bytes for the same fire time; findings through the
 * lifecycle), so a crash part-way is finished by the next fire.
 */
import { evidencePackPrefix } from '../../schemas/archive-layout.ts';
import type { RuleMode } from '../shared/findings/finding.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import type { ControlFeed } from '../shared/evidence/control-feed.ts';
import { renderPack } from '../shared/evidence/evidence-pack.ts';
import type { Language } from '../../schemas/controls.ts';
import { MANIFEST_FILE, manifestText, sealManifest, type PackSigner } from '../shared/evidence/pack-manifest.ts';
import { earliestData, endsBeforeAnyData, trailEvidence } from '../shared/evidence/pack-sources.ts';
import { parsePeriod } from '../shared/evidence/period.ts';
import { exportPartitions } from '../shared/evidence/table-rows.ts';
import type { FindingsStore } from '../shared/findings/findings-store.ts';
import type { FindingLifecycle } from '../shared/findings/lifecycle.ts';
import { previousMonth } from '../shared/time.ts';
import { archivedReports } from './archived-reports.ts';
import { controlsScope, missingEvidenceFindings } from './evidence-findings.ts';

export interface DeliveryPorts {
  readonly trail: AuditTrailStore;
  readonly archive: ArchiveStore;
  readonly feed: ControlFeed;
  readonly findingsStore: FindingsStore;
  readonly findings: FindingLifecycle;
  readonly signer: () => Promise<PackSigner>;
  readonly retentionDays: number;
  readonly language: Language;
  readonly mode: RuleMode;
}

export type DeliveryOutcome =
  /** Already delivered, or the month ended before the pipeline had any data (no pack, no findings). */
  | { readonly month: string; readonly delivered: false; readonly manifestKey: string; readonly reason: 'already-delivered' | 'before-any-data' }
  | { readonly month: string; readonly delivered: true; readonly manifestKey: string; readonly files: number; readonly exports: number; readonly missingReports: readonly string[]; readonly withoutData: readonly string[]; readonly raised: number; readonly resolved: number; readonly keyId: string };

const CONTENT_TYPES: Readonly<Record<string, string>> = { json: 'application/json', html: 'text/html; charset=utf-8', csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson' };
const contentTypeOf = (path: string) => CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
const encode = (text: string) => new TextEncoder().encode(text);

export async function deliverMonthlyEvidence(ports: DeliveryPorts, firedAt: Date): Promise<DeliveryOutcome> {
  const month = previousMonth(firedAt);
  const prefix = evidencePackPrefix(month);
  const manifestKey = `${prefix}${MANIFEST_FILE}`;
  if (await ports.archive.get(manifestKey)) return { month, delivered: false, manifestKey, reason: 'already-delivered' };

  const period = parsePeriod(month, firedAt);
  const generatedAt = firedAt.toISOString();
  const findings = (await ports.findingsStore.list()).map((r) => r.finding);
  const trail = await trailEvidence(ports.trail, ports.archive, period);
  const earliest = await earliestData(ports.archive, findings, trail.records, period.to);
  if (endsBeforeAnyData(period, earliest)) return { month, delivered: false, manifestKey, reason: 'before-any-data' };
  const { missing, ...reports } = await archivedReports(ports.archive, period);
  const { index, files } = renderPack({ period, generatedAt, findings, ...trail, ...reports, retentionDays: ports.retentionDays, fedControls: [...(await ports.feed.fedIn(period.months))] }, ports.language);

  const partitions = exportPartitions(month, generatedAt, findings, reports);
  for (const { key, body } of partitions) await ports.archive.put(key, encode(body), 'application/x-ndjson');

  const desired = missingEvidenceFindings(index, ports.mode);
  const reconciled = await ports.findings.reconcile(controlsScope, desired, firedAt, {
    howResolved: (f) => ({ summary: `control ${f.raised.control} had data in ${month}`, facts: { control: f.raised.control, period: month }, resolution: 'fixed' }),
  });

  const packed = Object.entries(files).map(([path, text]) => ({ path, bytes: encode(text) }));
  for (const { path, bytes } of packed) await ports.archive.put(`${prefix}${path}`, bytes, contentTypeOf(path));
  const manifest = await sealManifest(packed, period, generatedAt, await ports.signer());
  await ports.archive.put(manifestKey, encode(manifestText(manifest)), 'application/json');

  return {
    month,
    delivered: true,
    manifestKey,
    files: packed.length + 1,
    exports: partitions.length,
    missingReports: missing,
    withoutData: desired.map((f) => f.control),
    raised: reconciled.raised.length,
    resolved: reconciled.resolved.length,
    keyId: manifest.signature.keyId,
  };
}
