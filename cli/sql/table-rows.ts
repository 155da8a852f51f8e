/**
 * Rows of the SQL tables (schemas/export-tables.ts) from what the pipeline keeps: the archive's
 * audit lines, the findings, and the areas' report JSON. Pure; the same rows go to DuckDB
 * locally and to `exports/<table>/` for the Glue tables on AWS.
 */
import type { PermissionReport } from '../../functions/access-governance/permission-report.ts';
import type { BackupReport } from '../../functions/backup-verification/backup-report.ts';
import type { ChangeReport } from '../../functions/change-approvals/change-report.ts';
import type { OperationsReport } from '../../functions/incident-response/operations-report.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';
import { findingRow } from '../evidence/evidence-render.ts';

export type Row = Record<string, string | number | boolean | null>;

/** An archived line (camel-case record fields) as an `audit_records` row (lower-case columns, as Athena's JSON SerDe sees them). */
export function auditRecordRow(line: Record<string, unknown>, date: string): Row {
  const row: Row = { date };
  for (const [key, value] of Object.entries(line)) row[key.toLowerCase()] = value === undefined ? null : (value as Row[string]);
  return row;
}

export const findingsRows = (findings: readonly StoredFinding[], period: string, generatedAt: string): Row[] => findings.map((f) => findingRow(f, period, generatedAt));

export const permissionRows = (r: PermissionReport): Row[] => r.items.map((i) => ({ month: r.month, category: i.category, account: i.account, person: i.person, what: i.what, detail: i.detail }));

export const backupRows = (r: BackupReport): Row[] =>
  r.rows.map((b) => ({
    month: r.month,
    dataset: b.dataset,
    system: b.system,
    tier: b.tier,
    last_good_backup: b.lastGoodBackup,
    worst_gap_hours: b.worstGapHours,
    gap_within_cadence: b.gapWithinCadence,
    offsite: b.offsite,
    retention: b.retention,
    encryption: b.encryption,
    restore_tests_run: b.restoreTestsRun,
    restore_tests_passed: b.restoreTestsPassed,
  }));

export const changeRows = (r: ChangeReport): Row[] =>
  r.changes.map((c) => ({
    month: r.month,
    change_id: c.changeId,
    title: c.title,
    requested_by: c.requestedBy,
    requested_at: c.requestedAt,
    approvers: c.approvers,
    rejected: c.rejected,
    tests: c.tests,
    approved_version: c.approvedVersion,
    deployed_versions: c.deployedVersions,
    version_matches: c.versionMatches,
    rollback_plan: c.rollbackPlan,
    emergency: c.emergency,
    freeze: c.freeze,
  }));

export const operationsRows = (r: OperationsReport): Row[] =>
  r.incidents.map((s) => ({
    quarter: r.quarter,
    severity: s.severity,
    incidents: s.incidents,
    acknowledged: s.acknowledged,
    resolved: s.resolved,
    mtta_minutes: s.mttaMinutes,
    mttr_minutes: s.mttrMinutes,
    respond_target_minutes: s.respondTargetMinutes,
    resolve_target_minutes: s.resolveTargetMinutes,
    acknowledge_breaches: s.acknowledgeBreaches,
    resolve_breaches: s.resolveBreaches,
  }));
