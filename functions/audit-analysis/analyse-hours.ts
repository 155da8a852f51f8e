/**
 * The hourly behaviour analysis over ports: which closed hours to analyse, reading the audit
 * trail they need, publishing the findings, then moving the cursor. A late, missed or
 * duplicated schedule analyses each hour once (the cursor), and a run that fails before the
 * cursor moves is simply done again (finding ids are stable).
 */
import type { FindingRaised } from '../../schemas/registry.ts';
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { utcDaysBetween } from '../shared/time.ts';
import type { EventPublisher } from '../shared/ports.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { BehaviourCursor, HourlyBaselineStore } from './analysis-state.ts';
import { mergeBaselines, type Baseline } from './behaviour-baseline.ts';
import { analyseBehaviour, baselineStart, contextStart, countHours, type AnalysisWindow } from './behaviour.ts';
import { findingEvent } from './findings.ts';

/** The analysis's schedule id in `infra/routes.ts`; its scheduled events' rule ARN ends with it. */
export const BEHAVIOUR_ANALYSIS_SCHEDULE = 'audit-behaviour-hourly';
const HOUR_MS = 3_600_000;
/** An hour's events reach the trail a little after it closes (bus delivery, retries): wait this long. */
export const SETTLE_MS = 5 * 60_000;
/** After downtime, catch up at most this many hours; older ones are left to an on-demand run. */
export const MAX_CATCH_UP_HOURS = 24;

export interface BehaviourPorts {
  readonly trail: Pick<AuditTrailStore, 'recordsOccurredOn'>;
  readonly cursor: BehaviourCursor;
  readonly hours: HourlyBaselineStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
}

/** The closed hours not analysed yet: from the cursor (or just the last hour, on a first run) to the last settled hour. */
export function hoursToAnalyse(firedAt: Date, analysedUntil: Date | undefined): AnalysisWindow[] {
  const until = Math.floor((firedAt.getTime() - SETTLE_MS) / HOUR_MS) * HOUR_MS;
  const earliest = until - MAX_CATCH_UP_HOURS * HOUR_MS;
  const start = analysedUntil === undefined ? until - HOUR_MS : Math.max(Math.floor(analysedUntil.getTime() / HOUR_MS) * HOUR_MS, earliest);
  const windows: AnalysisWindow[] = [];
  for (let from = start; from < until; from += HOUR_MS) windows.push({ from: new Date(from), to: new Date(from + HOUR_MS) });
  return windows;
}

export async function analyseClosedHours(ports: BehaviourPorts, firedAt: Date): Promise<{ windows: readonly AnalysisWindow[]; findings: readonly FindingRaised[] }> {
  const windows = hoursToAnalyse(firedAt, await ports.cursor.analysedUntil());
  const first = windows[0];
  const last = windows.at(-1);
  if (first === undefined || last === undefined) return { windows, findings: [] };

  // Each day of the trail is read at most once per run, whoever needs it.
  const days = new Map<string, Promise<AuditRecord[]>>();
  const readDay = (day: string) => days.get(day) ?? days.set(day, ports.trail.recordsOccurredOn(day)).get(day)!;
  const records = await recordsBetween(readDay, contextStart(first, ports.policy), last.to);
  const hourly = await baselineHours(ports, readDay, baselineStart(first, ports.policy), last.from);

  // One finding per id: a later window's version (more evidence) replaces an earlier one's.
  const findings = new Map<string, FindingRaised>();
  for (const window of windows) {
    const since = baselineStart(window, ports.policy).getTime();
    const baseline = mergeBaselines([...hourly].filter(([hour]) => Date.parse(hour) >= since && Date.parse(hour) < window.from.getTime()).map(([, counts]) => counts));
    for (const finding of analyseBehaviour(records, baseline, ports.policy, window)) {
      findings.delete(finding.findingId);
      findings.set(finding.findingId, finding);
    }
  }
  if (findings.size > 0) await ports.publisher.publish([...findings.values()].map(findingEvent));
  await ports.cursor.advance(last.to);
  return { windows, findings: [...findings.values()] };
}

/**
 * The counts of every hour in [from, to): stored ones as they are, the others counted from the
 * trail (a day read once) and stored for the next runs. Every hour here is closed and settled.
 */
async function baselineHours(ports: BehaviourPorts, readDay: (day: string) => Promise<AuditRecord[]>, from: Date, to: Date): Promise<Map<string, Baseline>> {
  const hourly = await ports.hours.hoursBetween(from, to);
  const keepMs = (ports.policy.audit.behaviourAnalysis.baselineDays + 2) * 86_400_000;
  const missingByDay = new Map<string, Date[]>();
  for (let t = from.getTime(); t < to.getTime(); t += HOUR_MS) {
    const hour = new Date(t);
    if (hourly.has(hour.toISOString())) continue;
    const day = hour.toISOString().slice(0, 10);
    (missingByDay.get(day) ?? missingByDay.set(day, []).get(day)!).push(hour);
  }
  for (const [day, missing] of missingByDay) {
    for (const [hour, counts] of countHours(await readDay(day), missing)) {
      hourly.set(hour, counts);
      await ports.hours.putHour(new Date(hour), counts, Math.floor((Date.parse(hour) + keepMs) / 1000));
    }
  }
  return hourly;
}

/** Records that happened in [from, to), read day by day from the trail's by-day index. */
async function recordsBetween(readDay: (day: string) => Promise<AuditRecord[]>, from: Date, to: Date): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  const lastDay = new Date(to.getTime() - 1).toISOString().slice(0, 10);
  for (const day of utcDaysBetween(from.toISOString().slice(0, 10), lastDay)) {
    for (const record of await readDay(day)) {
      const at = Date.parse(record.occurredAt);
      if (at >= from.getTime() && at < to.getTime()) records.push(record);
    }
  }
  return records;
}
