/**
 * Rows of the SQL tables (schemas/export-tables.ts) from what the pipeline keeps: the archive's
 * audit lines, the findings, and the areas' report JSON. Pure; the same rows go to DuckDB
 * locally and to `exports/<table>/` for the Glue tables on AWS.
 */
import type { PermissionReport } from '../../functions/access-governance/permission-report.ts';
import type { BackupReport } from '../../functions/backup-verification/backup-report.ts';
import type { ChangeReport } from '../../functions/change-approvals/change-report.ts';
import type { OperationsReport } from '../../functions/incident-response/operations-report.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';
import { REPORT_TABLES } from '../../schemas/export-tables.ts';
import { findingRow } from '../evidence/evidence-render.ts';

export type Row = Record<string, string | number | boolean | null>;

/** An archived line (camel-case record fields) as an `audit_records` row (lower-case columns, as Athena's JSON SerDe sees them). */
export function auditRecordRow(line: Record<string, unknown>, date: string): Row {
  const row: Row = { date };
  for (const [key, value] of Object.entries(line)) row[key.toLowerCase()] = value === undefined ? null : (value as Row[string]);
  return row;
}

export const findingsRows = (findings: readonly StoredFinding[], period: string, generatedAt: string): Row[] => findings.map((f) => findingRow(f, period, generatedAt));

/** `last_good_backup` → `lastGoodBackup`: the report field a column is read from. */
const fieldOf = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * One row per item of a report, its columns those the table declares: the period column(s) from
 * the report itself, every other column the item's field of the same name in camelCase.
 */
function reportRows(tableName: string, period: Row, items: readonly object[]): Row[] {
  const table = REPORT_TABLES.find((t) => t.name === tableName);
  if (!table) throw new Error(`no report table named ${tableName}`);
  const columns = table.columns.map(([name]) => name).filter((name) => !(name in period));
  return items.map((item) => {
    const row: Row = { ...period };
    for (const column of columns) row[column] = (item as Record<string, Row[string]>)[fieldOf(column)] as Row[string];
    return row;
  });
}

export const permissionRows = (r: PermissionReport): Row[] => reportRows('permission_report', { month: r.month }, r.items);
export const backupRows = (r: BackupReport): Row[] => reportRows('backup_report', { month: r.month }, r.rows);
export const changeRows = (r: ChangeReport): Row[] => reportRows('change_report', { month: r.month }, r.changes);
export const operationsRows = (r: OperationsReport): Row[] => reportRows('operations_report', { quarter: r.quarter }, r.incidents);
