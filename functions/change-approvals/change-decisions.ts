/**
 * What a change's history calls for (guide 4.1–4.4): the request's required fields, the dual
 * sign-off (two distinct approvers in the required capacities, neither the requester, each
 * holding an approver role at the moment of approval, none given before the request last
 * changed), rejection ending the request, a passing test of exactly the approved version before
 * production, the deployed version and digests equal to the approved ones, no direct edit, no
 * deploy in a freeze unless an emergency change signed off within the policy's hours, and
 * conflicts of the request's window. Pure: the flows read the facts, the role holdings and the
 * freeze state and hand them in.
 */
import type { Finding, RuleMode, Severity } from '../shared/findings/finding.ts';
import { stableFindingId } from '../shared/findings/finding.ts';
import { addHours } from '../shared/time.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { ChangeFact, GateRecord, Window } from './change-store.ts';

export const DETECTED_BY = 'change-approvals';

export interface Approval {
  readonly approver: string;
  readonly role: string;
  readonly at: string;
  readonly eventId: string;
  /** Why this sign-off does not count; undefined when it does. */
  readonly problem?: 'self-approval' | 'lacks-role' | 'same-person-twice' | 'before-revision' | 'after-rejection' | 'role-not-required';
}

export interface Deployment {
  readonly eventId: string;
  readonly at: string;
  readonly environment: string;
  readonly production: boolean;
  readonly kind: 'deploy' | 'configuration';
  readonly method: string;
  readonly codeVersion?: string;
  readonly configuration: readonly string[];
  readonly databaseScripts: readonly string[];
  readonly tested: boolean;
  readonly versionMatches: boolean;
  readonly inWindow: boolean;
  /** The closed window it fell in, if any. */
  readonly freeze?: string;
}

export interface ChangeSummary {
  readonly changeId: string;
  readonly request?: { readonly at: string; readonly eventId: string; readonly revisedAt: string; readonly detail: Record<string, unknown> };
  readonly requestedBy?: string;
  readonly emergency: boolean;
  readonly window?: Window;
  readonly rejected?: { readonly by: string; readonly at: string; readonly reason: string };
  readonly approvals: readonly Approval[];
  /** Capacity → the sign-off that counts for it. */
  readonly signOffs: Readonly<Record<string, { approver: string; at: string }>>;
  readonly signedOff: boolean;
  /** When the last required sign-off came. */
  readonly signedOffAt?: string;
  readonly tests: readonly { environment: string; outcome: string; codeVersion: string; at: string; eventId: string }[];
  readonly deployments: readonly Deployment[];
  readonly rolledBack: readonly { environment: string; at: string; reason: string }[];
  readonly missingFields: readonly string[];
}

export interface DecisionInputs {
  readonly policy: Policy;
  /** approval eventId → whether the approver held an approver role of its capacity at that moment. */
  readonly roleHeld: ReadonlyMap<string, boolean>;
  /** deploy eventId → the closed window it fell in. */
  readonly freezeAt: ReadonlyMap<string, string | undefined>;
  /** Other signed-off changes on the same module or dataset with an overlapping window. */
  readonly conflicts: readonly { changeId: string; on: string; window: Window }[];
  /** Closed windows the request's window overlaps. */
  readonly windowFreezes: readonly string[];
  readonly now: Date;
}

const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()));
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const within = (at: string, w: Window | undefined) => w !== undefined && Date.parse(at) >= Date.parse(w.start) && Date.parse(at) <= Date.parse(w.end);

/** The request's content that matters for sign-off: a change of it calls for re-approval. */
function requestContent(detail: Record<string, unknown>): string {
  const { schemaVersion: _v, description: _d, ...rest } = detail;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
}

/** The change's state from its facts (any order of arrival; decided in event-time order). */
export function summariseChange(changeId: string, facts: readonly ChangeFact[], inputs: Pick<DecisionInputs, 'policy' | 'roleHeld' | 'freezeAt'>): ChangeSummary {
  const { policy } = inputs;
  const production = lower(policy.change.productionEnvironments);
  const testing = lower(policy.change.testEnvironments);
  const ordered = [...facts].sort((a, b) => (a.time === b.time ? (a.eventId < b.eventId ? -1 : 1) : Date.parse(a.time) - Date.parse(b.time)));

  let request: ChangeSummary['request'];
  for (const fact of ordered.filter((f) => f.detailType === 'Change Requested')) {
    const revised = request === undefined || requestContent(request.detail) !== requestContent(fact.detail);
    request = { at: request?.at ?? fact.time, eventId: fact.eventId, revisedAt: revised ? fact.time : (request?.revisedAt ?? fact.time), detail: fact.detail };
  }
  const detail = request?.detail ?? {};
  const requestedBy = str(detail.requestedBy);
  const rawWindow = detail.window as Window | undefined;
  const window = rawWindow ?? (str(detail.plannedFor) ? { start: str(detail.plannedFor) as string, end: str(detail.plannedFor) as string } : undefined);
  const rejection = ordered.find((f) => f.detailType === 'Change Rejected');
  const rejected = rejection ? { by: String(rejection.detail.approver), at: rejection.time, reason: String(rejection.detail.reason ?? '') } : undefined;

  const required = policy.change.signOff.requiredRoles as readonly string[];
  const approvals: Approval[] = [];
  const signOffs: Record<string, { approver: string; at: string }> = {};
  const people = new Map<string, string>(); // approver → capacity they already count for
  for (const fact of ordered.filter((f) => f.detailType === 'Change Approved')) {
    const approver = String(fact.detail.approver);
    const role = String(fact.detail.role);
    const base = { approver, role, at: fact.time, eventId: fact.eventId };
    let problem: Approval['problem'];
    if (rejected && Date.parse(fact.time) >= Date.parse(rejected.at)) problem = 'after-rejection';
    else if (requestedBy !== undefined && approver.toLowerCase() === requestedBy.toLowerCase()) problem = 'self-approval';
    else if (inputs.roleHeld.get(fact.eventId) === false) problem = 'lacks-role';
    else if (request && Date.parse(fact.time) < Date.parse(request.revisedAt)) problem = 'before-revision';
    else if (!required.includes(role)) problem = 'role-not-required';
    else if (people.has(approver.toLowerCase()) && people.get(approver.toLowerCase()) !== role) problem = 'same-person-twice';
    approvals.push(problem ? { ...base, problem } : base);
    if (!problem && signOffs[role] === undefined) {
      signOffs[role] = { approver, at: fact.time };
      people.set(approver.toLowerCase(), role);
    }
  }
  const signedOff = request !== undefined && rejected === undefined && required.every((role) => signOffs[role] !== undefined);
  const signedOffAt = signedOff ? required.map((role) => (signOffs[role] as { at: string }).at).sort((a, b) => Date.parse(a) - Date.parse(b)).pop() : undefined;

  const tests = ordered
    .filter((f) => f.detailType === 'Change Tested')
    .map((f) => ({ environment: String(f.detail.environment), outcome: String(f.detail.outcome), codeVersion: String(f.detail.codeVersion), at: f.time, eventId: f.eventId }));
  const approvedVersion = str(detail.codeVersion);
  const deployments: Deployment[] = ordered
    .filter((f) => f.detailType === 'Change Deployed' || f.detailType === 'Configuration Modified')
    .map((f) => {
      const isDeploy = f.detailType === 'Change Deployed';
      const artefacts = (isDeploy ? (f.detail.artefacts as Record<string, unknown> | undefined) : undefined) ?? {};
      const environment = String(f.detail.environment);
      const codeVersion = str(artefacts.codeVersion);
      const configuration = strings(artefacts.configuration);
      const databaseScripts = strings(artefacts.databaseScripts);
      const version = codeVersion ?? approvedVersion;
      const tested = !isDeploy || tests.some((t) => t.outcome === 'passed' && testing.has(t.environment.toLowerCase()) && version !== undefined && t.codeVersion === version && Date.parse(t.at) <= Date.parse(f.time));
      const requestConfiguration = detail.configuration === undefined ? undefined : strings(detail.configuration);
      const requestScripts = detail.databaseScripts === undefined ? undefined : strings(detail.databaseScripts);
      const versionMatches =
        !isDeploy ||
        ((approvedVersion === undefined || codeVersion === approvedVersion) &&
          (requestConfiguration === undefined || sameSet(configuration, requestConfiguration)) &&
          (requestScripts === undefined || sameSet(databaseScripts, requestScripts)));
      const freeze = inputs.freezeAt.get(f.eventId);
      return {
        eventId: f.eventId,
        at: f.time,
        environment,
        production: production.has(environment.toLowerCase()),
        kind: isDeploy ? 'deploy' : 'configuration',
        method: String(isDeploy ? f.detail.method : f.detail.channel),
        ...(codeVersion !== undefined ? { codeVersion } : {}),
        configuration,
        databaseScripts,
        tested,
        versionMatches,
        inWindow: window === undefined ? false : within(f.time, { start: window.start, end: window.end }),
        ...(freeze !== undefined ? { freeze } : {}),
      } satisfies Deployment;
    });
  const rolledBack = ordered.filter((f) => f.detailType === 'Change Rolled Back').map((f) => ({ environment: String(f.detail.environment), at: f.time, reason: String(f.detail.reason ?? '') }));
  const missingFields = request
    ? policy.change.requestFields.required.filter((field) => {
        const value = detail[field];
        return value === undefined || value === '' || (Array.isArray(value) && value.length === 0 && field === 'codeVersion');
      })
    : [];
  return {
    changeId,
    ...(request ? { request } : {}),
    ...(requestedBy ? { requestedBy } : {}),
    emergency: detail.emergency === true,
    ...(window ? { window } : {}),
    ...(rejected ? { rejected } : {}),
    approvals,
    signOffs,
    signedOff,
    ...(signedOffAt ? { signedOffAt } : {}),
    tests,
    deployments,
    rolledBack,
    missingFields,
  };
}

const PROBLEM_TEXT: Record<NonNullable<Approval['problem']>, string> = {
  'self-approval': 'approved their own change request',
  'lacks-role': 'did not hold an approver role for that capacity at the moment of approval',
  'same-person-twice': 'already signed off in another capacity; 4.1 needs two different people',
  'before-revision': 'signed off before the request last changed; a re-approval is needed',
  'after-rejection': 'signed off after the request was rejected; a rejection ends the request',
  'role-not-required': 'signed off in a capacity the policy does not require',
};

/** The findings the change's history calls for now. */
export function decideChangeFindings(summary: ChangeSummary, inputs: DecisionInputs): Finding[] {
  const { policy, now } = inputs;
  const c = policy.change;
  const id = summary.changeId;
  const subject = { type: 'change', id, ...(summary.request?.detail.title ? { name: String(summary.request.detail.title) } : {}) };
  const findings: Finding[] = [];
  const add = (control: string, rule: string, severity: Severity, mode: RuleMode, title: string, text: string, facts: Record<string, unknown>, eventIds: readonly string[], identifying: readonly string[] = [], extra: Partial<Finding> = {}) =>
    findings.push({ findingId: stableFindingId(DETECTED_BY, control, rule, id, ...identifying), control, rule, title, severity, mode, subject, summary: text, facts: { changeId: id, ...facts }, eventIds, ...extra });

  if (!summary.request) {
    const orphans = summary.approvals;
    if (orphans.length > 0) add('4.1', 'approval-without-request', 'low', c.signOff.mode, 'Sign-off for an unknown change request', `${orphans.length} sign-off(s) recorded for ${id}, which has no change request (yet).`, { approvers: orphans.map((a) => a.approver) }, orphans.map((a) => a.eventId));
  }
  if (summary.missingFields.length > 0 && summary.request) {
    add('4.1', 'request-incomplete', 'medium', c.requestFields.mode, 'Change request is missing required fields', `Change request ${id} is missing: ${summary.missingFields.join(', ')}.`, { missing: summary.missingFields }, [summary.request.eventId]);
  }
  for (const approval of summary.approvals) {
    if (!approval.problem || approval.problem === 'role-not-required') continue;
    if (!summary.request && approval.problem !== 'lacks-role') continue;
    const severity: Severity = approval.problem === 'before-revision' || approval.problem === 'after-rejection' ? 'medium' : 'high';
    const rule = approval.problem === 'lacks-role' ? 'approver-lacks-role' : approval.problem === 'same-person-twice' ? 'same-approver-twice' : approval.problem === 'before-revision' ? 're-approval-needed' : approval.problem;
    add('4.1', rule, severity, c.signOff.mode, `Sign-off does not count: ${PROBLEM_TEXT[approval.problem]}`, `${approval.approver} (${approval.role}) ${PROBLEM_TEXT[approval.problem]} on change ${id}.`, { approver: approval.approver, role: approval.role, approvedAt: approval.at, requestedBy: summary.requestedBy }, [approval.eventId], [approval.eventId]);
  }
  if (summary.request && summary.window) {
    for (const conflict of inputs.conflicts) {
      add('4.1', 'window-conflict', 'medium', c.signOff.mode, 'Change window overlaps another approved change', `Change ${id} overlaps approved change ${conflict.changeId} on ${conflict.on} (${conflict.window.start} – ${conflict.window.end}).`, { other: conflict.changeId, on: conflict.on, window: summary.window }, [summary.request.eventId], [conflict.changeId, conflict.on]);
    }
    if (inputs.windowFreezes.length > 0 && !summary.emergency) {
      add('4.4', 'window-in-freeze', 'medium', c.freeze.mode, 'Change window overlaps a freeze', `The window of change ${id} (${summary.window.start} – ${summary.window.end}) overlaps: ${inputs.windowFreezes.join('; ')}.`, { freezes: inputs.windowFreezes }, [summary.request.eventId]);
    }
  }

  for (const deploy of summary.deployments.filter((d) => d.production)) {
    const ids = [deploy.eventId, ...(summary.request ? [summary.request.eventId] : [])];
    const about = { environment: deploy.environment, deployedAt: deploy.at, kind: deploy.kind };
    if (!summary.request) {
      if (c.directProductionEdits.forbidden) add('4.4', 'direct-production-edit', 'critical', c.directProductionEdits.mode, 'Production change without a change request', `${deploy.kind === 'deploy' ? 'Deployment' : 'Configuration edit'} of ${id} to ${deploy.environment} at ${deploy.at} matches no change request.`, about, ids, [deploy.eventId]);
      continue;
    }
    if (c.directProductionEdits.forbidden && deploy.method !== 'version-control') {
      add('4.4', 'direct-production-edit', 'critical', c.directProductionEdits.mode, 'Direct edit in production', `Change ${id} reached ${deploy.environment} at ${deploy.at} by "${deploy.method}", not through version control.`, { ...about, method: deploy.method }, ids, [deploy.eventId]);
    }
    if (summary.rejected && Date.parse(deploy.at) >= Date.parse(summary.rejected.at)) {
      add('4.1', 'deployed-after-rejection', 'critical', c.signOff.mode, 'Rejected change deployed to production', `Change ${id} was rejected by ${summary.rejected.by} at ${summary.rejected.at} and still reached ${deploy.environment} at ${deploy.at}.`, { ...about, rejectedBy: summary.rejected.by }, ids, [deploy.eventId]);
      continue;
    }
    const deadline = addHours(deploy.at, c.emergency.signOffWithinHours);
    const signedBeforeDeploy = summary.signedOffAt !== undefined && Date.parse(summary.signedOffAt) <= Date.parse(deploy.at);
    if (summary.emergency) {
      const inTime = summary.signedOffAt !== undefined && Date.parse(summary.signedOffAt) <= deadline.getTime();
      const late = !inTime && now.getTime() > deadline.getTime();
      const facts = { ...about, signedOffAt: summary.signedOffAt, signOffDueBy: deadline.toISOString(), ...(deploy.freeze ? { freeze: deploy.freeze } : {}) };
      if (late) add('4.1', 'emergency-sign-off-late', 'high', c.emergency.mode, 'Emergency change not signed off in time', `Emergency change ${id} deployed at ${deploy.at} lacked the dual sign-off ${c.emergency.signOffWithinHours} h later.`, facts, ids, [deploy.eventId]);
      add('4.1', 'emergency-change', 'low', c.emergency.mode, 'Emergency change', `Emergency change ${id} reached ${deploy.environment} at ${deploy.at}${deploy.freeze ? ` inside ${deploy.freeze}` : ''}; dual sign-off ${inTime ? `completed ${summary.signedOffAt}` : `due by ${deadline.toISOString()}`}.`, { ...facts, signedOffInTime: inTime }, ids, [deploy.eventId], inTime || late ? {} : { dueAt: deadline.toISOString() });
    } else if (!signedBeforeDeploy) {
      add('4.1', 'deployed-without-sign-off', 'critical', c.signOff.mode, 'Production change without the dual sign-off', `Change ${id} reached ${deploy.environment} at ${deploy.at} without the sign-offs of ${c.signOff.requiredRoles.join(' and ')} (signed: ${Object.keys(summary.signOffs).join(', ') || 'none'}).`, { ...about, signOffs: summary.signOffs }, ids, [deploy.eventId]);
    }
    if (deploy.freeze && !summary.emergency) {
      add('4.4', 'deployed-in-freeze', 'high', c.freeze.mode, 'Production change inside a freeze', `Change ${id} reached ${deploy.environment} at ${deploy.at}, inside ${deploy.freeze}, and is not an emergency change.`, { ...about, freeze: deploy.freeze }, ids, [deploy.eventId]);
    }
    if (deploy.kind !== 'deploy') continue;
    if (c.testing.required && !deploy.tested) {
      add('4.2', 'untested-version', 'high', c.testing.mode, 'Production deploy of a version not tested first', `Change ${id} deployed ${deploy.codeVersion ?? 'an unrecorded version'} to ${deploy.environment} at ${deploy.at} without a passing test of that version in ${c.testEnvironments.join('/')} before it.`, { ...about, codeVersion: deploy.codeVersion, tests: summary.tests.map((t) => `${t.environment} ${t.codeVersion} ${t.outcome} ${t.at}`) }, ids, [deploy.eventId]);
    }
    if (c.rollbackPlan.required && !summary.request.detail.rollbackPlan) {
      add('4.2', 'no-rollback-plan', 'medium', c.rollbackPlan.mode, 'Production change without a rollback plan', `Change ${id} reached ${deploy.environment} without a rollback plan on its request.`, about, ids);
    }
    if (!deploy.versionMatches) {
      add('4.3', 'version-mismatch', 'critical', c.artefacts.mode, 'Deployed version differs from the approved one', `Change ${id} deployed ${deploy.codeVersion ?? 'no recorded version'} to ${deploy.environment}; approved was ${String(summary.request.detail.codeVersion ?? 'no version')} (configuration and scripts compared too).`, { ...about, deployed: { codeVersion: deploy.codeVersion, configuration: deploy.configuration, databaseScripts: deploy.databaseScripts }, approved: { codeVersion: summary.request.detail.codeVersion, configuration: summary.request.detail.configuration, databaseScripts: summary.request.detail.databaseScripts } }, ids, [deploy.eventId]);
    }
    const missingArtefacts = c.artefacts.required.filter((a) => (a === 'codeVersion' ? deploy.codeVersion === undefined : deploy[a].length === 0 && (summary.request?.detail[a] as unknown[] | undefined)?.length !== 0));
    if (missingArtefacts.length > 0) {
      add('4.3', 'artefacts-not-recorded', 'medium', c.artefacts.mode, 'Deployment does not record its artefacts', `Deployment of ${id} to ${deploy.environment} at ${deploy.at} does not record: ${missingArtefacts.join(', ')}.`, { ...about, missing: missingArtefacts }, ids, [deploy.eventId]);
    }
    if (summary.window && !deploy.inWindow) {
      add('4.4', 'outside-window', 'medium', c.directProductionEdits.mode, 'Deployed outside the approved window', `Change ${id} reached ${deploy.environment} at ${deploy.at}, outside its window ${summary.window.start} – ${summary.window.end}.`, { ...about, window: summary.window }, ids, [deploy.eventId]);
    }
  }
  return findings;
}

/** Whether a production change at `at` on `resource` is covered by this change: signed off, tested, not rejected, in its window, for production, on one of its declared deployment targets. */
export function coversProductionChange(summary: ChangeSummary, policy: Policy, at: string, resource: string): boolean {
  if (!summary.request || summary.rejected) return false;
  const target = String(summary.request.detail.targetEnvironment ?? '');
  if (!lower(policy.change.productionEnvironments).has(target.toLowerCase())) return false;
  const targets = strings(summary.request.detail.deploymentTargets);
  // AWS events carry no change id or version: a request covers only the resources it declares.
  if (!targets.some((t) => t.toLowerCase() === resource.toLowerCase())) return false;
  if (!within(at, summary.window)) return false;
  if (summary.emergency) return true;
  if (!summary.signedOff || (summary.signedOffAt !== undefined && Date.parse(summary.signedOffAt) > Date.parse(at))) return false;
  const testing = lower(policy.change.testEnvironments);
  const version = str(summary.request.detail.codeVersion);
  return !policy.change.testing.required || summary.tests.some((t) => t.outcome === 'passed' && testing.has(t.environment.toLowerCase()) && (version === undefined || t.codeVersion === version) && Date.parse(t.at) <= Date.parse(at));
}

/** When an emergency change's sign-off falls due (for the sweep), if it is still open. */
export function emergencyDeadlines(summary: ChangeSummary, policy: Policy): string[] {
  if (!summary.emergency) return [];
  return summary.deployments.filter((d) => d.production).map((d) => addHours(d.at, policy.change.emergency.signOffWithinHours).toISOString());
}

/**
 * The production gate's records of a change's own deploys and configuration edits, decided from
 * its whole history: matched once the change has a request, whichever of the two arrived first
 * (re-decided with every fact of the change, so a deploy handled before its request is not
 * left listed as a production change without one).
 */
export function pipelineGateRecords(summary: ChangeSummary): GateRecord[] {
  return summary.deployments.filter((d) => d.production).map((d) => ({
    changeKey: `pipeline:${d.eventId}`,
    time: d.at,
    eventIds: [d.eventId],
    origin: 'pipeline' as const,
    summary: `${d.kind === 'deploy' ? 'Change Deployed' : 'Configuration Modified'} ${summary.changeId} to ${d.environment}`,
    resource: summary.changeId,
    ...(summary.request ? { matchedChangeId: summary.changeId } : {}),
    ...(d.freeze ? { inFreeze: d.freeze } : {}),
  }));
}

/**
 * The AWS production changes (gate records judged unmatched) this change now covers: an AWS
 * deployment event handled before the request, its sign-off or its test was judged without
 * them; once the change covers it (by event times, `coversProductionChange`), it is matched.
 */
export function awsGateRecordsCoveredBy(summary: ChangeSummary, policy: Policy, records: readonly GateRecord[]): GateRecord[] {
  return records
    .filter((r) => r.origin === 'aws' && r.matchedChangeId === undefined && coversProductionChange(summary, policy, r.time, r.resource))
    .map((r) => ({ ...r, matchedChangeId: summary.changeId }));
}
