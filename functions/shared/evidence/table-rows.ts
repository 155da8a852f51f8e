/**
 * Rows of the SQL tables (schemas/export-tables.ts) from what the pipeline keeps: the archive's
 * audit lines, the findings, and the areas' report JSON. Pure; the same rows go to DuckDB
 * locally and to `exports/<table>/` for the Glue tables on AWS.
 */
import type { StoredFinding } from '../findings/finding.ts';
import type { AreaReports, BackupReportView, ChangeReportView, OperationsReportView, PermissionReportView } from './report-views.ts';
import { exportKey } from '../../../schemas/archive-layout.ts';
import { REPORT_TABLES } from '../../../schemas/export-tables.ts';
import { findingRow } from './evidence-render.ts';

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

export const permissionRows = (r: PermissionReportView): Row[] => reportRows('permission_report', { month: r.month }, r.items);
export const backupRows = (r: BackupReportView): Row[] => reportRows('backup_report', { month: r.month }, r.rows);
export const changeRows = (r: ChangeReportView): Row[] => reportRows('change_report', { month: r.month }, r.changes);
export const operationsRows = (r: OperationsReportView): Row[] => reportRows('operations_report', { quarter: r.quarter }, r.incidents);

/** Rows as the Glue tables read them: one JSON object per line. */
export const jsonLines = (rows: readonly Row[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/**
 * The export partitions of a month (`exports/<table>/period=<p>/rows.jsonl`): the findings as
 * they stand at `generatedAt`, and each area report's rows under its own month or quarter.
 */
export function exportPartitions(month: string, generatedAt: string, findings: readonly StoredFinding[], reports: AreaReports): { key: string; body: string }[] {
  return [
    { key: exportKey('findings', month), body: jsonLines(findingsRows(findings, month, generatedAt)) },
    ...reports.permissions.map((r) => ({ key: exportKey('permission_report', r.month), body: jsonLines(permissionRows(r)) })),
    ...reports.backups.map((r) => ({ key: exportKey('backup_report', r.month), body: jsonLines(backupRows(r)) })),
    ...reports.changes.map((r) => ({ key: exportKey('change_report', r.month), body: jsonLines(changeRows(r)) })),
    ...reports.operations.map((r) => ({ key: exportKey('operations_report', r.quarter), body: jsonLines(operationsRows(r)) })),
  ];
}
