/**
 * incident-response flows: incident facts into SLA clocks, the sweep that announces breaches
 * (escalating while unacknowledged, re-notifying while unresolved), drills and the continuity
 * checks. Findings are raised through the lifecycle, judged at the event's own time (facts)
 * or the schedule's fire time (sweeps).
 */
import type { DrillCompleted, IncidentAcknowledged, IncidentOpened, IncidentResolved } from '../../schemas/registry.ts';
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { Finding, Severity } from '../shared/findings/finding.ts';
import { findingLifecycle } from '../shared/findings/lifecycle.ts';
import { subjectScope, type FindingsStore } from '../shared/findings/findings-store.ts';
import type { EventPublisher } from '../shared/ports.ts';
import { continuityFindings, drillFindings } from './continuity-checks.ts';
import type { DrillStore } from './drill-store.ts';
import { readClock, targetsOf, timeToAcknowledge, timeToResolve, type IncidentRecord } from './incident-clock.ts';
import type { IncidentStore } from './incident-store.ts';

export const DETECTED_BY = 'incident-response';
const MAX_ATTEMPTS = 8;
const MAX_EVENT_IDS = 20;

export interface IncidentDeps {
  readonly incidents: IncidentStore;
  readonly drills: DrillStore;
  readonly findings: FindingsStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
}

const severityOf: Record<IncidentSeverity, Severity> = { P1: 'critical', P2: 'high', P3: 'medium', P4: 'low' };
const incidentScope = (incidentId: string) => subjectScope(DETECTED_BY, `incident/${incidentId}`);
export const CONTINUITY_SCOPE = subjectScope(DETECTED_BY, 'continuity');

type IncidentFact =
  | { detailType: 'Incident Opened'; detail: IncidentOpened }
  | { detailType: 'Incident Acknowledged'; detail: IncidentAcknowledged }
  | { detailType: 'Incident Resolved'; detail: IncidentResolved };

/**
 * The record after a fact, the same whatever order the facts arrive in and however often: the
 * earliest opening, acknowledgement and resolution win (with who made them), and the severity
 * is that of the latest fact (by event time, then event id) that states one, so a
 * reclassification on acknowledgement or resolution holds even when it arrives first.
 */
export function applyFact(before: IncidentRecord | undefined, fact: IncidentFact, eventId: string, time: string): IncidentRecord {
  const base: IncidentRecord = before ?? { incidentId: fact.detail.incidentId, ackAnnounced: 0, resolveAnnounced: 0, eventIds: [] };
  const eventIds = base.eventIds.includes(eventId) ? base.eventIds : [...base.eventIds, eventId].sort().slice(-MAX_EVENT_IDS);
  const at = new Date(time).toISOString();
  const mark = `${at} ${eventId}`;
  const earlier = (current: string | undefined) => current === undefined || at < current;
  const severity = fact.detail.severity !== undefined && (base.severityMark === undefined || mark > base.severityMark) ? { severity: fact.detail.severity, severityMark: mark } : {};
  switch (fact.detailType) {
    case 'Incident Opened':
      return { ...base, eventIds, ...severity, ...(earlier(base.openedAt) ? { openedAt: at, title: fact.detail.title } : {}) };
    case 'Incident Acknowledged':
      return { ...base, eventIds, ...severity, ...(earlier(base.acknowledgedAt) ? { acknowledgedAt: at, acknowledgedBy: fact.detail.acknowledgedBy } : {}) };
    case 'Incident Resolved':
      return { ...base, eventIds, ...severity, ...(earlier(base.resolvedAt) ? { resolvedAt: at, resolvedBy: fact.detail.resolvedBy, ...(fact.detail.offlineModeUsed !== undefined ? { offlineModeUsed: fact.detail.offlineModeUsed } : {}) } : {}) };
  }
}

function lifecycleOf(deps: IncidentDeps) {
  return findingLifecycle({ store: deps.findings, publisher: deps.publisher }, DETECTED_BY);
}

/** Announces what the clock says is due at `now`, then stores the record with its next check. */
async function advance(deps: IncidentDeps, incidentId: string, change: (before: IncidentRecord | undefined) => IncidentRecord | undefined, now: Date): Promise<{ announced: string[]; resolved: string[] }> {
  const lifecycle = lifecycleOf(deps);
  const chain = deps.policy.incident.escalation.chain;
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.incidents.get(incidentId);
    const changed = change(stored?.incident);
    if (changed === undefined) return { announced: [], resolved: [] };
    let incident = changed;
    const announced: string[] = [];
    const resolved: string[] = [];
    const scope = incidentScope(incidentId);
    const ackId = lifecycle.id('5.1', 'incident-acknowledge-breach', incidentId);
    const resolveId = lifecycle.id('5.1', 'incident-resolve-breach', incidentId);
    if (incident.severity !== undefined && incident.openedAt !== undefined) {
      const targets = targetsOf(deps.policy, incident.severity);
      const label = `${incident.severity} incident ${incidentId}${incident.title ? ` ("${incident.title}")` : ''}`;
      const base = { severity: severityOf[incident.severity], mode: deps.policy.incident.severityTable.mode, subject: { type: 'incident', id: incidentId, ...(incident.title ? { name: incident.title } : {}) }, eventIds: incident.eventIds };
      // The clock is read at the later of now and the acknowledgement/resolution: a late acknowledgement is still a breach.
      const reading = readClock(incident, targets, chain, now);
      if (reading.ack) {
        const finding: Finding = {
          ...base,
          findingId: ackId,
          control: '5.1',
          rule: 'incident-acknowledge-breach',
          title: `${incident.severity} incident ${incidentId} not acknowledged within ${targets.respondWithinMinutes} min`,
          summary: `${label} opened ${incident.openedAt} is not acknowledged ${reading.ack.delayMinutes} min after its ${targets.respondWithinMinutes} min target (${reading.ack.deadline}); escalated to ${reading.ack.escalateTo} (step ${reading.ack.step}).`,
          facts: { incidentId, incidentSeverity: incident.severity, targetMinutes: targets.respondWithinMinutes, deadline: reading.ack.deadline, delayMinutes: reading.ack.delayMinutes, escalationStep: reading.ack.step, escalateTo: reading.ack.escalateTo },
        };
        await lifecycle.raise(scope, finding, now);
        announced.push(ackId);
        incident = { ...incident, ackAnnounced: reading.ack.step };
      }
      if (reading.resolve) {
        const finding: Finding = {
          ...base,
          findingId: resolveId,
          control: '5.1',
          rule: 'incident-resolve-breach',
          title: `${incident.severity} incident ${incidentId} not resolved within ${targets.resolveWithinMinutes} min`,
          summary: `${label} opened ${incident.openedAt} is ${incident.acknowledgedAt ? `acknowledged by ${incident.acknowledgedBy ?? 'someone'} but ` : ''}not resolved ${reading.resolve.delayMinutes} min after its ${targets.resolveWithinMinutes} min target (${reading.resolve.deadline}); reminder ${reading.resolve.count}.`,
          facts: { incidentId, incidentSeverity: incident.severity, targetMinutes: targets.resolveWithinMinutes, deadline: reading.resolve.deadline, delayMinutes: reading.resolve.delayMinutes, renotification: reading.resolve.count, acknowledged: incident.acknowledgedAt !== undefined },
        };
        await lifecycle.raise(scope, finding, now);
        announced.push(resolveId);
        incident = { ...incident, resolveAnnounced: reading.resolve.count };
      }
      // Late acknowledgement or resolution that no sweep saw coming: still a breach, announced once.
      const tta = timeToAcknowledge(incident);
      if (tta !== undefined && tta > targets.respondWithinMinutes && incident.ackAnnounced === 0 && incident.acknowledgedAt !== undefined) {
        await lifecycle.raise(scope, { ...base, findingId: ackId, control: '5.1', rule: 'incident-acknowledge-breach', title: `${incident.severity} incident ${incidentId} not acknowledged within ${targets.respondWithinMinutes} min`, summary: `${label} was acknowledged ${tta} min after opening, ${tta - targets.respondWithinMinutes} min past its target.`, facts: { incidentId, incidentSeverity: incident.severity, targetMinutes: targets.respondWithinMinutes, delayMinutes: tta - targets.respondWithinMinutes, escalationStep: 0 } }, new Date(incident.acknowledgedAt));
        announced.push(ackId);
        incident = { ...incident, ackAnnounced: 1 };
      }
      if (incident.acknowledgedAt !== undefined && incident.ackAnnounced > 0) {
        const late = (tta ?? 0) - targets.respondWithinMinutes;
        if (await lifecycle.resolve(scope, ackId, { summary: `${label} acknowledged by ${incident.acknowledgedBy ?? 'someone'} at ${incident.acknowledgedAt}, ${tta} min after opening (${late} min late).`, facts: { timeToAcknowledgeMinutes: tta, delayMinutes: late } }, new Date(incident.acknowledgedAt))) resolved.push(ackId);
      }
      if (incident.resolvedAt !== undefined && incident.resolveAnnounced > 0) {
        const ttr = timeToResolve(incident) ?? 0;
        if (await lifecycle.resolve(scope, resolveId, { summary: `${label} resolved by ${incident.resolvedBy ?? 'someone'} at ${incident.resolvedAt}, ${ttr} min after opening (${ttr - targets.resolveWithinMinutes} min late).`, facts: { timeToResolveMinutes: ttr } }, new Date(incident.resolvedAt))) resolved.push(resolveId);
      }
      const next = readClock(incident, targets, chain, now).nextCheckAt;
      if (await deps.incidents.save({ version: (stored?.version ?? 0) + 1, incident }, next)) return { announced, resolved };
    } else if (await deps.incidents.save({ version: (stored?.version ?? 0) + 1, incident }, undefined)) {
      return { announced, resolved };
    }
    if (attempt >= MAX_ATTEMPTS) throw new Error(`incident ${incidentId} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }
}

export async function recordIncidentFact(deps: IncidentDeps, fact: IncidentFact, eventId: string, time: string, now: Date) {
  // Judged at the later of the event's time and now's reading of the clock is the sweep's job; a fact is judged at its own time.
  const at = new Date(time);
  return advance(deps, fact.detail.incidentId, (before) => {
    const after = applyFact(before, fact, eventId, time);
    return before !== undefined && JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
  }, at > now ? now : at);
}

/** Every incident whose next step is due: breaches announced, escalations and reminders made. */
export async function sweepIncidents(deps: IncidentDeps, firedAt: Date): Promise<{ announced: string[] }> {
  const announced: string[] = [];
  for (const due of await deps.incidents.dueBefore(firedAt)) {
    const outcome = await advance(deps, due.incident.incidentId, (current) => current, firedAt);
    announced.push(...outcome.announced);
  }
  return { announced };
}

/** Records a drill, raises what it measured against the targets, and re-checks continuity. */
export async function recordDrill(deps: IncidentDeps, drill: DrillCompleted, eventId: string, now: Date) {
  const lifecycle = lifecycleOf(deps);
  const record = {
    drillId: drill.drillId,
    kind: drill.kind,
    scenario: drill.scenario,
    startedAt: new Date(drill.startedAt).toISOString(),
    finishedAt: new Date(drill.finishedAt).toISOString(),
    outcome: drill.outcome,
    recoveryTimeSeconds: drill.recoveryTimeSeconds,
    ...(drill.recoveryPointSeconds !== undefined ? { recoveryPointSeconds: drill.recoveryPointSeconds } : {}),
    ...(drill.service ? { service: drill.service } : {}),
    eventId,
  };
  await deps.drills.put(record);
  const raised: string[] = [];
  for (const finding of drillFindings(record, deps.policy, lifecycle.id)) {
    const outcome = await lifecycle.raise(subjectScope(DETECTED_BY, `drill/${drill.drillId}`), finding, new Date(record.finishedAt));
    if (outcome === 'opened') raised.push(finding.findingId);
  }
  const continuity = await checkContinuity(deps, new Date(Math.max(now.getTime(), Date.parse(record.finishedAt))));
  return { raised: [...raised, ...continuity.raised], resolved: continuity.resolved };
}

export async function checkContinuity(deps: IncidentDeps, now: Date) {
  const lifecycle = lifecycleOf(deps);
  const desired = continuityFindings(await deps.drills.list(), deps.policy, now, lifecycle.id);
  return lifecycle.reconcile(CONTINUITY_SCOPE, desired, now);
}
