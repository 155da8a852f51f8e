/**
 * `erpgov report <permissions|backups|changes|operations> [--month YYYY-MM | --quarter YYYY-Qn]
 * [--format json|csv|md] [--out DIR]`: each area's periodic report, built from the state
 * table the way its function builds it on schedule. Without --out it prints one format
 * (Markdown by default); with --out it writes through the archive port to
 * DIR/reports/<report>/<period>.<format> (every format unless --format names one).
 * One runner serves every report: the reports differ only in how they are built.
 */
import { parseArgs } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildMonthlyReport, writeReport } from '../functions/access-governance/flows.ts';
import { REPORT_FORMATS } from '../functions/access-governance/permission-report.ts';
import { dynamoAccessStores } from '../functions/access-governance/stores.ts';
import { BACKUP_REPORT_FORMATS, buildBackupReport, writeBackupReport } from '../functions/backup-verification/backup-report.ts';
import { dynamoBackupStore } from '../functions/backup-verification/backup-store.ts';
import { CHANGE_REPORT_FORMATS, writeChangeReport } from '../functions/change-approvals/change-report.ts';
import { changeStore, dynamoChangeItems, roleHoldingsReader } from '../functions/change-approvals/change-store.ts';
import { freezeCalendars, monthlyChangeReport } from '../functions/change-approvals/flows.ts';
import { dynamoDrillStore } from '../functions/incident-response/drill-store.ts';
import { dynamoIncidentStore } from '../functions/incident-response/incident-store.ts';
import { buildOperationsReport, OPERATIONS_FORMATS, writeOperationsReport } from '../functions/incident-response/operations-report.ts';
import { folderArchiveStore, type ArchiveStore } from '../functions/shared/archive-store.ts';
import { processClock } from '../functions/shared/clock.ts';
import { dynamoFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { ALL_REPORT_FORMATS, type ReportFormatName } from '../functions/shared/report-formats.ts';
import { MONTH_PATTERN, previousMonth, QUARTER_PATTERN, quarterOf, utcMonth } from '../functions/shared/time.ts';
import type { Policy } from '../schemas/policy.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { dataDirFrom } from './options.ts';
import { withStateTable } from './state-access.ts';
import { UsageError } from './usage.ts';

interface ReportKind<R> {
  /** The option naming the period, and how to check and default it. */
  readonly period: { readonly option: 'month' | 'quarter'; readonly pattern: RegExp; readonly shape: string; readonly defaultAt: (now: Date) => string; readonly current: (now: Date) => string };
  readonly renderers: { readonly [F in ReportFormatName]: { readonly render: (report: R) => string } };
  build(docs: DynamoDBDocumentClient, tableName: string, policy: Policy, period: string, now: Date): Promise<R>;
  write(archive: ArchiveStore, report: R, formats: readonly ReportFormatName[]): Promise<string[]>;
  /** One line for the terminal after writing: what the report holds. */
  summary(report: R): string;
}

const monthly = { option: 'month', pattern: MONTH_PATTERN, shape: 'a month YYYY-MM', defaultAt: previousMonth, current: utcMonth } as const;
const quarterly = { option: 'quarter', pattern: QUARTER_PATTERN, shape: 'a quarter YYYY-Qn, e.g. 2026-Q1', defaultAt: quarterOf, current: quarterOf } as const;
const kind = <R>(spec: ReportKind<R>) => spec as ReportKind<unknown>;

const REPORTS: Readonly<Record<string, ReportKind<unknown>>> = {
  permissions: kind({
    period: monthly,
    renderers: REPORT_FORMATS,
    build: (docs, tableName, policy, month) => buildMonthlyReport(dynamoAccessStores(docs, tableName), policy, month),
    write: (archive, report, formats) => writeReport(archive, report, formats),
    summary: (report) => `permission audit ${report.month}: ${report.accountsReviewed} account(s), ${report.items.length} item(s)`,
  }),
  backups: kind({
    period: monthly,
    renderers: BACKUP_REPORT_FORMATS,
    build: (docs, tableName, policy, month, now) => buildBackupReport(dynamoBackupStore(docs, tableName, dynamoFindingsStore(docs, tableName)), policy, month, now),
    write: (archive, report, formats) => writeBackupReport(archive, report, formats),
    summary: (report) => `backup report ${report.month}: ${report.rows.length} dataset(s)`,
  }),
  changes: kind({
    period: monthly,
    renderers: CHANGE_REPORT_FORMATS,
    build(docs, tableName, policy, month) {
      const items = dynamoChangeItems(docs, tableName);
      // Reading only: the report publishes nothing.
      const deps = { store: changeStore(items), roles: roleHoldingsReader(items), findings: dynamoFindingsStore(docs, tableName), publisher: { publish: async () => {} }, policy, calendars: freezeCalendars(policy) };
      return monthlyChangeReport(deps, month);
    },
    write: (archive, report, formats) => writeChangeReport(archive, report, formats),
    summary: (report) => `change report ${report.month}: ${report.changes.length} change(s), ${report.unmatchedProductionEdits.length} unmatched production change(s)`,
  }),
  operations: kind({
    period: quarterly,
    renderers: OPERATIONS_FORMATS,
    build: (docs, tableName, policy, quarter) =>
      buildOperationsReport({ findings: dynamoFindingsStore(docs, tableName), incidents: dynamoIncidentStore(docs, tableName), drills: dynamoDrillStore(docs, tableName) }, policy, quarter),
    write: (archive, report, formats) => writeOperationsReport(archive, report, formats),
    summary: (report) => `operations report ${report.quarter}: ${report.episodes.length} episode(s), ${report.incidents.reduce((n, s) => n + s.incidents, 0)} incident(s), ${report.drills.length} drill(s)`,
  }),
};

export async function runReportCommand(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const report = name === undefined ? undefined : REPORTS[name];
  if (report === undefined) throw new UsageError(`unknown report "${name ?? ''}"; allowed: ${Object.keys(REPORTS).join(', ')}`);
  return runReport(report, rest);
}

async function runReport(report: ReportKind<unknown>, args: string[]): Promise<number> {
  const { option, pattern, shape, defaultAt, current } = report.period;
  const { values } = parseArgs({
    args,
    options: { [option]: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, policy: { type: 'string' } },
  });
  const now = processClock.now();
  const period = (values[option] as string | undefined) ?? defaultAt(now);
  if (!pattern.test(period)) throw new UsageError(`--${option}: "${period}" is not ${shape}`);
  // Periods sort as text; a report of a period that has not begun would describe nothing real.
  if (period > current(now)) throw new UsageError(`--${option}: ${period} has not begun yet (now is ${current(now)})`);
  const format = values.format as string | undefined;
  if (format !== undefined && !(ALL_REPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: "${format}" is not one of ${ALL_REPORT_FORMATS.join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy as string } : {});
  const access = { dataDir: dataDirFrom(values['data-dir'] as string | undefined), ...(values.endpoint ? { endpoint: values.endpoint as string } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const built = await report.build(docs, tableName, policy, period, now);
    if (values.out !== undefined) {
      const archive = folderArchiveStore(values.out as string);
      const keys = await report.write(archive, built, format ? [format as ReportFormatName] : ALL_REPORT_FORMATS);
      process.stdout.write(`${report.summary(built)} → ${keys.map((k) => `${archive.location}/${k}`).join(', ')}\n`);
    } else {
      process.stdout.write(report.renderers[(format as ReportFormatName | undefined) ?? 'md'].render(built));
    }
    return 0;
  });
}
