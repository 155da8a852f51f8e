/**
 * The SQL export tables (schemas/export-tables.json) as data: checked here, not at every module
 * load. Names are lower case, types ones both DuckDB and Athena know, no column repeats and
 * every description says something; a refusal names the path of what is wrong.
 */
import { describe, expect, it } from 'vitest';
import declared from '../../schemas/export-tables.json' with { type: 'json' };
import { AUDIT_RECORDS_TABLE, COLUMN_TYPES, FINDINGS_TABLE, REPORT_TABLES, type DeclaredTables } from '../../schemas/export-tables.ts';
import * as z from '../../schemas/zod-mini.ts';

const lowerCaseName = z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, { message: 'must be lower case letters, digits and "_"' }));
const tableSchema = z
  .strictObject({
    name: lowerCaseName,
    description: z.string().check(z.minLength(1)),
    columns: z.array(z.tuple([lowerCaseName, z.enum(COLUMN_TYPES), z.string().check(z.minLength(1))])).check(z.minLength(1)),
  })
  .check(z.refine((table) => new Set(table.columns.map(([name]) => name)).size === table.columns.length, { message: 'repeats a column name' }));
const tablesSchema = z.strictObject({ auditRecords: tableSchema, findings: tableSchema, reports: z.array(tableSchema) });

/** Each issue as `path: message`, so a failure says where the file is wrong. */
const problems = (json: unknown): string[] => {
  const result = tablesSchema.safeParse(json);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('export tables', () => {
  it('export-tables.json declares well-formed tables', () => {
    expect(problems(declared)).toEqual([]);
    // The typed cast in schemas/export-tables.ts promises exactly what the schema checked.
    const checked: DeclaredTables = tablesSchema.parse(declared);
    expect(checked.reports.length).toBe(REPORT_TABLES.length);
  });

  it('refuses a bad declaration, naming the path', () => {
    const bad = structuredClone(declared) as unknown as { findings: { columns: string[][] }; reports: { name: string; columns: string[][] }[] };
    (bad.findings.columns[1] as string[])[1] = 'timestamp';
    (bad.reports[0] as { name: string }).name = 'Permission Report';
    bad.reports[1]?.columns.push([...(bad.reports[1].columns[0] as string[])]);
    expect(problems(bad)).toEqual([expect.stringMatching(/^findings\.columns\.1\.1: /), expect.stringMatching(/^reports\.0\.name: must be lower case/), 'reports.1: repeats a column name']);
  });

  it('places each table in the archive layout', () => {
    expect(AUDIT_RECORDS_TABLE.prefix).toBe('audit/records');
    expect(FINDINGS_TABLE.prefix).toBe('exports/findings');
    expect(REPORT_TABLES.map((t) => t.prefix)).toEqual(REPORT_TABLES.map((t) => `exports/${t.name}`));
  });
});
