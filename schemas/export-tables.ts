/**
 * The tables an auditor queries with SQL, the same in both worlds: locally `erpgov sql` loads
 * them into DuckDB from the archive and the state table; on AWS they are Glue tables over the
 * archive bucket (`audit/records/` for `audit_records`, `exports/<table>/` for the others, one
 * JSON object per line), queried with Athena. Column names are lower case and the types are
 * Hive types that both engines know, so the named auditor queries (cli/sql/auditor-queries.ts)
 * run unchanged on either.
 *
 * The tables and their columns are data (`export-tables.json`), checked here once when the
 * module loads: a column with a type neither engine knows, a repeated name or an empty
 * description stops the CLI and `cdk synth`.
 */
import * as z from './zod-mini.ts';
import declared from './export-tables.json' with { type: 'json' };
import { AUDIT_RECORDS_PREFIX, EXPORTS_PREFIX } from './archive-layout.ts';

const columnTypes = ['string', 'bigint', 'double', 'boolean'] as const;
export type ColumnType = (typeof columnTypes)[number];
export type Column = readonly [name: string, type: ColumnType, comment: string];

export interface ExportTable {
  readonly name: string;
  readonly description: string;
  /** Folder of the table's JSON lines in the archive bucket (Glue location). */
  readonly prefix: string;
  readonly columns: readonly Column[];
}


const lowerCaseName = z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, { message: 'must be lower case letters, digits and "_"' }));
const tableSchema = z.pipe(z
  .strictObject({
    name: lowerCaseName,
    description: z.string().check(z.minLength(1)),
    columns: z.array(z.tuple([lowerCaseName, z.enum(columnTypes), z.string().check(z.minLength(1))])).check(z.minLength(1)),
  })
  .check(z.refine((table) => new Set(table.columns.map(([name]) => name)).size === table.columns.length, { message: 'repeats a column name' })), z.transform(({ name, description, columns }): ExportTable => ({ name, description, prefix: `${EXPORTS_PREFIX}/${name}`, columns })));
const tables = z.strictObject({ auditRecords: tableSchema, findings: tableSchema, reports: z.array(tableSchema) }).parse(declared);

/** Every finding of the shared lifecycle, one row each, as of the export. */
export const FINDINGS_TABLE: ExportTable = tables.findings;

/** The monthly reports (permissions, backups, changes, operations), one row per item. */
export const REPORT_TABLES: readonly ExportTable[] = tables.reports;

/** `audit_records` as the archive writes it (functions/audit-archive/archive-batches.ts), with its `date` partition. */
export const AUDIT_RECORDS_TABLE: ExportTable = { ...tables.auditRecords, prefix: AUDIT_RECORDS_PREFIX };

export const SQL_TABLES: readonly ExportTable[] = [AUDIT_RECORDS_TABLE, FINDINGS_TABLE, ...REPORT_TABLES];
