/**
 * What a dataset's state calls for, at an instant: the findings of guide 1.1–1.3 and when the
 * dataset is next due for a look (its next deadline, or its next severity step). Findings are
 * one per dataset and rule, with evidence that stays the same from one sweep to the next
 * (deadlines, not ages), so a silent dataset raises one finding at its deadline and is
 * re-announced only when its severity rises. Pure.
 */
import type { Finding, Severity } from '../shared/findings/finding.ts';
import { stableFindingId } from '../shared/findings/finding.ts';
import { DAY_MS } from '../shared/time.ts';
import { cadenceMs, cadenceText, isSensitive, offsiteTarget, restoreTestPeriodDays, type BackupPolicy, type Dataset } from './catalogue.ts';
import type { DatasetState, Mark } from './dataset-state.ts';

export const DETECTED_BY = 'backup-verification';

export const BACKUP_RULES = [
  'no-backup-plan',
  'backup-failed',
  'copy-not-offsite',
  'retention-below-floor',
  'unencrypted-sensitive',
  'encryption-key-at-risk',
  'replication-lag',
  'restore-test-failed',
  'restore-over-rto',
  'backup-silence',
  'restore-test-stale',
] as const;
export type BackupRule = (typeof BACKUP_RULES)[number] | 'dataset-not-in-catalogue' | 'malformed-aws-event';

const CONTROL: Record<BackupRule, string> = {
  'no-backup-plan': '1.1', 'backup-failed': '1.1', 'copy-not-offsite': '1.1', 'retention-below-floor': '1.1', 'unencrypted-sensitive': '1.3', 'encryption-key-at-risk': '1.3',
  'replication-lag': '1.1', 'restore-test-failed': '1.2', 'restore-over-rto': '1.2', 'backup-silence': '1.1', 'restore-test-stale': '1.2', 'dataset-not-in-catalogue': '1.1', 'malformed-aws-event': '1.1',
};

export const findingIdOf = (rule: BackupRule, ...identifying: string[]) => stableFindingId(DETECTED_BY, CONTROL[rule], rule, ...identifying);

export function backupFinding(rule: BackupRule, policy: BackupPolicy, f: { subject: Finding['subject']; identifying: string[]; title: string; severity: Severity; summary: string; facts: Record<string, unknown>; eventIds: readonly string[]; dueAt?: string; sticky?: boolean }): Finding {
  return {
    findingId: findingIdOf(rule, ...f.identifying), control: CONTROL[rule], rule, title: f.title, severity: f.severity, mode: policy.mode, subject: f.subject,
    summary: f.summary, facts: f.facts, eventIds: f.eventIds, ...(f.dueAt ? { dueAt: f.dueAt } : {}), ...(f.sticky ? { sticky: true } : {}),
  };
}

const newer = (a: Mark | undefined, than: Mark | undefined) => a !== undefined && (than === undefined || a.at > than.at);
const ids = (...marks: (Mark | undefined)[]) => marks.filter((m): m is Mark => m !== undefined).map((m) => m.eventId);

/** Severity by how far past its deadline, in periods: the longer the gap, the louder. */
function overdueSeverity(steps: readonly Severity[], deadline: number, period: number, now: number): { severity: Severity; next?: number } {
  const k = Math.min(steps.length - 1, Math.floor((now - deadline) / period));
  const next = k < steps.length - 1 ? deadline + (k + 1) * period : undefined;
  return { severity: steps[k] as Severity, ...(next !== undefined ? { next } : {}) };
}

/**
 * A key at risk stops mattering once a later encrypted backup names the key it used: any other
 * key after a deletion; after an expiry of imported material, the same key too — KMS cannot
 * encrypt under expired material, so a backup under it proves the material was re-imported.
 */
export function keyRiskCleared(risk: NonNullable<DatasetState['keyAtRisk']>, encrypted: DatasetState['lastEncrypted']): boolean {
  if (encrypted === undefined || encrypted.keyArn === undefined || encrypted.at <= risk.at) return false;
  return risk.what === 'expiry' || encrypted.keyArn !== risk.keyArn;
}

export interface Evaluation {
  readonly findings: Finding[];
  /** When the dataset next needs a look without new evidence (undefined: only new evidence changes anything). */
  readonly nextDueAt?: string;
}

export function evaluateDataset(dataset: Dataset, state: DatasetState, policy: BackupPolicy, now: Date): Evaluation {
  const subject = { type: 'dataset', id: dataset.id, name: `${dataset.system} (${dataset.tier})` };
  const findings: Finding[] = [];
  const add = (rule: BackupRule, f: Omit<Parameters<typeof backupFinding>[2], 'subject' | 'identifying'>) => findings.push(backupFinding(rule, policy, { ...f, subject, identifying: [dataset.id] }));
  const dues: number[] = [];
  const t = now.getTime();

  if (dataset.backupPlan === undefined) {
    add('no-backup-plan', { title: 'Dataset in the catalogue with no backup plan', severity: dataset.kind === 'configuration' ? 'high' : 'critical', summary: `${dataset.id} (${dataset.kind} of ${dataset.system}) is in the catalogue but names no backup plan: nothing protects it (guide 1.1; a configuration nobody backed up kept a module down for 48 hours)`, facts: { dataset: dataset.id, kind: dataset.kind, tier: dataset.tier }, eventIds: [] });
  }
  if (newer(state.lastFailure, state.lastGoodBackup)) {
    const f = state.lastFailure!;
    add('backup-failed', { title: `Backup ${f.status === 'PARTIAL' ? 'partial' : 'failed'}`, severity: dataset.tier === 'cold' || isSensitive(policy, dataset) ? 'high' : 'medium', summary: `the last backup of ${dataset.id} at ${f.at} ended ${f.status}${f.note ? `: ${f.note}` : ''}; no good backup since`, facts: { dataset: dataset.id, status: f.status, at: f.at, message: f.note ?? null }, eventIds: ids(f) });
  }
  const offsiteRequired = dataset.tier === 'hot' || policy.tiers.cold.offsiteRequired;
  if (offsiteRequired && newer(state.lastNotOffsite, state.lastOffsite)) {
    const m = state.lastNotOffsite!;
    add('copy-not-offsite', { title: 'Backup copy not off-site', severity: 'high', summary: `${dataset.id}: ${m.note ?? 'the latest copy is not off-site'} (${m.at}); guide 1.1 wants it at ${offsiteTarget(policy, dataset) ?? 'an off-site location'}`, facts: { dataset: dataset.id, at: m.at, offsiteTarget: offsiteTarget(policy, dataset) ?? null, detail: m.note ?? null }, eventIds: ids(m) });
  }
  if (dataset.tier === 'cold' && newer(state.lastRetentionShort, state.lastRetentionOk)) {
    const m = state.lastRetentionShort!;
    add('retention-below-floor', { title: 'Cold backup retention below the floor', severity: 'high', summary: `${dataset.id}: backup ${m.note ?? ''} of ${m.at} may be deleted at ${m.retainUntil}, before ${m.floor} (${policy.tiers.cold.minRetentionDays} days, guide 1.1)`, facts: { dataset: dataset.id, at: m.at, retainUntil: m.retainUntil, floor: m.floor, minRetentionDays: policy.tiers.cold.minRetentionDays }, eventIds: ids(m) });
  }
  if (isSensitive(policy, dataset) && newer(state.lastUnencrypted, state.lastEncrypted)) {
    const m = state.lastUnencrypted!;
    add('unencrypted-sensitive', { title: 'Sensitive dataset not encrypted', severity: 'critical', summary: `${dataset.id} holds ${dataset.dataClasses.filter((c) => policy.sensitiveDataClasses.includes(c)).join(', ')}: ${m.note ?? 'unencrypted'} (${m.at}); guide 1.3`, facts: { dataset: dataset.id, at: m.at, detail: m.note ?? null }, eventIds: ids(m) });
  }
  const risk = state.keyAtRisk;
  if (risk !== undefined && !keyRiskCleared(risk, state.lastEncrypted)) {
    add('encryption-key-at-risk', { title: `Encryption key ${risk.what === 'deletion' ? 'scheduled for deletion' : 'material expiring'}`, severity: 'high', summary: `${dataset.id}'s backups are encrypted with ${risk.keyArn}, whose ${risk.what === 'deletion' ? 'deletion' : 'imported key material expiry'} was reported at ${risk.at}: its backups may become unreadable (guide 1.3); back up under another key${risk.what === 'expiry' ? ', or re-import the key material and back up again' : ''}`, facts: { dataset: dataset.id, keyArn: risk.keyArn, what: risk.what, at: risk.at }, eventIds: ids(risk) });
  }
  const hb = state.lastHeartbeat;
  if (dataset.tier === 'hot' && hb !== undefined && (hb.state === 'broken' || hb.lagSeconds > policy.tiers.hot.maxLagMinutes * 60)) {
    add('replication-lag', { title: hb.state === 'broken' ? 'Replication broken' : 'Replication lag over the maximum', severity: hb.state === 'broken' ? 'critical' : 'high', summary: `${dataset.id} → ${hb.note ?? 'replica'}: ${hb.state}, ${hb.lagSeconds} s behind at ${hb.at} (maximum ${policy.tiers.hot.maxLagMinutes} min, guide 1.1)`, facts: { dataset: dataset.id, state: hb.state, lagSeconds: hb.lagSeconds, maxLagMinutes: policy.tiers.hot.maxLagMinutes, at: hb.at }, eventIds: ids(hb) });
  }
  if (newer(state.lastFailedRestore, state.lastPassingRestore)) {
    const r = state.lastFailedRestore!;
    add('restore-test-failed', { title: 'Restore test failed', severity: 'high', summary: `${dataset.id}: restore test ${r.testId} at ${r.at}: ${r.problems.join('; ')} (guide 1.2)`, facts: { dataset: dataset.id, testId: r.testId, problems: r.problems, at: r.at }, eventIds: ids(r) });
  }
  if (newer(state.lastSlowRestore, state.lastPassingRestore)) {
    const r = state.lastSlowRestore!;
    add('restore-over-rto', { title: 'Restore took longer than the RTO', severity: 'high', summary: `${dataset.id}: restore test ${r.testId} took ${r.durationMinutes} min, RTO ${dataset.rtoMinutes} min`, facts: { dataset: dataset.id, testId: r.testId, durationMinutes: r.durationMinutes, rtoMinutes: dataset.rtoMinutes, at: r.at }, eventIds: ids(r) });
  }

  if (dataset.backupPlan !== undefined) {
    // Silence: the last good backup (cold) or heartbeat (hot), against the tier's cadence.
    const cadence = cadenceMs(policy, dataset);
    const last = dataset.tier === 'hot' ? state.lastHeartbeat : state.lastGoodFullBackup;
    const since = last?.at ?? state.enrolledAt;
    const deadline = Date.parse(since) + cadence;
    if (t >= deadline) {
      const { severity, next } = overdueSeverity(['high', 'critical'], deadline, Math.max(cadence, DAY_MS), t);
      if (next !== undefined) dues.push(next);
      add('backup-silence', {
        title: dataset.tier === 'hot' ? 'Replication silent' : 'No good full backup within the cadence', severity,
        summary: `${dataset.id}: ${last ? `last ${dataset.tier === 'hot' ? 'replication heartbeat' : 'good full backup'} ${last.at}` : `nothing since it was enrolled at ${since}`}; due every ${cadenceText(policy, dataset)}, deadline ${new Date(deadline).toISOString()} passed (guide 1.1)`,
        facts: { dataset: dataset.id, tier: dataset.tier, lastGoodAt: last?.at ?? null, deadline: new Date(deadline).toISOString(), cadence: cadenceText(policy, dataset) }, eventIds: ids(last), dueAt: new Date(deadline).toISOString(),
      });
    } else dues.push(deadline);

    // Staleness: no passing restore test within the tier's period; louder with every period.
    const periodMs = restoreTestPeriodDays(policy, dataset) * DAY_MS;
    const passed = state.lastPassingRestore;
    const testDeadline = Date.parse(passed?.at ?? state.enrolledAt) + periodMs;
    if (t >= testDeadline) {
      const { severity, next } = overdueSeverity(['medium', 'high', 'critical'], testDeadline, periodMs, t);
      if (next !== undefined) dues.push(next);
      add('restore-test-stale', {
        title: 'No passing restore test within the period', severity,
        summary: `${dataset.id}: ${passed ? `last passing restore test ${passed.testId} at ${passed.at}` : 'no passing restore test on record'}; due every ${restoreTestPeriodDays(policy, dataset)} days, deadline ${new Date(testDeadline).toISOString()} passed (guide 1.2)`,
        facts: { dataset: dataset.id, lastPassingAt: passed?.at ?? null, deadline: new Date(testDeadline).toISOString(), periodDays: restoreTestPeriodDays(policy, dataset), lastVerdict: state.lastRestore?.verdict ?? null }, eventIds: ids(passed), dueAt: new Date(testDeadline).toISOString(),
      });
    } else dues.push(testDeadline);
  }
  const nextDue = dues.length > 0 ? Math.min(...dues) : undefined;
  return { findings, ...(nextDue !== undefined ? { nextDueAt: new Date(nextDue).toISOString() } : {}) };
}
