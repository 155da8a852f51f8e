/**
 * `erpgov report permissions [--month YYYY-MM] [--format json|csv|md] [--out DIR]`: the monthly
 * permission audit (guide 2.5) from the state table's current per-account state. Without
 * --out it prints one format (Markdown by default); with --out it writes through the archive
 * port to DIR/reports/permissions/YYYY-MM.<format> (every format unless --format names one).
 */
import { parseArgs } from 'node:util';
import { buildMonthlyReport, writeReport } from '../functions/access-governance/flows.ts';
import { REPORT_FORMATS, type ReportFormat } from '../functions/access-governance/permission-report.ts';
import { dynamoAccessStores } from '../functions/access-governance/stores.ts';
import { previousMonth } from '../functions/shared/time.ts';
import { folderArchiveStore } from '../functions/shared/archive-store.ts';
import { dynamoFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { dynamoBackupStore } from '../functions/backup-verification/backup-store.ts';
import { BACKUP_REPORT_FORMATS, buildBackupReport, writeBackupReport, type BackupReportFormat } from '../functions/backup-verification/backup-report.ts';
import { changeStore, dynamoChangeItems, roleHoldingsReader } from '../functions/change-approvals/change-store.ts';
import { CHANGE_REPORT_FORMATS, writeChangeReport, type ChangeReportFormat } from '../functions/change-approvals/change-report.ts';
import { freezeCalendars, monthlyChangeReport, type ChangeDeps } from '../functions/change-approvals/flows.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { dataDirFrom } from './options.ts';
import { withStateTable } from './state-access.ts';
import { runOperationsReport } from './operations-report.ts';

export async function runReportCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'backups') return runBackupReport(rest);
  if (sub === 'changes') return runChangeReport(rest);
  if (sub === 'operations') return runOperationsReport(rest);
  if (sub !== 'permissions') throw new Error(`unknown report "${sub ?? ''}"; allowed: permissions, backups, changes, operations`);
  const { values } = parseArgs({
    args: rest,
    options: {
      month: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      endpoint: { type: 'string' },
      policy: { type: 'string' },
    },
  });
  const month = values.month ?? previousMonth(new Date());
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--month: "${month}" is not a month YYYY-MM`);
  const thisMonth = new Date().toISOString().slice(0, 7);
  if (month > thisMonth) throw new Error(`--month: ${month} has not begun (this month is ${thisMonth}); the permission audit reports a month that has begun, as of its end`);
  const format = values.format;
  if (format !== undefined && !(format in REPORT_FORMATS)) throw new Error(`--format: "${format}" is not one of ${Object.keys(REPORT_FORMATS).join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const report = await buildMonthlyReport(dynamoAccessStores(docs, tableName), policy, month);
    if (values.out !== undefined) {
      const formats = format ? [format as ReportFormat] : (Object.keys(REPORT_FORMATS) as ReportFormat[]);
      const archive = folderArchiveStore(values.out);
      const keys = await writeReport(archive, report, formats);
      process.stdout.write(`permission audit ${month}: ${report.accountsReviewed} account(s), ${report.items.length} item(s) → ${keys.map((k) => `${archive.location}/${k}`).join(', ')}\n`);
    } else {
      process.stdout.write(REPORT_FORMATS[(format as ReportFormat | undefined) ?? 'md'].render(report));
    }
    return 0;
  });
}

/**
 * `erpgov report backups [--month YYYY-MM] [--format json|csv|md] [--out DIR]`: per catalogue
 * dataset and tier, the month's backup evidence (guide 1.1–1.3); with --out, written to
 * DIR/reports/backups/YYYY-MM.<format>.
 */
async function runBackupReport(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { month: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, policy: { type: 'string' } } });
  const month = values.month ?? previousMonth(new Date());
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--month: "${month}" is not a month YYYY-MM`);
  const format = values.format;
  if (format !== undefined && !(format in BACKUP_REPORT_FORMATS)) throw new Error(`--format: "${format}" is not one of ${Object.keys(BACKUP_REPORT_FORMATS).join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const store = dynamoBackupStore(docs, tableName, dynamoFindingsStore(docs, tableName));
    const report = await buildBackupReport(store, policy, month, new Date());
    if (values.out !== undefined) {
      const formats = format ? [format as BackupReportFormat] : (Object.keys(BACKUP_REPORT_FORMATS) as BackupReportFormat[]);
      const archive = folderArchiveStore(values.out);
      const keys = await writeBackupReport(archive, report, formats);
      process.stdout.write(`backup report ${month}: ${report.rows.length} dataset(s) → ${keys.map((k) => `${archive.location}/${k}`).join(', ')}\n`);
    } else {
      process.stdout.write(BACKUP_REPORT_FORMATS[(format as BackupReportFormat | undefined) ?? 'md'].render(report));
    }
    return 0;
  });
}

/**
 * `erpgov report changes [--month YYYY-MM] [--format json|csv|md] [--out DIR]`: the monthly
 * change report (guide 4.1–4.4) from change-approvals' state; with --out written to
 * DIR/reports/changes/YYYY-MM.<format>.
 */
async function runChangeReport(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { month: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, policy: { type: 'string' } },
  });
  const month = values.month ?? previousMonth(new Date());
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`--month: "${month}" is not a month YYYY-MM`);
  const format = values.format;
  if (format !== undefined && !(format in CHANGE_REPORT_FORMATS)) throw new Error(`--format: "${format}" is not one of ${Object.keys(CHANGE_REPORT_FORMATS).join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const items = dynamoChangeItems(docs, tableName);
    const deps: ChangeDeps = {
      store: changeStore(items),
      roles: roleHoldingsReader(items),
      findings: dynamoFindingsStore(docs, tableName),
      publisher: { publish: async () => {} },
      policy,
      calendars: freezeCalendars(policy),
    };
    const report = await monthlyChangeReport(deps, month);
    if (values.out !== undefined) {
      const formats = format ? [format as ChangeReportFormat] : (Object.keys(CHANGE_REPORT_FORMATS) as ChangeReportFormat[]);
      const archive = folderArchiveStore(values.out);
      const keys = await writeChangeReport(archive, report, formats);
      process.stdout.write(`change report ${month}: ${report.changes.length} change(s), ${report.unmatchedProductionEdits.length} unmatched production change(s) → ${keys.map((k) => `${archive.location}/${k}`).join(', ')}\n`);
    } else {
      process.stdout.write(CHANGE_REPORT_FORMATS[(format as ChangeReportFormat | undefined) ?? 'md'].render(report));
    }
    return 0;
  });
}
