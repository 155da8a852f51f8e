/**
 * `erpgov sql "<query>" [--format table|csv|json]` and `erpgov sql --query NAME --period P`:
 * SQL over the archive and the exports with DuckDB, tables named like the Glue tables on AWS
 * (schemas/export-tables.ts). `--list` names the auditor queries; `--athena` prints a named
 * query's SQL for Athena instead of running it. `--query audit-search` takes `erpgov audit
 * search`'s filters too (--actor --action --module --source --keyword --limit).
 */
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PermissionReport } from '../../functions/access-governance/permission-report.ts';
import type { BackupReport } from '../../functions/backup-verification/backup-report.ts';
import type { ChangeReport } from '../../functions/change-approvals/change-report.ts';
import type { OperationsReport } from '../../functions/incident-response/operations-report.ts';
import { folderArchiveStore, type ArchiveStore } from '../../functions/shared/archive-store.ts';
import { processClock } from '../../functions/shared/clock.ts';
import { mapWithConcurrency } from '../../functions/shared/concurrency.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { quarterOf, startOfMonth } from '../../functions/shared/time.ts';
import { partitionDay, REPORTS_PREFIX, type ReportSubject } from '../../schemas/archive-layout.ts';
import { AUDIT_RECORDS_TABLE, FINDINGS_TABLE, REPORT_TABLES, type ExportTable } from '../../schemas/export-tables.ts';
import { parsePeriod } from '../../functions/shared/evidence/period.ts';
import { dataDirFrom } from '../options.ts';
import { withStateTable } from '../state-access.ts';
import { searchFilters, SEARCH_FILTER_FLAGS } from '../search-filters.ts';
import { UsageError } from '../usage.ts';
import { AUDITOR_QUERIES, athenaText, auditorQuery, auditorSql } from './auditor-queries.ts';
import { openSqlEngine, SqlQueryError, type QueryResult, type SqlEngine } from './sql-engine.ts';
import { auditRecordRow, backupRows, changeRows, findingsRows, operationsRows, permissionRows, type Row } from '../../functions/shared/evidence/table-rows.ts';

const FORMATS = ['table', 'csv', 'json'] as const;
/** `audit-search`'s filters: `erpgov audit search`'s, its keyword as a flag (the period gives from and to). */
const SEARCH_FLAGS = { ...SEARCH_FILTER_FLAGS, keyword: { type: 'string' } } as const;
type Format = (typeof FORMATS)[number];

export async function runSqlCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { query: { type: 'string' }, period: { type: 'string' }, format: { type: 'string' }, list: { type: 'boolean' }, athena: { type: 'boolean' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, ...SEARCH_FLAGS },
  });
  const out = (text: string) => process.stdout.write(text);
  if (values.list) {
    for (const q of AUDITOR_QUERIES) out(`${q.name.padEnd(32)} ${q.control.padEnd(8)} ${q.description}\n`);
    return 0;
  }
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format: "${values.format}" is not one of ${FORMATS.join(', ')}`);
  let sql: string;
  if (values.query !== undefined) {
    if (positionals.length > 0) throw new UsageError('sql: give either a query text or --query NAME, not both');
    const named = auditorQuery(values.query);
    if (!named) throw new UsageError(`--query: "${values.query}" is not a named query; allowed: ${AUDITOR_QUERIES.map((q) => q.name).join(', ')}`);
    if (values.period === undefined || !/^\d{4}-\d{2}$/.test(values.period)) throw new UsageError(`--query ${named.name}: --period YYYY-MM is required (got "${values.period ?? ''}")`);
    const period = parsePeriod(values.period, processClock.now());
    sql = auditorSql(named, { period: values.period, quarter: quarterOf(startOfMonth(values.period)), firstDay: period.firstDay, lastDay: period.lastDay, filters: searchFilters({}, values) });
    if (values.athena) {
      out(athenaText(named, sql));
      return 0;
    }
  } else {
    if (positionals.length !== 1 || positionals[0]?.trim() === '') throw new UsageError('sql: give one query, e.g. erpgov sql "SELECT count(*) FROM findings", or --query NAME --period YYYY-MM (--list names them)');
    if (values.athena) throw new UsageError('sql: --athena prints a named query (--query NAME); a query text is already SQL');
    sql = positionals[0] as string;
  }
  const dataDir = dataDirFrom(values['data-dir']);
  const tables = await withStateTable({ dataDir, ...(values.endpoint ? { endpoint: values.endpoint } : {}) }, async ({ docs, tableName }) => loadTables(folderArchiveStore(join(dataDir, 'archive')), (await dynamoFindingsStore(docs, tableName).list()).map((r) => r.finding), processClock.now()));
  const engine = await openSqlEngine(tables);
  try {
    const result = await runQuery(engine, sql);
    out(renderResult(result, format));
    return 0;
  } finally {
    await engine.close();
  }
}

async function runQuery(engine: SqlEngine, sql: string): Promise<QueryResult> {
  try {
    return await engine.query(sql);
  } catch (err) {
    if (err instanceof SqlQueryError) throw new UsageError(`sql: ${err.message}`);
    throw err;
  }
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** Archive objects read at once by `erpgov sql`. */
const ARCHIVE_READS_IN_FLIGHT = 8;

/** Every SQL table's rows: the archive's audit lines and reports, and the findings as they stand. */
export async function loadTables(archive: ArchiveStore, findings: Parameters<typeof findingsRows>[0], now: Date): Promise<{ table: ExportTable; rows: Row[] }[]> {
  // A year of archive is hundreds of objects: read a few at once, keep the listing's order.
  const readAll = async (prefix: string, suffix: string) => {
    const keys = (await archive.list(prefix)).filter((key) => key.endsWith(suffix));
    const bodies = await mapWithConcurrency(keys, ARCHIVE_READS_IN_FLIGHT, (key) => archive.get(key));
    return keys.flatMap((key, i) => (bodies[i] ? [{ key, body: bodies[i] as Uint8Array }] : []));
  };
  const audit: Row[] = [];
  for (const { key, body } of await readAll(`${AUDIT_RECORDS_TABLE.prefix}/`, '.jsonl.gz')) {
    const date = partitionDay(key) ?? '';
    for (const line of decode(gunzipSync(body)).split('\n')) if (line.trim() !== '') audit.push(auditRecordRow(JSON.parse(line) as Record<string, unknown>, date));
  }
  const reports = async <R>(subject: ReportSubject, rows: (r: R) => Row[]): Promise<Row[]> =>
    (await readAll(`${REPORTS_PREFIX}/${subject}/`, '.json')).flatMap(({ body }) => rows(JSON.parse(decode(body)) as R));
  const byName = new Map(REPORT_TABLES.map((t) => [t.name, t]));
  const table = (name: string) => byName.get(name) as ExportTable;
  return [
    { table: AUDIT_RECORDS_TABLE, rows: audit },
    { table: FINDINGS_TABLE, rows: findingsRows(findings, now.toISOString().slice(0, 7), now.toISOString()) },
    { table: table('permission_report'), rows: await reports<PermissionReport>('permissions', permissionRows) },
    { table: table('backup_report'), rows: await reports<BackupReport>('backups', backupRows) },
    { table: table('change_report'), rows: await reports<ChangeReport>('changes', changeRows) },
    { table: table('operations_report'), rows: await reports<OperationsReport>('operations', operationsRows) },
  ];
}

const csvCell = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function renderResult(result: QueryResult, format: Format): string {
  if (format === 'json') return `${JSON.stringify(result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i] ?? null]))), null, 2)}\n`;
  if (format === 'csv') return `${[result.columns.map(csvCell).join(','), ...result.rows.map((r) => r.map(csvCell).join(','))].join('\n')}\n`;
  const cells = [result.columns, ...result.rows.map((r) => r.map((v) => (v === null ? '' : String(v))))];
  const widths = result.columns.map((_, i) => Math.min(60, Math.max(...cells.map((r) => (r[i] ?? '').length))));
  const line = (r: readonly string[]) => r.map((v, i) => (v.length > 60 ? `${v.slice(0, 59)}…` : v).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(result.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`].join('\n')}\n`;
}
