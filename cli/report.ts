/**
 * `erpgov report permissions [--month YYYY-MM] [--format json|csv|md] [--out DIR]`: the monthly
 * permission audit (guide 2.5) from the state table's current per-account state. Without
 * --out it prints one format (Markdown by default); with --out it writes through the archive
 * port to DIR/reports/permissions/YYYY-MM.<format> (every format unless --format names one).
 */
import { parseArgs } from 'node:util';
import { dynamoAccessStore } from '../functions/access-governance/access-state.ts';
import { buildMonthlyReport, writeReport } from '../functions/access-governance/governance.ts';
import { previousMonth, REPORT_FORMATS, type ReportFormat } from '../functions/access-governance/permission-report.ts';
import { folderArchiveStore } from '../functions/shared/archive-store.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { dataDirFrom } from './options.ts';
import { withStateTable } from './state-access.ts';
import { runOperationsReport } from './operations-report.ts';

export async function runReportCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'operations') return runOperationsReport(rest);
  if (sub !== 'permissions') throw new Error(`unknown report "${sub ?? ''}"; allowed: permissions, operations`);
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
  const format = values.format;
  if (format !== undefined && !(format in REPORT_FORMATS)) throw new Error(`--format: "${format}" is not one of ${Object.keys(REPORT_FORMATS).join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const report = await buildMonthlyReport(dynamoAccessStore(docs, tableName), policy, month);
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
