/**
 * The monthly backup report (guide 1.1–1.3): per catalogue dataset and tier, the last good
 * backup, the worst gap against its cadence, off-site status, retention, encryption, restore
 * tests run and passed with their figures, and the open findings. Built from each dataset's
 * state and its ledger for the month. JSON and CSV for machines, Markdown for people.
 */
import { areaReportKey } from '../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import { writeReportFormats } from '../shared/report-formats.ts';
import { isLive } from '../shared/findings/finding.ts';
import { DAY_MS, endOfMonth, HOUR_MS, startOfMonth } from '../shared/time.ts';
import type { Policy } from '../../schemas/policy.ts';
import { cadenceMs, isSensitive, type Dataset } from './catalogue.ts';
import { judgeRestore } from './dataset-state.ts';
import type { BackupStore } from './backup-store.ts';
import type { Observation } from './observations.ts';
import { reportRenderers } from '../shared/report-formats.ts';

export interface BackupReportRow {
  readonly dataset: string;
  readonly system: string;
  readonly tier: 'hot' | 'cold';
  readonly lastGoodBackup: string | null;
  readonly worstGapHours: number | null;
  readonly cadenceHours: number;
  readonly gapWithinCadence: boolean | null;
  readonly offsite: 'yes' | 'no' | 'unknown';
  readonly retention: 'ok' | 'short' | 'unknown' | 'n/a';
  readonly encryption: 'encrypted' | 'unencrypted' | 'unknown' | 'not required';
  readonly restoreTestsRun: number;
  readonly restoreTestsPassed: number;
  readonly restoreTests: readonly { testId: string; at: string; verdict: string; durationMinutes: number; problems: readonly string[] }[];
  readonly openFindings: readonly string[];
}

export interface BackupReport {
  readonly month: string;
  readonly asOf: string;
  readonly rows: readonly BackupReportRow[];
}

const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10) / 10;

/** `now` bounds the current month's last gap (default: the month's end). */
export async function buildBackupReport(store: BackupStore, policy: Policy, month: string, now?: Date): Promise<BackupReport> {
  const from = startOfMonth(month);
  const to = endOfMonth(month);
  const rows: BackupReportRow[] = [];
  for (const dataset of policy.backups.catalogue) rows.push(await datasetRow(store, policy, dataset, from, to, now ?? to));
  return { month, asOf: to.toISOString(), rows };
}

async function datasetRow(store: BackupStore, policy: Policy, dataset: Dataset, from: Date, to: Date, now: Date): Promise<BackupReportRow> {
  const { backups } = policy;
  const cadence = cadenceMs(backups, dataset);
  // One cadence before the month, so the month's first gap starts at the backup before it.
  const entries = await store.ledger(dataset.id, new Date(from.getTime() - Math.max(cadence, DAY_MS)).toISOString(), to.toISOString());
  const inMonth = (o: Observation) => o.at >= from.toISOString();
  const good = entries.filter((o) => (dataset.tier === 'hot' ? o.kind === 'replication' : o.kind === 'backup' && o.full)).map((o) => Date.parse(o.at));
  const record = await store.read(dataset.id);
  const enrolled = record.state ? Date.parse(record.state.enrolledAt) : undefined;
  const marks = [Math.max(from.getTime() - Math.max(cadence, DAY_MS), enrolled ?? 0, ...good.filter((t) => t < from.getTime())), ...good.filter((t) => t >= from.getTime()), Math.min(to.getTime(), now.getTime())].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 1; i < marks.length; i++) worst = Math.max(worst, (marks[i] as number) - (marks[i - 1] as number));
  const month = entries.filter(inMonth);
  const backupsIn = month.filter((o): o is Extract<Observation, { kind: 'backup' }> => o.kind === 'backup');
  const offsiteSeen = month.some((o) => (o.kind === 'backup' && o.offsite === true) || (o.kind === 'copy' && o.ok && o.offsite) || (o.kind === 'replication' && o.offsite === true));
  const notOffsite = month.some((o) => (o.kind === 'backup' && o.offsite === false) || (o.kind === 'copy' && !(o.ok && o.offsite)) || (o.kind === 'replication' && o.offsite === false));
  const tests = month.filter((o): o is Extract<Observation, { kind: 'restore-test' }> => o.kind === 'restore-test').map((o) => ({ ...judgeRestore(o, dataset, backups) }));
  const live = record.findings.filter((f) => isLive(f.finding)).map((f) => f.finding.rule).sort();
  const last = record.state?.lastGoodBackup?.at ?? null;
  const retention = dataset.tier === 'hot' ? 'n/a' : live.includes('retention-below-floor') ? 'short' : backupsIn.some((b) => b.retainUntil !== undefined) ? 'ok' : 'unknown';
  const encrypted = backupsIn.some((b) => b.encrypted === true);
  const unencrypted = backupsIn.some((b) => b.encrypted === false) || month.some((o) => o.kind === 'replication' && o.encryptedInTransit === false);
  return {
    dataset: dataset.id, system: dataset.system, tier: dataset.tier, lastGoodBackup: last,
    worstGapHours: marks.length > 1 ? hours(worst) : null, cadenceHours: hours(cadence), gapWithinCadence: marks.length > 1 ? worst <= cadence : null,
    offsite: notOffsite && !offsiteSeen ? 'no' : offsiteSeen ? 'yes' : 'unknown',
    retention,
    encryption: !isSensitive(backups, dataset) ? 'not required' : unencrypted ? 'unencrypted' : encrypted ? 'encrypted' : 'unknown',
    restoreTestsRun: tests.length, restoreTestsPassed: tests.filter((t) => t.verdict === 'passed').length,
    restoreTests: tests.map((t) => ({ testId: t.testId, at: t.at, verdict: t.verdict, durationMinutes: t.durationMinutes, problems: t.problems })),
    openFindings: live,
  };
}

export const renderJson = (report: BackupReport) => `${JSON.stringify(report, null, 2)}\n`;

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
};

const COLUMNS = ['dataset', 'system', 'tier', 'lastGoodBackup', 'worstGapHours', 'cadenceHours', 'gapWithinCadence', 'offsite', 'retention', 'encryption', 'restoreTestsRun', 'restoreTestsPassed', 'openFindings'] as const;

export function renderCsv(report: BackupReport): string {
  const lines = [['month', ...COLUMNS].join(',')];
  for (const r of report.rows) lines.push([report.month, ...COLUMNS.map((c) => (c === 'openFindings' ? r.openFindings.join(' ') : r[c]))].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

const md = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v).replaceAll('|', '\\|').replaceAll('\n', ' '));

export function renderMarkdown(report: BackupReport): string {
  const out = [
    `# Backup report ${report.month}`, '',
    `${report.rows.length} dataset(s) in the catalogue, as of ${report.asOf} (guide 1.1–1.3).`, '',
    '| Dataset | Tier | Last good backup | Worst gap (h) / cadence | Off-site | Retention | Encryption | Restore tests passed / run | Open findings |',
    '| --- | --- | --- | --- | --- | --- | --- | ---: | --- |',
    ...report.rows.map((r) => `| ${md(r.dataset)} (${md(r.system)}) | ${r.tier} | ${md(r.lastGoodBackup)} | ${md(r.worstGapHours)} / ${r.cadenceHours}${r.gapWithinCadence === false ? ' ⚠' : ''} | ${r.offsite} | ${r.retention} | ${r.encryption} | ${r.restoreTestsPassed} / ${r.restoreTestsRun} | ${md(r.openFindings.join(', '))} |`),
  ];
  const tested = report.rows.filter((r) => r.restoreTests.length > 0);
  if (tested.length > 0) {
    out.push('', '## Restore tests', '', '| Dataset | Test | At | Verdict | Minutes | Figures |', '| --- | --- | --- | --- | ---: | --- |');
    for (const r of tested) for (const t of r.restoreTests) out.push(`| ${md(r.dataset)} | ${md(t.testId)} | ${t.at} | ${t.verdict} | ${t.durationMinutes} | ${md(t.problems.join('; ') || 'all shown and matching')} |`);
  }
  out.push('');
  return out.join('\n');
}

export const BACKUP_REPORT_FORMATS = reportRenderers({ json: renderJson, csv: renderCsv, md: renderMarkdown });
export type BackupReportFormat = keyof typeof BACKUP_REPORT_FORMATS;
export const backupReportKey = (month: string, format: BackupReportFormat) => areaReportKey('backups', month, format);

export function writeBackupReport(archive: ArchiveStore, report: BackupReport, formats?: readonly BackupReportFormat[]): Promise<string[]> {
  return writeReportFormats(archive, (format) => backupReportKey(report.month, format), BACKUP_REPORT_FORMATS, report, formats);
}
