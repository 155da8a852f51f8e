/**
 * Where the audit archive lives in the archive bucket. The archive function writes under this
 * prefix (`<prefix>/records/date=…`, `<prefix>/manifests/…`, `<prefix>/anchors/date=…`); the
 * stack scopes Object Lock retention, the lifecycle rules and the Athena table to it. Both read
 * it from here, so infra does not import a function's module for it.
 */
export const ARCHIVE_PREFIX = 'audit';
/** The archived audit lines, one folder per arrival day (the `audit_records` table's location). */
export const AUDIT_RECORDS_PREFIX = `${ARCHIVE_PREFIX}/records`;
/** One digest manifest per archived day. */
export const AUDIT_MANIFESTS_PREFIX = `${ARCHIVE_PREFIX}/manifests`;
/** The hourly chain-head anchors, one folder per day. */
export const AUDIT_ANCHORS_PREFIX = `${ARCHIVE_PREFIX}/anchors`;

/**
 * The Hive-style day partition of the records and anchors folders, `date=YYYY-MM-DD` (Athena
 * projects it). `datePartition('${date}')` gives Glue's location template.
 */
export const datePartition = (day: string) => `date=${day}`;
const DATE_PARTITION = /date=(\d{4}-\d{2}-\d{2})/;
/** The day of the `date=` partition a key lies in; undefined for a key outside one. */
export const partitionDay = (key: string): string | undefined => DATE_PARTITION.exec(key)?.[1];

/** One archived batch: the lines of one source's chain shard of the day, gzipped JSON Lines. */
export const auditBatchKey = (day: string, source: string, shard: string | undefined) => `${AUDIT_RECORDS_PREFIX}/${datePartition(day)}/${encodeURIComponent(source)}.chain-${shard}.jsonl.gz`;

/** The digest manifest of one archived day (its batches and the chain heads it closed). */
export const manifestKey = (day: string) => `${AUDIT_MANIFESTS_PREFIX}/${day}.json`;
/** The day a manifest key names (the inverse of `manifestKey`). */
export const manifestDay = (key: string) => key.slice(`${AUDIT_MANIFESTS_PREFIX}/`.length).replace(/\.json$/, '');

/** The folder of one day's chain-head anchors. */
export const anchorFolder = (day: string) => `${AUDIT_ANCHORS_PREFIX}/${datePartition(day)}/`;
/** One object per anchoring, never overwritten (Object Lock keeps every version anyway). */
export const anchorKey = (day: string, at: Date) => `${anchorFolder(day)}${at.toISOString().replace(/[:.]/g, '-')}.json`;

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
