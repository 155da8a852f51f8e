/**
 * SLA clocks of an incident against the policy's severity table (guide 5.1), pure: which
 * announcements are due at `now` — a breach of the acknowledge target (and each further
 * escalation step: one step along the chain per respond period still unacknowledged), a
 * breach of the resolve target (re-announced every `renotifyEveryMinutes` while open) — and
 * when the incident next needs looking at. A target is met at equality ("within 15 min"
 * includes the 15th minute); only strictly later is a breach.
 */
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import type { Policy } from '../../schemas/policy.ts';
import { addMinutes, MINUTE_MS } from '../shared/time.ts';

export interface IncidentRecord {
  readonly incidentId: string;
  readonly severity?: IncidentSeverity;
  /** `<event time> <event id>` of the fact the severity came from (the latest that states one wins). */
  readonly severityMark?: string;
  readonly title?: string;
  readonly openedAt?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: string;
  readonly resolvedBy?: string;
  readonly offlineModeUsed?: boolean;
  /** Escalation steps of the acknowledge breach already announced (0: none). */
  readonly ackAnnounced: number;
  /** Announcements of the resolve breach already made (0: none). */
  readonly resolveAnnounced: number;
  readonly eventIds: readonly string[];
}

export interface ClockTargets {
  readonly respondWithinMinutes: number;
  readonly resolveWithinMinutes: number;
  readonly renotifyEveryMinutes: number;
}

export const targetsOf = (policy: Policy, severity: IncidentSeverity): ClockTargets => policy.incident.severityTable[severity];

export interface AckAnnouncement {
  readonly step: number;
  readonly escalateTo: string;
  readonly deadline: string;
  readonly delayMinutes: number;
}
export interface ResolveAnnouncement {
  readonly count: number;
  readonly deadline: string;
  readonly delayMinutes: number;
}

export interface ClockReading {
  readonly ack?: AckAnnouncement;
  readonly resolve?: ResolveAnnouncement;
  /** When to look again (the next step or re-notification), if the incident is still open. */
  readonly nextCheckAt?: string;
}

const minutesBetween = (from: string, to: string | Date) => Math.floor((new Date(to).getTime() - Date.parse(from)) / MINUTE_MS);
/** Periods of `length` minutes completed strictly after `from`: (0, L] → 0, (L, 2L] → 1, … */
const periodsPast = (from: string, now: Date, length: number) => {
  const elapsed = now.getTime() - Date.parse(from);
  return elapsed <= 0 ? 0 : Math.ceil(elapsed / (length * MINUTE_MS)) - 1;
};

export function readClock(incident: IncidentRecord, targets: ClockTargets, chain: readonly string[], now: Date): ClockReading {
  const { openedAt } = incident;
  if (openedAt === undefined || incident.resolvedAt !== undefined) return {};
  let ack: AckAnnouncement | undefined;
  let resolve: ResolveAnnouncement | undefined;
  const checks: Date[] = [];
  const ackDeadline = addMinutes(openedAt, targets.respondWithinMinutes).toISOString();
  if (incident.acknowledgedAt === undefined) {
    const step = periodsPast(openedAt, now, targets.respondWithinMinutes);
    if (step > incident.ackAnnounced) {
      ack = { step, escalateTo: chain[Math.min(step, chain.length - 1)] ?? 'on-call', deadline: ackDeadline, delayMinutes: minutesBetween(ackDeadline, now) };
    }
    const announced = Math.max(step, incident.ackAnnounced);
    checks.push(addMinutes(openedAt, (announced + 1) * targets.respondWithinMinutes));
  }
  const resolveDeadline = addMinutes(openedAt, targets.resolveWithinMinutes).toISOString();
  const count = now.toISOString() > resolveDeadline ? periodsPast(resolveDeadline, now, targets.renotifyEveryMinutes) + 1 : 0;
  if (count > incident.resolveAnnounced) resolve = { count, deadline: resolveDeadline, delayMinutes: minutesBetween(resolveDeadline, now) };
  const announcedResolve = Math.max(count, incident.resolveAnnounced);
  checks.push(addMinutes(resolveDeadline, announcedResolve * targets.renotifyEveryMinutes));
  // A check lands just after its boundary, where the breach is strictly past.
  const next = new Date(Math.min(...checks.map((d) => d.getTime())) + 1);
  return { ...(ack ? { ack } : {}), ...(resolve ? { resolve } : {}), nextCheckAt: next.toISOString() };
}

/** Minutes from opening to acknowledgement / resolution (MTTA / MTTR inputs). */
export const timeToAcknowledge = (i: IncidentRecord) => (i.openedAt && i.acknowledgedAt ? minutesBetween(i.openedAt, i.acknowledgedAt) : undefined);
export const timeToResolve = (i: IncidentRecord) => (i.openedAt && i.resolvedAt ? minutesBetween(i.openedAt, i.resolvedAt) : undefined);
