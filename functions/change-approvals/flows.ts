/**
 * change-approvals' flows over its ports: record a change fact and re-decide the change; judge
 * an AWS deployment/configuration event at the production gate; sweep emergency sign-off
 * deadlines; build the monthly report. Findings only through the shared lifecycle.
 */
import type { EventPublisher } from '../shared/ports.ts';
import type { FindingsStore } from '../shared/findings/findings-store.ts';
import { findingLifecycle, type ReconcileOutcome } from '../shared/findings/lifecycle.ts';
import { stableFindingId, type Finding } from '../shared/findings/finding.ts';
import { utcMonth, utcMonthsBetween } from '../shared/time.ts';
import { parseFreezeCalendar, rangeCalendar, type FreezeCalendar } from '../../schemas/freeze-calendar.ts';
import type { Policy } from '../../schemas/policy.ts';
import { readAwsGateEvent, type AwsProductionChange } from './aws-events.ts';
import { awsGateRecordsCoveredBy, coversProductionChange, decideChangeFindings, DETECTED_BY, emergencyDeadlines, pipelineGateRecords, summariseChange, type ChangeSummary } from './change-decisions.ts';
import { buildChangeReport, type ChangeReport } from './change-report.ts';
import { changePartition, GATE_FINDINGS_PARTITION, type ChangeFact, type ChangeStore, type RoleHoldingsReader, type Window } from './change-store.ts';

export interface ChangeDeps {
  readonly store: ChangeStore;
  readonly roles: RoleHoldingsReader;
  readonly findings: FindingsStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
  readonly calendars: readonly FreezeCalendar[];
}

/** The policy's freeze calendars and ranges, parsed once (the policy already refused any that do not parse). */
export function freezeCalendars(policy: Policy): FreezeCalendar[] {
  const { calendars, ranges, timezone } = policy.change.freeze;
  return [
    ...calendars.map((c) => parseFreezeCalendar(c.name, c.ics, timezone)),
    ...ranges.map((r, i) => rangeCalendar(`freeze range ${i + 1}`, r.start, r.end, r.reason)),
  ];
}

const scopeOf = (changeId: string) => ({ partition: changePartition(changeId), label: `change ${changeId}` });
const GATE_SCOPE = { partition: GATE_FINDINGS_PARTITION, label: 'production gate' };
/** The production-gate findings (4.4): raised where a production change lands, resolved where a change request turns out to cover it. */
type GateRule = 'direct-production-edit' | 'deployed-in-freeze';
const gateFindingId = (rule: GateRule, changeKey: string) => stableFindingId(DETECTED_BY, '4.4', rule, changeKey);
const lifecycleOf = (deps: ChangeDeps) => findingLifecycle({ store: deps.findings, publisher: deps.publisher }, DETECTED_BY);

/** The closed window `at` falls in, if any: the policy's calendars and ranges, and SSM Change Calendars reported CLOSED. */
export async function freezeAt(deps: ChangeDeps, at: string): Promise<string | undefined> {
  const instant = new Date(at);
  for (const calendar of deps.calendars) {
    const hit = calendar.windowsOverlapping(instant, instant)[0];
    if (hit) return `${hit.calendar}: ${hit.summary} (${hit.start.toISOString()} – ${hit.end.toISOString()})`;
  }
  if (deps.policy.change.freeze.honourSsmChangeCalendar) {
    const closed = (await deps.store.calendarStatesAt(instant.toISOString())).find((s) => s.state === 'CLOSED');
    if (closed) return `SSM Change Calendar ${closed.calendar} CLOSED since ${closed.at}`;
  }
  return undefined;
}

/** Whether `approver` held an approver role of `capacity` at `at`, from access governance's latest holding versions. */
export async function heldApproverRole(deps: Pick<ChangeDeps, 'roles' | 'policy'>, approver: string, capacity: string, at: string): Promise<boolean> {
  const roles = (deps.policy.change.approverRoles as Record<string, readonly string[]>)[capacity] ?? [];
  const when = Date.parse(at);
  for (const role of roles) {
    for (const holding of await deps.roles.holdings(approver, role)) {
      const changed = Date.parse(holding.eventTime);
      // The latest version: assigned at or before the approval, or revoked only after it.
      if ((holding.state === 'assigned' && changed <= when) || (holding.state === 'revoked' && changed > when)) return true;
    }
  }
  return false;
}

const overlaps = (a: Window, b: Window) => Date.parse(a.start) <= Date.parse(b.end) && Date.parse(b.start) <= Date.parse(a.end);

async function summarise(deps: ChangeDeps, changeId: string, facts?: readonly ChangeFact[]): Promise<ChangeSummary> {
  const all = facts ?? (await deps.store.facts(changeId));
  const roleHeld = new Map<string, boolean>();
  const freeze = new Map<string, string | undefined>();
  const production = new Set(deps.policy.change.productionEnvironments.map((e) => e.toLowerCase()));
  for (const fact of all) {
    if (fact.detailType === 'Change Approved') roleHeld.set(fact.eventId, await heldApproverRole(deps, String(fact.detail.approver), String(fact.detail.role), fact.time));
    if ((fact.detailType === 'Change Deployed' || fact.detailType === 'Configuration Modified') && production.has(String(fact.detail.environment).toLowerCase())) {
      freeze.set(fact.eventId, await freezeAt(deps, fact.time));
    }
  }
  return summariseChange(changeId, all, { policy: deps.policy, roleHeld, freezeAt: freeze });
}

/** Re-decides one change from its whole history and reconciles its findings. */
export async function evaluateChange(deps: ChangeDeps, changeId: string, now: Date): Promise<{ summary: ChangeSummary; outcome: ReconcileOutcome }> {
  const summary = await summarise(deps, changeId);
  const detail = summary.request?.detail ?? {};
  const conflicts: { changeId: string; on: string; window: Window }[] = [];
  let windowFreezes: string[] = [];
  if (summary.request) {
    const keys = [...((detail.modules as string[] | undefined) ?? []).map((m) => `module:${m}`), ...((detail.datasets as string[] | undefined) ?? []).map((d) => `dataset:${d}`)];
    for (const key of keys) {
      await deps.store.putOn(key, changeId, summary.window);
      if (!summary.window) continue;
      for (const other of await deps.store.changesOn(key)) {
        if (other.changeId === changeId || !other.window || !overlaps(other.window, summary.window)) continue;
        const theirs = await summarise(deps, other.changeId);
        if (theirs.signedOff) conflicts.push({ changeId: other.changeId, on: key, window: other.window });
      }
    }
    for (const target of (detail.deploymentTargets as string[] | undefined) ?? []) await deps.store.putOn(`target:${target.toLowerCase()}`, changeId, summary.window);
    if (summary.window) {
      const from = new Date(summary.window.start);
      const to = new Date(summary.window.end);
      windowFreezes = deps.calendars.flatMap((c) => c.windowsOverlapping(from, to).map((w) => `${w.calendar}: ${w.summary} (${w.start.toISOString()} – ${w.end.toISOString()})`)).slice(0, 10);
    }
  }
  const desired = decideChangeFindings(summary, { policy: deps.policy, roleHeld: new Map(), freezeAt: new Map(), conflicts, windowFreezes, now });
  const outcome = await lifecycleOf(deps).reconcile(scopeOf(changeId), desired, now);
  for (const deadline of emergencyDeadlines(summary, deps.policy)) if (Date.parse(deadline) > now.getTime() && !summary.signedOff) await deps.store.putDue(deadline, changeId);
  return { summary, outcome };
}

export interface ChangeFactInput {
  readonly eventId: string;
  readonly detailType: string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

/** Records a change lifecycle fact (any order of arrival) and re-decides its change. */
export async function recordChangeFact(deps: ChangeDeps, fact: ChangeFactInput, now: Date): Promise<{ raised: string[]; resolved: string[] }> {
  const changeId = typeof fact.detail.changeId === 'string' ? fact.detail.changeId : undefined;
  const time = new Date(fact.time).toISOString();
  const production = new Set(deps.policy.change.productionEnvironments.map((e) => e.toLowerCase()));
  const isProduction = (fact.detailType === 'Change Deployed' || fact.detailType === 'Configuration Modified') && production.has(String(fact.detail.environment).toLowerCase());
  if (changeId === undefined) {
    // A configuration edit that names no change: in production, a direct edit (4.4).
    if (!isProduction || !deps.policy.change.directProductionEdits.forbidden) return { raised: [], resolved: [] };
    const freeze = await freezeAt(deps, time);
    const summary = `Configuration ${String(fact.detail.configKey)} (${String(fact.detail.module)}) changed in ${String(fact.detail.environment)} by ${String(fact.detail.modifiedBy)} via ${String(fact.detail.channel)} at ${time}, with no change request.`;
    await deps.store.putGate(utcMonth(time), { changeKey: `configuration:${fact.eventId}`, time, eventIds: [fact.eventId], origin: 'pipeline', summary, resource: String(fact.detail.configKey), ...(freeze ? { inFreeze: freeze } : {}) });
    const raised = await raiseGate(deps, `configuration:${fact.eventId}`, summary, { configKey: fact.detail.configKey, module: fact.detail.module, modifiedBy: fact.detail.modifiedBy, channel: fact.detail.channel }, [fact.eventId], freeze, now);
    return { raised, resolved: [] };
  }
  await deps.store.putFact(changeId, { eventId: fact.eventId, detailType: fact.detailType, time, detail: fact.detail });
  await deps.store.noteMonth(utcMonth(time), changeId);
  const { summary, outcome } = await evaluateChange(deps, changeId, now);
  // Every production deploy of the change, re-decided: one handled before its request is matched once the request comes.
  for (const record of pipelineGateRecords(summary)) await deps.store.putGate(utcMonth(record.time), record);
  const covered = await coverEarlierAwsChanges(deps, summary, now);
  return { raised: [...outcome.raised, ...outcome.updated], resolved: [...outcome.resolved, ...covered] };
}

/**
 * AWS production changes judged before this change could cover them (delivery is unordered):
 * matched now, and their direct-edit finding resolved (a freeze finding too, for an emergency
 * change, which a freeze does not flag). Only changes that declare deployment targets and a
 * window can cover an AWS event; the window's months are read.
 */
async function coverEarlierAwsChanges(deps: ChangeDeps, summary: ChangeSummary, now: Date): Promise<string[]> {
  const targets = summary.request?.detail.deploymentTargets;
  if (!summary.window || !Array.isArray(targets) || targets.length === 0) return [];
  const lifecycle = lifecycleOf(deps);
  const resolved: string[] = [];
  const rules: GateRule[] = summary.emergency ? ['direct-production-edit', 'deployed-in-freeze'] : ['direct-production-edit'];
  for (const month of utcMonthsBetween(summary.window.start, summary.window.end)) {
    for (const record of awsGateRecordsCoveredBy(summary, deps.policy, await deps.store.gateRecords(month))) {
      await deps.store.putGate(month, record);
      const how = { summary: `${record.summary} at ${record.time} is covered by change ${summary.changeId} (signed off and tested before it, in its window)`, facts: { changeId: summary.changeId }, resolution: 'no-longer-applicable' as const };
      for (const rule of rules) {
        const findingId = gateFindingId(rule, record.changeKey);
        if (await lifecycle.resolve(GATE_SCOPE, findingId, how, now)) resolved.push(findingId);
      }
    }
  }
  return resolved;
}

async function raiseGate(deps: ChangeDeps, changeKey: string, summary: string, facts: Record<string, unknown>, eventIds: readonly string[], freeze: string | undefined, now: Date, mode: Finding['mode'] = deps.policy.change.directProductionEdits.mode, unmatched = true): Promise<string[]> {
  const lifecycle = lifecycleOf(deps);
  const subject = { type: 'production-change', id: changeKey };
  const raised: string[] = [];
  const findings: Finding[] = [];
  if (unmatched) {
    findings.push({ findingId: gateFindingId('direct-production-edit', changeKey), control: '4.4', rule: 'direct-production-edit', title: 'Direct production edit: no approved, tested change request', severity: 'critical', mode, subject, summary, facts, eventIds, sticky: true });
  }
  if (freeze) {
    findings.push({ findingId: gateFindingId('deployed-in-freeze', changeKey), control: '4.4', rule: 'deployed-in-freeze', title: 'Production change inside a freeze', severity: 'high', mode: deps.policy.change.freeze.mode, subject, summary: `${summary} Inside ${freeze}.`, facts: { ...facts, freeze }, eventIds, sticky: true });
  }
  for (const finding of findings) {
    const outcome = await lifecycle.raise(GATE_SCOPE, finding, now);
    if (outcome === 'opened' || outcome === 'reopened' || outcome === 'updated') raised.push(finding.findingId);
  }
  return raised;
}

/** Candidate requests for a production change: those declaring its resource, and those with a fact in its month or the month before. */
async function candidates(deps: ChangeDeps, change: AwsProductionChange): Promise<string[]> {
  const month = utcMonth(change.time);
  const before = utcMonth(new Date(Date.parse(`${month}-01T00:00:00Z`) - 1));
  const ids = new Set<string>();
  for (const on of await deps.store.changesOn(`target:${change.resource.toLowerCase()}`)) ids.add(on.changeId);
  for (const m of [month, before]) for (const id of await deps.store.changesInMonth(m)) ids.add(id);
  return [...ids];
}

/** Judges an AWS service event at the production gate (4.4), or records an SSM Change Calendar transition. */
export async function judgeAwsEvent(deps: ChangeDeps, raw: unknown, now: Date): Promise<{ kind: string; matched?: string; raised: string[] }> {
  const event = readAwsGateEvent(raw, deps.policy);
  if (event.kind === 'ignored') return { kind: 'ignored', raised: [] };
  if (event.kind === 'calendar-state') {
    await deps.store.putCalendarState(event);
    return { kind: 'calendar-state', raised: [] };
  }
  let matched: ChangeSummary | undefined;
  for (const changeId of await candidates(deps, event)) {
    const summary = await summarise(deps, changeId);
    if (coversProductionChange(summary, deps.policy, event.time, event.resource)) {
      matched = summary;
      break;
    }
  }
  const freeze = await freezeAt(deps, event.time);
  await deps.store.putGate(utcMonth(event.time), {
    changeKey: event.changeKey,
    time: event.time,
    eventIds: [event.eventId],
    origin: 'aws',
    summary: event.summary,
    resource: event.resource,
    ...(matched ? { matchedChangeId: matched.changeId } : {}),
    ...(freeze ? { inFreeze: freeze } : {}),
  });
  const facts = { service: event.service, resource: event.resource, state: event.state, at: event.time };
  const freezeToReport = freeze && !(matched?.emergency ?? false) ? freeze : undefined;
  const text = matched ? `${event.summary} at ${event.time} (change ${matched.changeId}).` : `${event.summary} at ${event.time} matches no approved, tested change request for production in its window.`;
  const raised = await raiseGate(deps, event.changeKey, text, matched ? { ...facts, changeId: matched.changeId } : facts, [event.eventId], freezeToReport, now, event.mode, matched === undefined);
  return { kind: 'production-change', ...(matched ? { matched: matched.changeId } : {}), raised };
}

/** Emergency changes whose sign-off deadline has passed: re-decided (late sign-off is a finding). */
export async function sweepEmergencies(deps: ChangeDeps, firedAt: Date): Promise<{ swept: number; raised: string[] }> {
  const raised: string[] = [];
  const due = await deps.store.dueBefore(firedAt);
  for (const { deadline, changeId } of due) {
    const { outcome } = await evaluateChange(deps, changeId, firedAt);
    raised.push(...outcome.raised);
    await deps.store.clearDue(deadline, changeId);
  }
  return { swept: due.length, raised };
}

export { summarise as summariseStoredChange };

/** The change report of `month`: every change with a fact in it, and every unmatched production change. */
export async function monthlyChangeReport(deps: ChangeDeps, month: string): Promise<ChangeReport> {
  const summaries: ChangeSummary[] = [];
  for (const changeId of await deps.store.changesInMonth(month)) summaries.push(await summarise(deps, changeId));
  return buildChangeReport(month, summaries, await deps.store.gateRecords(month));
}
