/**
 * The tables an auditor queries with SQL, the same in both worlds: locally `erpgov sql` loads
 * them into DuckDB from the archive and the state table; on AWS they are Glue tables over the
 * archive bucket (`audit/records/` for `audit_records`, `exports/<table>/` for the others, one
 * JSON object per line), queried with Athena. Column names are lower case and the types are
 * Hive types that both engines know, so the named auditor queries (cli/sql/auditor-queries.ts)
 * run unchanged on either.
 */
export type ColumnType = 'string' | 'bigint' | 'double' | 'boolean';
export type Column = readonly [name: string, type: ColumnType, comment: string];

export interface ExportTable {
  readonly name: string;
  readonly description: string;
  /** Folder of the table's JSON lines in the archive bucket (Glue location). */
  readonly prefix: string;
  readonly columns: readonly Column[];
}

/** Where the exported rows of the findings and reports tables go in the archive: `exports/<table>/period=<YYYY-MM|YYYY-Qn>/rows.jsonl`. */
export const EXPORTS_PREFIX = 'exports';
export const exportKey = (table: string, period: string) => `${EXPORTS_PREFIX}/${table}/period=${period}/rows.jsonl`;

export const FINDINGS_TABLE: ExportTable = {
  name: 'findings',
  description: 'Every finding of the shared lifecycle, one row each, as of the export (guide controls 1.1-6.4)',
  prefix: `${EXPORTS_PREFIX}/findings`,
  columns: [
    ['period', 'string', 'Period of the export (YYYY-MM)'],
    ['generated_at', 'string', 'When the export was made'],
    ['finding_id', 'string', 'Stable finding id'],
    ['control', 'string', 'Guide control, e.g. 2.3'],
    ['rule', 'string', 'Check within the control'],
    ['detected_by', 'string', 'Function that raised it'],
    ['severity', 'string', 'critical, high, medium, low'],
    ['title', 'string', 'What is wrong'],
    ['subject_type', 'string', 'Kind of subject (account, dataset, change...)'],
    ['subject_id', 'string', 'Subject id'],
    ['state', 'string', 'open, acknowledged, excepted, resolved'],
    ['first_raised_at', 'string', 'First raised (ISO-8601 UTC)'],
    ['updated_at', 'string', 'Last change'],
    ['resolved_at', 'string', 'Resolved, if resolved'],
    ['exception_owner', 'string', 'Owner of the exception, if excepted'],
    ['exception_until', 'string', 'Expiry of the exception'],
    ['exception_reason', 'string', 'Why the exception was granted'],
    ['summary', 'string', 'Evidence summary'],
  ],
};

export const REPORT_TABLES: readonly ExportTable[] = [
  {
    name: 'permission_report',
    description: 'Monthly permission audit items (guide 2.5): one row per redundant or risky permission',
    prefix: `${EXPORTS_PREFIX}/permission_report`,
    columns: [
      ['month', 'string', 'Month audited (YYYY-MM)'],
      ['category', 'string', 'leaver-not-cleaned, mover-not-adjusted, unused-permission, sod-conflict, expired-grant-present, no-bound-person'],
      ['account', 'string', 'ERP account'],
      ['person', 'string', 'HR id, if bound'],
      ['what', 'string', 'Role, grant or permission pair'],
      ['detail', 'string', 'Explanation'],
    ],
  },
  {
    name: 'backup_report',
    description: 'Monthly backup evidence per dataset and tier (guide 1.1-1.3)',
    prefix: `${EXPORTS_PREFIX}/backup_report`,
    columns: [
      ['month', 'string', 'Month (YYYY-MM)'],
      ['dataset', 'string', 'Catalogue dataset'],
      ['system', 'string', 'System holding it'],
      ['tier', 'string', 'hot or cold'],
      ['last_good_backup', 'string', 'Last good backup (ISO-8601 UTC)'],
      ['worst_gap_hours', 'double', 'Longest gap between good backups, hours'],
      ['gap_within_cadence', 'boolean', 'Whether the worst gap kept the cadence'],
      ['offsite', 'string', 'yes, no, unknown'],
      ['retention', 'string', 'ok, short, unknown, n/a'],
      ['encryption', 'string', 'encrypted, unencrypted, unknown, not required'],
      ['restore_tests_run', 'bigint', 'Restore tests run in the month (1.2)'],
      ['restore_tests_passed', 'bigint', 'Restore tests passed'],
    ],
  },
  {
    name: 'change_report',
    description: 'Monthly change report (guide 4.1-4.4): one row per change',
    prefix: `${EXPORTS_PREFIX}/change_report`,
    columns: [
      ['month', 'string', 'Month (YYYY-MM)'],
      ['change_id', 'string', 'Change request id'],
      ['title', 'string', 'Title'],
      ['requested_by', 'string', 'Requester'],
      ['requested_at', 'string', 'Requested at'],
      ['approvers', 'string', 'Approvers and capacities'],
      ['rejected', 'string', 'Rejection, if any'],
      ['tests', 'string', 'Test results'],
      ['approved_version', 'string', 'Version approved'],
      ['deployed_versions', 'string', 'Versions deployed'],
      ['version_matches', 'boolean', 'Deployed version is the approved one (4.3)'],
      ['rollback_plan', 'boolean', 'Has a rollback plan (4.2)'],
      ['emergency', 'boolean', 'Emergency change'],
      ['freeze', 'string', 'Freeze window it fell in, if any'],
    ],
  },
  {
    name: 'operations_report',
    description: 'Quarterly incident response per severity (guide 5.1): MTTA/MTTR against targets',
    prefix: `${EXPORTS_PREFIX}/operations_report`,
    columns: [
      ['quarter', 'string', 'Quarter (YYYY-Qn)'],
      ['severity', 'string', 'Incident severity'],
      ['incidents', 'bigint', 'Incidents opened'],
      ['acknowledged', 'bigint', 'Acknowledged'],
      ['resolved', 'bigint', 'Resolved'],
      ['mtta_minutes', 'double', 'Mean time to acknowledge'],
      ['mttr_minutes', 'double', 'Mean time to resolve'],
      ['respond_target_minutes', 'double', 'Response target'],
      ['resolve_target_minutes', 'double', 'Resolution target'],
      ['acknowledge_breaches', 'bigint', 'Acknowledged late'],
      ['resolve_breaches', 'bigint', 'Resolved late'],
    ],
  },
];

/** `audit_records` as the archive writes it (functions/audit-archive/archive-batches.ts), with its `date` partition. */
export const AUDIT_RECORDS_TABLE: ExportTable = {
  name: 'audit_records',
  description: 'One row per archived audit record (guide 6.1); partition `date` is the arrival day',
  prefix: 'audit/records',
  columns: [
    ['chain_id', 'string', 'Hash chain'],
    ['seq', 'bigint', 'Position in the chain'],
    ['prev_hash', 'string', 'SHA-256 of the previous link'],
    ['hash', 'string', 'SHA-256 of this link'],
    ['eventid', 'string', 'EventBridge event id'],
    ['source', 'string', 'Emitting system'],
    ['detailtype', 'string', 'Fact'],
    ['occurredat', 'string', 'When it happened'],
    ['recordedat', 'string', 'When the trail recorded it'],
    ['actor', 'string', 'Who'],
    ['action', 'string', 'What'],
    ['target', 'string', 'To what'],
    ['module', 'string', 'ERP module'],
    ['deviceid', 'string', 'Device'],
    ['recordcount', 'bigint', 'Records affected'],
    ['valid', 'boolean', 'Met its contract'],
    ['invalidreason', 'string', 'Why not'],
    ['originalevent', 'string', 'The event as delivered (JSON)'],
    ['date', 'string', 'Arrival day (the partition)'],
  ],
};

export const SQL_TABLES: readonly ExportTable[] = [AUDIT_RECORDS_TABLE, FINDINGS_TABLE, ...REPORT_TABLES];
