/**
 * The tables an auditor queries with SQL, the same in both worlds: locally `erpgov sql` loads
 * them into DuckDB from the archive and the state table; on AWS they are Glue tables over the
 * archive bucket (`audit/records/` for `audit_records`, `exports/<table>/` for the others, one
 * JSON object per line), queried with Athena. Column names are lower case and the types are
 * Hive types that both engines know, so the named auditor queries (cli/sql/auditor-queries.ts)
 * run unchanged on either.
 *
 * The tables and their columns are data (`export-tables.json`), imported as typed constants:
 * nothing parses them at run time (not at each evidence-delivery cold start). A unit test
 * (test/unit/export-tables.test.ts) checks the file: a column with a type neither engine knows,
 * a repeated name or an empty description fails it, naming the path.
 */
import declared from './export-tables.json' with { type: 'json' };
import { AUDIT_RECORDS_PREFIX, EXPORTS_PREFIX } from './archive-layout.ts';

export const COLUMN_TYPES = ['string', 'bigint', 'double', 'boolean'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export type Column = readonly [name: string, type: ColumnType, comment: string];

export interface ExportTable {
  readonly name: string;
  readonly description: string;
  /** Folder of the table's JSON lines in the archive bucket (Glue location). */
  readonly prefix: string;
  readonly columns: readonly Column[];
}

/** A table as `export-tables.json` declares it: its folder follows from its name and the layout. */
export type DeclaredTable = Omit<ExportTable, 'prefix'>;
/** The shape of `export-tables.json`. */
export interface DeclaredTables {
  readonly auditRecords: DeclaredTable;
  readonly findings: DeclaredTable;
  readonly reports: readonly DeclaredTable[];
}

// JSON imports type their arrays as string[]: the cast names the shape the unit test checks.
const tables = declared as unknown as DeclaredTables;
const exported = ({ name, description, columns }: DeclaredTable, prefix = `${EXPORTS_PREFIX}/${name}`): ExportTable => ({ name, description, prefix, columns });

/** Every finding of the shared lifecycle, one row each, as of the export. */
export const FINDINGS_TABLE: ExportTable = exported(tables.findings);

/** The monthly reports (permissions, backups, changes, operations), one row per item. */
export const REPORT_TABLES: readonly ExportTable[] = tables.reports.map((table) => exported(table));

/** `audit_records` as the archive writes it (functions/audit-archive/archive-batches.ts), with its `date` partition. */
export const AUDIT_RECORDS_TABLE: ExportTable = exported(tables.auditRecords, AUDIT_RECORDS_PREFIX);

export const SQL_TABLES: readonly ExportTable[] = [AUDIT_RECORDS_TABLE, FINDINGS_TABLE, ...REPORT_TABLES];
