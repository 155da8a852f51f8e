/**
 * audit-analysis's flows over its ports: dual verification of high-risk operations (guide
 * 6.2) and the hourly behaviour analysis of the audit trail (6.3, 6.4, 3.3). Findings go
 * through the shared lifecycle, which keeps one item per finding and announces each change
 * once; every finding here is sticky (one operation or one window: nothing resolves it).
 *
 * Dual verification: store what arrived, then settle the operation from everything stored
 * about it. Facts are stored before they are judged, so whichever of an operation and its
 * verification arrives second sees the first; the sweep settles what no event did. Findings
 * are raised before they are recorded on the operation: a crash in between means the same
 * finding raised once more, which the lifecycle turns into no change, never a lost one.
 *
 * Behaviour: which closed hours to analyse, reading the audit trail they need, raising the
 * findings, then moving the cursor. A late, missed or duplicated schedule analyses each hour
 * once (the cursor), and a run that fails before the cursor moves is simply done again
 * (finding ids are stable, the lifecycle dedupes).
 */
import type { Policy } from '../../schemas/policy.ts';
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';
import { recordsOf, type AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import type { Finding } from '../shared/findings/finding.ts';
import type { FindingLifecycle } from '../shared/findings/lifecycle.ts';
import { HOUR_MS, MINUTE_MS, retentionExpiry, startOfHour, utcDay, utcDaysBetween } from '../shared/time.ts';
import type { BehaviourCursorStore } from './behaviour-cursor-store.ts';
import { mergeBaselines, type Baseline } from './behaviour-baseline.ts';
import { analyseBehaviour, baselineStart, contextStart, countHours, type AnalysisWindow } from './behaviour.ts';
import { findingScope } from './finding-scope.ts';
import type { HighRiskStore } from './high-risk-store.ts';
import { evaluateOperation, planOperation, toVerification, type HighRiskFact } from './high-risk.ts';
import type { HourlyBaselineStore } from './hourly-baseline-store.ts';

/** Raises each finding in its subject's scope, in order. */
async function raiseAll(findings: FindingLifecycle, raised: readonly Finding[], now: Date): Promise<void> {
  for (const finding of raised) await findings.raise(findingScope(finding), finding, now);
}

// ---------------------------------------------------------------------------------------
// 6.2 Dual verification of high-risk operations

/** State outlives every decision by far; on AWS, TTL then clears it (the audit trail keeps the evidence). */
const HIGH_RISK_STATE_DAYS = 30;
/** Attempts to settle when concurrent deliveries keep moving the status under us. */
const MAX_SETTLE_ATTEMPTS = 3;

export interface HighRiskPorts {
  readonly store: HighRiskStore;
  readonly findings: FindingLifecycle;
  readonly policy: Policy;
}

/** An Operation Audited, Role Assigned, Role Revoked or Operation Verified fact; `now` is when it arrived. Returns the findings it raised. */
export async function recordHighRiskFact(ports: HighRiskPorts, fact: HighRiskFact, now: Date): Promise<readonly Finding[]> {
  if (fact.detailType === 'Operation Verified') {
    const verification = toVerification(fact);
    await ports.store.putVerification(verification, retentionExpiry(verification.occurredAt, HIGH_RISK_STATE_DAYS));
    return settleOperation(ports, verification.operationKey, now);
  }
  const plan = planOperation(fact, ports.policy, now);
  if (plan === null) return [];
  const expiresAt = retentionExpiry(plan.operation.decideAfter, HIGH_RISK_STATE_DAYS);
  // A duplicate keeps the stored operation (and its arrival time): the first delivery counts.
  await ports.store.putOperation(plan.operation, expiresAt);
  if (plan.inlineVerification) await ports.store.putVerification(plan.inlineVerification, expiresAt);
  return settleOperation(ports, plan.operation.operationKey, now);
}

/** Scheduled: settles every open operation whose wait is over. */
export async function sweepOverdueOperations(ports: HighRiskPorts, now: Date): Promise<readonly Finding[]> {
  const raised: Finding[] = [];
  for (const key of await ports.store.overdueOperationKeys(now)) raised.push(...(await settleOperation(ports, key, now)));
  return raised;
}

/** Judges one operation from its stored facts and applies the decision. */
export async function settleOperation(ports: HighRiskPorts, operationKey: string, now: Date): Promise<readonly Finding[]> {
  for (let attempt = 1; attempt <= MAX_SETTLE_ATTEMPTS; attempt++) {
    const { operation, verifications } = await ports.store.read(operationKey);
    // A verification whose operation has not arrived yet waits for it.
    if (operation === undefined) return [];
    const decision = evaluateOperation(operation, verifications, ports.policy, now);
    // The status moves first (a claim), so two deliveries never decide differently.
    if (decision.status !== operation.status && !(await ports.store.transition(operationKey, operation.status, decision.status))) continue;
    await raiseAll(ports.findings, decision.findings, now);
    const close = decision.status !== 'pending';
    if (decision.findings.length > 0 || close) await ports.store.markRaised(operationKey, decision.findings.map((f) => f.findingId), close);
    return decision.findings;
  }
  // Other deliveries are settling it right now; the sweep catches anything left over.
  return [];
}

// ---------------------------------------------------------------------------------------
// 6.3, 6.4, 3.3 Behaviour analysis of the closed hours

/**
 * An hour's events reach the sealed trail a little after it closes: the bus's delivery and
 * retries, then the seal pass that follows (`audit-seal-pending`: seconds later on AWS through the
 * state table's stream, at worst at its 5-minute schedule); the analysis reads sealed records,
 * so it waits this long.
 */
export const SETTLE_MS = 10 * MINUTE_MS;
/** After downtime, catch up at most this many hours; older ones are left to an on-demand run. */
export const MAX_CATCH_UP_HOURS = 24;
/** Stored hour counts outlive the baseline by this margin (a run near an hour's edge still finds them). */
const HOUR_COUNTS_MARGIN_DAYS = 2;

export interface BehaviourPorts {
  readonly trail: Pick<AuditTrailStore, 'storedRecordsOccurredOn'>;
  readonly cursor: BehaviourCursorStore;
  readonly hours: HourlyBaselineStore;
  readonly findings: FindingLifecycle;
  readonly policy: Policy;
}

/** The closed hours not analysed yet: from the cursor (or just the last hour, on a first run) to the last settled hour. */
export function hoursToAnalyse(firedAt: Date, analysedUntil: Date | undefined): AnalysisWindow[] {
  const until = startOfHour(firedAt.getTime() - SETTLE_MS).getTime();
  const earliest = until - MAX_CATCH_UP_HOURS * HOUR_MS;
  const start = analysedUntil === undefined ? until - HOUR_MS : Math.max(startOfHour(analysedUntil).getTime(), earliest);
  const windows: AnalysisWindow[] = [];
  for (let from = start; from < until; from += HOUR_MS) windows.push({ from: new Date(from), to: new Date(from + HOUR_MS) });
  return windows;
}

export async function analyseClosedHours(ports: BehaviourPorts, firedAt: Date): Promise<{ windows: readonly AnalysisWindow[]; findings: readonly Finding[] }> {
  const windows = hoursToAnalyse(firedAt, await ports.cursor.analysedUntil());
  const first = windows[0];
  const last = windows.at(-1);
  if (first === undefined || last === undefined) return { windows, findings: [] };

  // Each day of the trail is read at most once per run, whoever needs it.
  const days = new Map<string, Promise<AuditRecord[]>>();
  const readDay = (day: string) => days.get(day) ?? days.set(day, ports.trail.storedRecordsOccurredOn(day).then(recordsOf)).get(day)!;
  const records = await recordsBetween(readDay, contextStart(first, ports.policy), last.to);
  const hourly = await baselineHours(ports, readDay, baselineStart(first, ports.policy), last.from);

  // One finding per id: a later window's version (more evidence) replaces an earlier one's.
  const findings = new Map<string, Finding>();
  for (const window of windows) {
    const since = baselineStart(window, ports.policy).getTime();
    const baseline = mergeBaselines([...hourly].filter(([hour]) => Date.parse(hour) >= since && Date.parse(hour) < window.from.getTime()).map(([, counts]) => counts));
    for (const finding of analyseBehaviour(records, baseline, ports.policy, window)) {
      findings.delete(finding.findingId);
      findings.set(finding.findingId, finding);
    }
  }
  await raiseAll(ports.findings, [...findings.values()], firedAt);
  await ports.cursor.advance(last.to);
  return { windows, findings: [...findings.values()] };
}

/**
 * The counts of every hour in [from, to): stored ones as they are, the others counted from the
 * trail (a day read once) and stored for the next runs. Every hour here is closed and settled.
 */
async function baselineHours(ports: BehaviourPorts, readDay: (day: string) => Promise<AuditRecord[]>, from: Date, to: Date): Promise<Map<string, Baseline>> {
  const hourly = await ports.hours.hoursBetween(from, to);
  const keptDays = ports.policy.audit.behaviourAnalysis.baselineDays + HOUR_COUNTS_MARGIN_DAYS;
  const missingByDay = new Map<string, Date[]>();
  for (let t = from.getTime(); t < to.getTime(); t += HOUR_MS) {
    const hour = new Date(t);
    if (hourly.has(hour.toISOString())) continue;
    const day = utcDay(hour);
    (missingByDay.get(day) ?? missingByDay.set(day, []).get(day)!).push(hour);
  }
  for (const [day, missing] of missingByDay) {
    for (const [hour, counts] of countHours(await readDay(day), missing)) {
      hourly.set(hour, counts);
      await ports.hours.putHour(new Date(hour), counts, retentionExpiry(hour, keptDays));
    }
  }
  return hourly;
}

/** Records that happened in [from, to), read day by day from the trail's by-day index. */
async function recordsBetween(readDay: (day: string) => Promise<AuditRecord[]>, from: Date, to: Date): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (const day of utcDaysBetween(utcDay(from), utcDay(to.getTime() - 1))) {
    for (const record of await readDay(day)) {
      const at = Date.parse(record.occurredAt);
      if (at >= from.getTime() && at < to.getTime()) records.push(record);
    }
  }
  return records;
}
