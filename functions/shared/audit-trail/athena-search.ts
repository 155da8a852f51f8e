/**
 * The same search filters as `erpgov audit search`, as Athena SQL over the archive's Glue
 * table (partitioned by `date` and `source`, one JSON object per record). Partition filters
 * come first so Athena reads only the days asked for. Values are quoted, never spliced raw.
 */
import type { SearchFilters } from './audit-queries.ts';

export const AUDIT_GLUE_TABLE = 'erpgov_audit.audit_records';

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function athenaSearchSql(filters: SearchFilters, table = AUDIT_GLUE_TABLE): string {
  const where = [`"date" BETWEEN ${quote(filters.from.slice(0, 10))} AND ${quote(filters.to.slice(0, 10))}`];
  if (filters.from.length > 10) where.push(`occurredat >= ${quote(filters.from)}`);
  if (filters.to.length > 10) where.push(`occurredat <= ${quote(filters.to)}`);
  if (filters.source) where.push(`source = ${quote(filters.source)}`);
  for (const [column, value] of [['actor', filters.actor], ['action', filters.action], ['module', filters.module]] as const) {
    if (value !== undefined) where.push(`lower(${column}) = lower(${quote(value)})`);
  }
  if (filters.keyword) where.push(`strpos(lower(originalevent), lower(${quote(filters.keyword)})) > 0`);
  return [
    'SELECT occurredat, source, detailtype, actor, action, target, module, recordcount, valid, eventid, chain_id, seq',
    `FROM ${table}`,
    `WHERE ${where.join('\n  AND ')}`,
    'ORDER BY occurredat',
    `LIMIT ${filters.limit ?? 1000}`,
  ].join('\n');
}
