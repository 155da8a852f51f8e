/**
 * The monthly change report (guide 4.1–4.4): every change with a fact in the month — requester,
 * both approvers and when, test evidence, deployed version against the approved one, rollback
 * plan present, freeze and emergency status — and every production change that matched no
 * request. JSON, CSV and Markdown; written to the archive under reports/changes/YYYY-MM.<format>.
 */
import { areaReportKey } from '../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import { writeReportFormats } from '../shared/report-formats.ts';
import type { ChangeSummary } from './change-decisions.ts';
import type { GateRecord } from './change-store.ts';
import { reportRenderers } from '../shared/report-formats.ts';

export interface ChangeReportRow {
  readonly changeId: string;
  readonly title: string | null;
  readonly requestedBy: string | null;
  readonly requestedAt: string | null;
  readonly approvers: string;
  readonly rejected: string | null;
  readonly tests: string;
  readonly approvedVersion: string | null;
  readonly deployedVersions: string;
  readonly versionMatches: boolean | null;
  readonly rollbackPlan: boolean;
  readonly emergency: boolean;
  readonly freeze: string | null;
}

export interface ChangeReport {
  readonly month: string;
  readonly changes: readonly ChangeReportRow[];
  readonly unmatchedProductionEdits: readonly GateRecord[];
}

export function changeReportRow(summary: ChangeSummary): ChangeReportRow {
  const d = summary.request?.detail ?? {};
  const production = summary.deployments.filter((x) => x.production);
  return {
    changeId: summary.changeId,
    title: typeof d.title === 'string' ? d.title : null,
    requestedBy: summary.requestedBy ?? null,
    requestedAt: summary.request?.at ?? null,
    approvers: Object.entries(summary.signOffs).map(([role, s]) => `${role}: ${s.approver} at ${s.at}`).join('; '),
    rejected: summary.rejected ? `${summary.rejected.by} at ${summary.rejected.at}: ${summary.rejected.reason}` : null,
    tests: summary.tests.map((t) => `${t.environment} ${t.codeVersion} ${t.outcome} at ${t.at}`).join('; '),
    approvedVersion: typeof d.codeVersion === 'string' ? d.codeVersion : null,
    deployedVersions: summary.deployments.map((x) => `${x.environment} ${x.kind === 'deploy' ? (x.codeVersion ?? '?') : 'configuration'} at ${x.at}`).join('; '),
    versionMatches: production.length === 0 ? null : production.every((x) => x.versionMatches),
    rollbackPlan: typeof d.rollbackPlan === 'string' && d.rollbackPlan !== '',
    emergency: summary.emergency,
    freeze: production.map((x) => x.freeze).find((f) => f !== undefined) ?? null,
  };
}

export function buildChangeReport(month: string, summaries: readonly ChangeSummary[], gate: readonly GateRecord[]): ChangeReport {
  return {
    month,
    changes: summaries.map(changeReportRow).sort((a, b) => (a.changeId < b.changeId ? -1 : 1)),
    unmatchedProductionEdits: gate.filter((g) => g.matchedChangeId === undefined),
  };
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};
const COLUMNS: (keyof ChangeReportRow)[] = ['changeId', 'title', 'requestedBy', 'requestedAt', 'approvers', 'rejected', 'tests', 'approvedVersion', 'deployedVersions', 'versionMatches', 'rollbackPlan', 'emergency', 'freeze'];

export function renderJson(report: ChangeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderCsv(report: ChangeReport): string {
  const lines = [['month', 'record', ...COLUMNS].join(',')];
  for (const row of report.changes) lines.push([report.month, 'change', ...COLUMNS.map((c) => row[c])].map(csvCell).join(','));
  for (const edit of report.unmatchedProductionEdits) lines.push([report.month, 'unmatched-production-edit', edit.changeKey, edit.summary, null, edit.time, null, null, null, null, null, null, null, null, edit.inFreeze ?? null].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

const md = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value).replaceAll('|', '\\|'));

export function renderMarkdown(report: ChangeReport): string {
  const out = [`# Change report ${report.month}`, '', `${report.changes.length} change(s); ${report.unmatchedProductionEdits.length} production change(s) without a request.`, ''];
  out.push('| Change | Requester | Approvers | Tests | Approved | Deployed | Versions match | Rollback plan | Emergency | Freeze |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of report.changes) out.push(`| ${md(r.changeId)} ${r.title ? `(${md(r.title)})` : ''} | ${md(r.requestedBy)} | ${md(r.approvers)}${r.rejected ? ` — rejected: ${md(r.rejected)}` : ''} | ${md(r.tests)} | ${md(r.approvedVersion)} | ${md(r.deployedVersions)} | ${md(r.versionMatches)} | ${r.rollbackPlan ? 'yes' : 'no'} | ${r.emergency ? 'yes' : 'no'} | ${md(r.freeze)} |`);
  if (report.unmatchedProductionEdits.length > 0) {
    out.push('', '## Production changes without a request (4.4)', '', '| When | What | Resource | Freeze |', '| --- | --- | --- | --- |');
    for (const e of report.unmatchedProductionEdits) out.push(`| ${md(e.time)} | ${md(e.summary)} | ${md(e.resource)} | ${md(e.inFreeze)} |`);
  }
  return `${out.join('\n')}\n`;
}

export const CHANGE_REPORT_FORMATS = reportRenderers({ json: renderJson, csv: renderCsv, md: renderMarkdown });
export type ChangeReportFormat = keyof typeof CHANGE_REPORT_FORMATS;
export const changeReportKey = (month: string, format: ChangeReportFormat) => areaReportKey('changes', month, format);

export function writeChangeReport(archive: ArchiveStore, report: ChangeReport, formats?: readonly ChangeReportFormat[]): Promise<string[]> {
  return writeReportFormats(archive, (format) => changeReportKey(report.month, format), CHANGE_REPORT_FORMATS, report, formats);
}
