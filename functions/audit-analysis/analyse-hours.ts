/**
 * The hourly behaviour analysis over ports: which closed hours to analyse, reading the audit
 * trail they need, publishing the findings, then moving the cursor. A late, missed or
 * duplicated schedule analyses each hour once (the cursor), and a run that fails before the
 * cursor moves is simply done again (finding ids are stable).
 */
import type { FindingRaised } from '../../schemas/registry.ts';
import type { AuditRecord } from '../log-archiving/audit-record.ts';
import type { AuditTrailStore } from '../log-archiving/audit-trail-store.ts';
import { daysBetween } from '../log-archiving/audit-queries.ts';
import type { EventPublisher } from '../shared/ports.ts';
import type { Policy } from '../shared/policy.ts';
import type { BehaviourCursor } from './analysis-state.ts';
import { analyseBehaviour, baselineStart, contextStart, type AnalysisWindow } from './behaviour.ts';
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

  const readFrom = Math.min(baselineStart(first, ports.policy).getTime(), contextStart(first, ports.policy).getTime());
  const records = await recordsBetween(ports.trail, new Date(readFrom), last.to);
  // One finding per id: a later window's version (more evidence) replaces an earlier one's.
  const findings = new Map<string, FindingRaised>();
  for (const window of windows) {
    for (const finding of analyseBehaviour(records, records, ports.policy, window)) {
      findings.delete(finding.findingId);
      findings.set(finding.findingId, finding);
    }
  }
  if (findings.size > 0) await ports.publisher.publish([...findings.values()].map(findingEvent));
  await ports.cursor.advance(last.to);
  return { windows, findings: [...findings.values()] };
}

/** Records that happened in [from, to), read day by day from the trail's by-day index. */
async function recordsBetween(trail: BehaviourPorts['trail'], from: Date, to: Date): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  const lastDay = new Date(to.getTime() - 1).toISOString().slice(0, 10);
  for (const day of daysBetween(from.toISOString().slice(0, 10), lastDay)) {
    for (const record of await trail.recordsOccurredOn(day)) {
      const at = Date.parse(record.occurredAt);
      if (at >= from.getTime() && at < to.getTime()) records.push(record);
    }
  }
  return records;
}
