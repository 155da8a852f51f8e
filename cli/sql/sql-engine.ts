/**
 * The local SQL engine: DuckDB (@duckdb/node-api, in memory) with the tables of
 * schemas/export-tables.ts loaded from rows. Each table is created with its declared columns
 * and types (so an empty table still exists and a query's types match Athena's), then filled
 * from newline-delimited JSON written to a private temporary folder.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnType, ExportTable } from '../../schemas/export-tables.ts';
import type { Row } from '../../functions/shared/evidence/table-rows.ts';

const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = { string: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN' };
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (string | number | boolean | null)[][];
}

export interface SqlEngine {
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/** A query the engine refused (syntax, unknown table or column): the user's input. */
export class SqlQueryError extends Error {}

const plain = (value: unknown): string | number | boolean | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
};

export async function openSqlEngine(tables: readonly { table: ExportTable; rows: readonly Row[] }[]): Promise<SqlEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const folder = await mkdtemp(join(tmpdir(), 'erpgov-sql-'));
  try {
    for (const { table, rows } of tables) {
      await connection.run(`CREATE TABLE ${ident(table.name)} (${table.columns.map(([name, type]) => `${ident(name)} ${DUCKDB_TYPES[type]}`).join(', ')})`);
      if (rows.length === 0) continue;
      const file = join(folder, `${table.name}.jsonl`);
      await writeFile(file, rows.map((row) => JSON.stringify(Object.fromEntries(table.columns.map(([name]) => [name, row[name] ?? null])))).join('\n') + '\n');
      const columns = `{${table.columns.map(([name, type]) => `${literal(name)}: ${literal(DUCKDB_TYPES[type])}`).join(', ')}}`;
      await connection.run(`INSERT INTO ${ident(table.name)} SELECT * FROM read_json(${literal(file)}, format = 'newline_delimited', columns = ${columns})`);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return {
    async query(sql) {
      let reader;
      try {
        reader = await connection.runAndReadAll(sql);
      } catch (err) {
        const first = String((err as Error).message).split('\n').filter((l) => l.trim() !== '').slice(0, 2).join(' ');
        throw new SqlQueryError(first, { cause: err });
      }
      return { columns: reader.columnNames(), rows: reader.getRowsJS().map((r) => r.map(plain)) };
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
