/**
 * Where the audit archive lives in the archive bucket. The archive function writes under this
 * prefix (`<prefix>/records/date=…`, `<prefix>/manifests/…`, `<prefix>/anchors/…`); the stack
 * scopes Object Lock retention, the lifecycle rules and the Athena table to it. Both read it
 * from here, so infra does not import a function's module for it.
 */
export const ARCHIVE_PREFIX = 'audit';

/** The digest manifest of one archived day (its batches and the chain heads it closed). */
export const manifestKey = (day: string) => `${ARCHIVE_PREFIX}/manifests/${day}.json`;

/** Where each area writes its reports: `reports/<subject>/<YYYY-MM | YYYY-Qn>.<json|csv|md>`. */
export const REPORTS_PREFIX = 'reports';
const REPORT_SUBJECTS = ['permissions', 'backups', 'changes', 'operations'] as const;
export type ReportSubject = (typeof REPORT_SUBJECTS)[number];
export const areaReportKey = (subject: ReportSubject, period: string, format: 'json' | 'csv' | 'md' = 'json') => `${REPORTS_PREFIX}/${subject}/${period}.${format}`;

/**
 * The monthly evidence packs (evidence-delivery): `evidence/period=<YYYY-MM>/<file>`, the same
 * files as `erpgov evidence --out DIR` with `manifest.json` written last, so a pack whose
 * manifest is there is complete. Object Lock on AWS keeps every pack as delivered.
 */
export const EVIDENCE_PREFIX = 'evidence';
export const evidencePackPrefix = (month: string) => `${EVIDENCE_PREFIX}/period=${month}/`;

/**
 * Where the exported rows of the SQL tables (schemas/export-tables.ts) go:
 * `exports/<table>/period=<YYYY-MM|YYYY-Qn>/rows.jsonl`. Here, not beside the tables, so the
 * routing table (and every Lambda bundle) reads the prefix without loading the table
 * declarations.
 */
export const EXPORTS_PREFIX = 'exports';
export const exportKey = (table: string, period: string) => `${EXPORTS_PREFIX}/${table}/period=${period}/rows.jsonl`;
