/**
 * Every file of an evidence pack but the manifest, as text by path inside the pack: the index
 * (JSON and HTML), each area's report for the period, the trail's verification, the archive
 * manifests and the findings (CSV and JSONL), each stating its period and when it was made.
 * Pure; the CLI writes the files into a folder, the evidence-delivery function into the archive.
 */
import { buildEvidenceIndex, EVIDENCE_FILES, type EvidenceIndex, type EvidenceInputs } from './evidence-index.ts';
import { evidenceJson, findingsCsv, findingsJsonl, renderHtml } from './evidence-render.ts';
import type { Language } from '../../../schemas/controls.ts';

export interface RenderedPack {
  readonly index: EvidenceIndex;
  readonly files: Readonly<Record<string, string>>;
}

export function renderPack(inputs: EvidenceInputs, lang: Language): RenderedPack {
  const index = buildEvidenceIndex(inputs);
  const { period, generatedAt } = inputs;
  const ids = new Set(index.controls.flatMap((c) => c.findings.map((f) => f.findingId)));
  // The findings the pack reports: those live or raised during the period (the index's timelines).
  const touching = inputs.findings.filter((f) => ids.has(f.findingId));
  const files: Record<string, string> = {
    'index.json': `${JSON.stringify(index, null, 2)}\n`,
    'index.html': renderHtml(index, lang),
    [EVIDENCE_FILES.permissions]: evidenceJson(period, generatedAt, 'permission-report', inputs.permissions),
    [EVIDENCE_FILES.backups]: evidenceJson(period, generatedAt, 'backup-report', inputs.backups),
    [EVIDENCE_FILES.changes]: evidenceJson(period, generatedAt, 'change-report', inputs.changes),
    [EVIDENCE_FILES.operations]: evidenceJson(period, generatedAt, 'operations-report', inputs.operations),
    [EVIDENCE_FILES.auditTrail]: evidenceJson(period, generatedAt, 'audit-trail-verification', { from: period.firstDay, to: period.lastDay, ...inputs.verify }),
    [EVIDENCE_FILES.manifests]: evidenceJson(period, generatedAt, 'archive-manifests', inputs.archiveManifests),
    [EVIDENCE_FILES.findingsCsv]: findingsCsv(touching, period.label, generatedAt),
    [EVIDENCE_FILES.findingsJsonl]: findingsJsonl(touching, period.label, generatedAt),
  };
  return { index, files };
}
