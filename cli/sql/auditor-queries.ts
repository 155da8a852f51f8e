/**
 * The named auditor queries: `erpgov sql --query NAME --period P` locally (DuckDB) and the
 * same text on Athena (`erpgov sql --query NAME --period P --athena` prints it). Written in the
 * SQL both engines share (no engine-specific functions: `strpos`, `substr`, `lower`, `count`,
 * `CASE`), over the tables of schemas/export-tables.ts. Placeholders `{period}`, `{quarter}`,
 * `{first_day}`, `{last_day}` are replaced by quoted literals, never spliced raw; `audit-search`
 * also takes the filters of `erpgov audit search` (`{from}`, `{to}`, `{source}`, `{actor}`,
 * `{action}`, `{module}`, `{keyword}`: a quoted literal, or a typed NULL when not given;
 * `{limit}`: a whole number), so `audit search --athena` prints this query.
 */
import type { SearchFilters } from '../../functions/shared/audit-trail/audit-queries.ts';

export interface AuditorQuery {
  readonly name: string;
  readonly control: string;
  readonly description: string;
  readonly sql: string;
}

/** The month's permission audit items (2.5) of one category. */
const permissionItems = (name: string, category: string, description: string): AuditorQuery => ({
  name,
  control: '2.5',
  description,
  sql: `SELECT account, person, what, detail
FROM permission_report
WHERE month = {period} AND category = '${category}'
ORDER BY account, what`,
});

export const AUDITOR_QUERIES: readonly AuditorQuery[] = [
  permissionItems('leavers-not-cleaned', 'leaver-not-cleaned', 'Accounts of people who left and were never cleaned up, from the month\'s permission audit.'),
  permissionItems('movers-not-adjusted', 'mover-not-adjusted', 'People whose job changed but whose permissions did not, from the month\'s permission audit.'),
  {
    name: 'open-findings-by-control',
    control: '1.1-6.4',
    description: 'Findings still live (open, acknowledged, excepted) per control and severity.',
    sql: `SELECT control, severity, count(*) AS findings
FROM findings
WHERE state <> 'resolved'
GROUP BY control, severity
ORDER BY control, severity`,
  },
  {
    name: 'exceptions',
    control: '1.1-6.4',
    description: 'Findings accepted as exceptions, with owner, expiry and reason.',
    sql: `SELECT finding_id, control, title, exception_owner, exception_until, exception_reason
FROM findings
WHERE state = 'excepted'
ORDER BY exception_until, finding_id`,
  },
  {
    name: 'restore-tests-missing-or-failed',
    control: '1.2',
    description: 'Datasets with no restore test in the month, or a failed one.',
    sql: `SELECT dataset, tier, restore_tests_run, restore_tests_passed
FROM backup_report
WHERE month = {period} AND (restore_tests_run = 0 OR restore_tests_passed < restore_tests_run)
ORDER BY dataset, tier`,
  },
  {
    name: 'changes-without-safeguards',
    control: '4.2-4.3',
    description: 'Changes of the month without a rollback plan, or deployed at another version than approved.',
    sql: `SELECT change_id, title, rollback_plan, approved_version, deployed_versions, version_matches
FROM change_report
WHERE month = {period} AND (rollback_plan = false OR version_matches = false)
ORDER BY change_id`,
  },
  {
    name: 'incident-response-breaches',
    control: '5.1',
    description: 'Severities whose incidents were acknowledged or resolved later than the targets, in the quarter.',
    sql: `SELECT severity, incidents, mtta_minutes, respond_target_minutes, mttr_minutes, resolve_target_minutes, acknowledge_breaches, resolve_breaches
FROM operations_report
WHERE quarter = {quarter} AND (acknowledge_breaches > 0 OR resolve_breaches > 0)
ORDER BY severity`,
  },
  {
    name: 'unverified-bulk-deletes',
    control: '6.2',
    description: 'Deletes of many records (100 or more) without a second person\'s verification.',
    sql: `SELECT occurredat, actor, module, target, recordcount, eventid
FROM audit_records
WHERE "date" BETWEEN {first_day} AND {last_day}
  AND detailtype = 'Operation Audited' AND lower(action) = 'delete' AND recordcount >= 100
  AND strpos(originalevent, '"verifiedBy"') = 0
ORDER BY occurredat`,
  },
  {
    name: 'failed-logins-by-account',
    control: '6.4',
    description: 'Failed logins per account in the period.',
    sql: `SELECT actor, count(*) AS failed_logins
FROM audit_records
WHERE "date" BETWEEN {first_day} AND {last_day}
  AND detailtype = 'Login' AND strpos(originalevent, '"outcome":"failure"') > 0
GROUP BY actor
ORDER BY failed_logins DESC, actor`,
  },
  {
    name: 'audit-search',
    control: '6.1',
    description: 'The audit trail as `erpgov audit search` filters it: occurred in the period (or --from/--to), and optionally --source, --actor, --action, --module (any case) and a keyword anywhere in the event.',
    sql: `SELECT occurredat, source, detailtype, actor, action, target, module, recordcount, valid, eventid, chain_id, seq
FROM audit_records
WHERE "date" BETWEEN {first_day} AND {last_day}
  AND occurredat >= {from} AND substr(occurredat, 1, 10) <= {last_day}
  AND ({to} IS NULL OR occurredat <= {to})
  AND ({source} IS NULL OR source = {source})
  AND ({actor} IS NULL OR lower(actor) = lower({actor}))
  AND ({action} IS NULL OR lower(action) = lower({action}))
  AND ({module} IS NULL OR lower(module) = lower({module}))
  AND ({keyword} IS NULL OR strpos(lower(originalevent), lower({keyword})) > 0)
ORDER BY occurredat
LIMIT {limit}`,
  },
  {
    name: 'records-per-day',
    control: '6.1',
    description: 'Audit records kept per arrival day and source: what the archive holds.',
    sql: `SELECT "date", source, count(*) AS records
FROM audit_records
WHERE "date" BETWEEN {first_day} AND {last_day}
GROUP BY "date", source
ORDER BY "date", source`,
  },
];

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** A filter not given: NULL typed as text, so both engines resolve `lower(...)` on it. */
const NULL_TEXT = 'CAST(NULL AS varchar)';
/** Rows `audit-search` returns when no limit is given. */
export const AUDIT_SEARCH_DEFAULT_LIMIT = 1000;

export interface AuditorParams {
  readonly period: string;
  readonly quarter: string;
  readonly firstDay: string;
  readonly lastDay: string;
  /** `audit-search`'s filters besides the period; the period's first day when `from` is absent. */
  readonly filters?: Partial<Omit<SearchFilters, 'to'>> & { readonly to?: string };
}

/** The query's SQL with its placeholders filled from the period (and, for `audit-search`, the filters). */
export function auditorSql(query: AuditorQuery, params: AuditorParams): string {
  const f = params.filters ?? {};
  const text = (value: string | undefined) => (value === undefined ? NULL_TEXT : quote(value));
  const limit = f.limit ?? AUDIT_SEARCH_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit: ${limit} is not a positive whole number`);
  const values: Record<string, string> = {
    period: quote(params.period),
    quarter: quote(params.quarter),
    first_day: quote(params.firstDay),
    last_day: quote(params.lastDay),
    from: quote(f.from ?? params.firstDay),
    // A day alone bounds by day (`last_day`); a time bounds to the instant.
    to: f.to !== undefined && f.to.length > 10 ? quote(f.to) : NULL_TEXT,
    source: text(f.source),
    actor: text(f.actor),
    action: text(f.action),
    module: text(f.module),
    keyword: text(f.keyword),
    limit: String(limit),
  };
  return query.sql.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** `audit search`'s filters as the named `audit-search` query (the SQL `audit search --athena` prints). */
export function auditSearchSql(filters: SearchFilters): string {
  const firstDay = filters.from.slice(0, 10);
  const lastDay = filters.to.slice(0, 10);
  return auditorSql(AUDIT_SEARCH, { period: firstDay.slice(0, 7), quarter: '', firstDay, lastDay, filters });
}

/** `erpgov audit search --athena`: the same search as the named query's text, to run in Athena. */
export const auditSearchAthena = (filters: SearchFilters): string => athenaText(AUDIT_SEARCH, auditSearchSql(filters));

/** A named query as printed for Athena: what it is, where it runs, the SQL. */
export function athenaText(query: AuditorQuery, sql: string): string {
  return `-- ${query.name} (guide ${query.control}): ${query.description}\n-- Athena: run in the Glue database of the stack (erpgov_audit)\n${sql};\n`;
}

export const auditorQuery = (name: string): AuditorQuery | undefined => AUDITOR_QUERIES.find((q) => q.name === name);
const AUDIT_SEARCH = auditorQuery('audit-search') as AuditorQuery;
