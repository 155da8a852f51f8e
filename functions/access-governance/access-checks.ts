/**
 * The access controls of guide area 2 over one account's current state. Pure: the same
 * snapshot and time always give the same findings with the same ids, so the handler can
 * reconcile them with the findings already open (raise the new, resolve the cleared).
 */
import type { FindingRaised } from '../../schemas/registry.ts';
import type { Policy } from '../shared/policy.ts';
import { activeGrants, heldPermissions, heldRoles, STANDING, type AccountSnapshot, type RoleHolding } from './permission-state.ts';
import { DETECTED_BY, stableFindingId } from './findings.ts';

export const HOUR_MS = 3_600_000;

/** A finding the state calls for, before it becomes a "Finding Raised" event. */
export interface AccessFinding {
  readonly findingId: string;
  readonly control: '2.1' | '2.2' | '2.3' | '2.4' | '2.5';
  readonly rule: string;
  readonly title: string;
  readonly severity: FindingRaised['severity'];
  readonly mode: FindingRaised['mode'];
  readonly subject: { type: string; id: string };
  readonly summary: string;
  readonly facts: Record<string, unknown>;
  readonly eventIds: readonly string[];
  readonly dueAt?: string;
  /** Raised once for a window or an event, never resolved by reconciliation. */
  readonly sticky?: boolean;
}

export function toFindingRaised(finding: AccessFinding): FindingRaised {
  return {
    schemaVersion: 1,
    findingId: finding.findingId,
    control: finding.control,
    title: finding.title,
    severity: finding.severity,
    mode: finding.mode,
    subject: finding.subject,
    evidence: { summary: finding.summary, eventIds: [...new Set(finding.eventIds)].slice(0, 100), facts: finding.facts },
    ...(finding.dueAt ? { dueAt: finding.dueAt } : {}),
    detectedBy: DETECTED_BY,
  };
}

/** The job whose modules the account's roles are checked against: HR's current job first. */
export function jobOf(snapshot: AccountSnapshot): string | undefined {
  return snapshot.person?.job ?? snapshot.meta.job;
}

/** Modules of a role outside `allowed`. */
const outside = (role: RoleHolding, allowed: readonly string[]) => role.modules.filter((m) => !allowed.includes(m));

export function leaverDeadline(departedOrEffectiveAt: string, policy: Policy): string {
  return new Date(Date.parse(departedOrEffectiveAt) + policy.access.leaverMoverRevocation.withinHours * HOUR_MS).toISOString();
}

/** Roles a mover should no longer hold: assigned before the transfer and opening modules the new job does not. */
export function moverExcessRoles(snapshot: AccountSnapshot, policy: Policy): RoleHolding[] {
  const transfer = snapshot.person?.transfer;
  if (!transfer) return [];
  const allowed = policy.access.leastPrivilege.jobModules[transfer.toJob] ?? [];
  return heldRoles(snapshot).filter((r) => r.eventTime < new Date(transfer.effectiveAt).toISOString() && outside(r, allowed).length > 0);
}

/** Every finding the account's current state calls for at `now`. */
export function evaluateAccount(snapshot: AccountSnapshot, policy: Policy, now: Date): AccessFinding[] {
  const { account } = snapshot.meta;
  const subject = { type: 'account', id: account };
  const findings: AccessFinding[] = [];
  const rules = policy.access;
  const roles = heldRoles(snapshot);
  const grants = activeGrants(snapshot, now);

  if (!snapshot.meta.known) {
    findings.push({
      findingId: stableFindingId('2.2', 'unknown-account', account),
      control: '2.2', rule: 'unknown-account', title: 'Unknown account', severity: 'high', mode: rules.deviceBinding.mode, subject,
      summary: `${account} was used but no role was ever assigned to it, so no person is bound to it`,
      facts: {}, eventIds: [],
    });
  }

  // 2.1 least privilege: modules outside the job.
  const job = jobOf(snapshot);
  if (job !== undefined) {
    const allowed = rules.leastPrivilege.jobModules[job];
    const excess = roles.flatMap((r) => (allowed === undefined ? r.modules : outside(r, allowed)).map((module) => ({ role: r.role, module, eventId: r.eventId })));
    if (excess.length > 0) {
      findings.push({
        findingId: stableFindingId('2.1', 'outside-job', account),
        control: '2.1', rule: 'outside-job', title: 'Permission outside the job', severity: 'high', mode: rules.leastPrivilege.mode, subject,
        summary: allowed === undefined
          ? `${account} has job "${job}", which the policy's job matrix does not list, and holds ${excess.map((e) => `${e.role}:${e.module}`).join(', ')}`
          : `${account} (job ${job}, allowed ${allowed.join(', ')}) holds ${excess.map((e) => `${e.role}:${e.module}`).join(', ')}`,
        facts: { job, allowedModules: allowed ?? [], excess: excess.map(({ role, module }) => ({ role, module })) },
        eventIds: excess.map((e) => e.eventId),
      });
    }
  }

  // 2.1 segregation of duties.
  const held = heldPermissions(snapshot, now);
  for (const pair of rules.segregationOfDuties.conflicts) {
    if (!held.has(pair.first) || !held.has(pair.second)) continue;
    const excepted = rules.segregationOfDuties.exceptions.some(
      (e) => e.account === account && [e.first, e.second].sort().join('\n') === [pair.first, pair.second].sort().join('\n') && Date.parse(e.expiresAt) > now.getTime(),
    );
    if (excepted) continue;
    findings.push({
      findingId: stableFindingId('2.1', 'sod-conflict', account, pair.first, pair.second),
      control: '2.1', rule: 'sod-conflict', title: 'Segregation-of-duties conflict', severity: 'critical', mode: rules.segregationOfDuties.mode, subject,
      summary: `${account} holds both ${pair.first} (via ${held.get(pair.first)?.join(', ')}) and ${pair.second} (via ${held.get(pair.second)?.join(', ')}): ${pair.reason}`,
      facts: { first: pair.first, second: pair.second, firstVia: held.get(pair.first), secondVia: held.get(pair.second) },
      eventIds: roles.filter((r) => r.permissions.includes(pair.first) || r.permissions.includes(pair.second)).map((r) => r.eventId),
    });
  }

  // 2.3 leaver: anything still held at the deadline.
  const departedAt = snapshot.person?.departedAt;
  if (departedAt !== undefined) {
    const deadline = leaverDeadline(departedAt, policy);
    if (now.toISOString() >= deadline && (roles.length > 0 || grants.length > 0)) {
      findings.push({
        findingId: stableFindingId('2.3', 'leaver-access', account, utcOf(departedAt)),
        control: '2.3', rule: 'leaver-access', title: 'Leaver still has access', severity: 'critical', mode: rules.leaverMoverRevocation.mode, subject,
        summary: `${account} still holds ${describeRemaining(roles, grants.map((g) => g.grantId))} ${hoursSince(departedAt, now)} h after ${snapshot.person?.person} left (limit ${rules.leaverMoverRevocation.withinHours} h)`,
        facts: { person: snapshot.person?.person, departedAt, deadline, limitHours: rules.leaverMoverRevocation.withinHours, remainingRoles: roles.map((r) => r.role), remainingGrants: grants.map((g) => g.grantId) },
        eventIds: roles.map((r) => r.eventId),
        dueAt: deadline,
      });
    }
  }

  // 2.3 mover: old job's roles still held at the deadline.
  const transfer = snapshot.person?.transfer;
  if (transfer !== undefined && departedAt === undefined) {
    const deadline = leaverDeadline(transfer.effectiveAt, policy);
    const excess = moverExcessRoles(snapshot, policy);
    if (now.toISOString() >= deadline && excess.length > 0) {
      findings.push({
        findingId: stableFindingId('2.3', 'mover-access', account, utcOf(transfer.effectiveAt)),
        control: '2.3', rule: 'mover-access', title: 'Mover still holds the old job\'s permissions', severity: 'critical', mode: rules.leaverMoverRevocation.mode, subject,
        summary: `${account} still holds ${describeRemaining(excess, [])} from job ${transfer.fromJob} ${hoursSince(transfer.effectiveAt, now)} h after the move to ${transfer.toJob} (limit ${rules.leaverMoverRevocation.withinHours} h)`,
        facts: { person: snapshot.person?.person, fromJob: transfer.fromJob, toJob: transfer.toJob, effectiveAt: transfer.effectiveAt, deadline, remainingRoles: excess.map((r) => r.role) },
        eventIds: excess.map((r) => r.eventId),
        dueAt: deadline,
      });
    }
  }

  // 2.4 grants: approved by their own grantee, or longer than the policy allows.
  for (const grant of grants) {
    if (grant.approver === account || (grant.person !== undefined && grant.approver === grant.person)) {
      findings.push({
        findingId: stableFindingId('2.4', 'self-approved-grant', account, grant.grantId),
        control: '2.4', rule: 'self-approved-grant', title: 'Temporary grant approved by its grantee', severity: 'high', mode: rules.temporaryGrants.mode, subject,
        summary: `grant ${grant.grantId} to ${account} was approved by ${grant.approver}, the grantee`,
        facts: { grantId: grant.grantId, approver: grant.approver }, eventIds: [grant.eventId],
      });
    }
    if (grant.requestedExpiresAt > grant.grantExpiresAt) {
      findings.push({
        findingId: stableFindingId('2.4', 'grant-too-long', account, grant.grantId),
        control: '2.4', rule: 'grant-too-long', title: 'Temporary grant longer than the policy allows', severity: 'medium', mode: rules.temporaryGrants.mode, subject,
        summary: `grant ${grant.grantId} to ${account} asked to run until ${grant.requestedExpiresAt}; capped at ${grant.grantExpiresAt} (${rules.temporaryGrants.maxDurationDays} days)`,
        facts: { grantId: grant.grantId, requestedExpiresAt: grant.requestedExpiresAt, cappedAt: grant.grantExpiresAt, maxDurationDays: rules.temporaryGrants.maxDurationDays },
        eventIds: [grant.eventId],
      });
    }
  }
  return findings;
}

function describeRemaining(roles: readonly RoleHolding[], grantIds: readonly string[]): string {
  const parts = [...roles.map((r) => (r.grantKey === STANDING ? r.role : `${r.role} (grant ${r.grantKey})`)), ...grantIds.map((g) => `grant ${g}`)];
  return parts.join(', ');
}

const hoursSince = (time: string, now: Date) => Math.floor((now.getTime() - Date.parse(time)) / HOUR_MS);
const utcOf = (time: string) => new Date(time).toISOString();

export interface LoginFact {
  readonly eventId: string;
  readonly account: string;
  readonly person?: string;
  readonly deviceId: string;
  readonly time: string;
  readonly outcome: 'success' | 'failure';
}

/**
 * 2.2 shared-account suspicion: within the policy window ending at the latest login, more than
 * one person, or more devices than allowed, behind one account. `boundPerson` is the person
 * the account is assigned to (a login by anybody else counts as a second person).
 */
export function detectSharedAccount(account: string, boundPerson: string | undefined, logins: readonly LoginFact[], policy: Policy): AccessFinding | undefined {
  const rule = policy.access.deviceBinding;
  if (!rule.required || logins.length === 0) return undefined;
  const latest = logins.reduce((a, b) => (a.time >= b.time ? a : b));
  const windowStart = new Date(Date.parse(latest.time) - rule.windowHours * HOUR_MS).toISOString();
  const inWindow = logins.filter((l) => l.outcome === 'success' && l.time >= windowStart && l.time <= latest.time).sort((a, b) => a.time.localeCompare(b.time));
  const persons = new Set(inWindow.flatMap((l) => (l.person ? [l.person] : [])));
  if (boundPerson !== undefined && persons.size > 0) persons.add(boundPerson);
  const devices = new Set(inWindow.map((l) => l.deviceId));
  if (persons.size <= 1 && devices.size <= rule.maxDevicesPerAccount) return undefined;
  const day = latest.time.slice(0, 10);
  return {
    findingId: stableFindingId('2.2', 'shared-account', account, day),
    control: '2.2', rule: 'shared-account', title: 'Shared account suspected', severity: 'high', mode: rule.mode, subject: { type: 'account', id: account },
    summary: `${account} was used by ${persons.size} person(s) from ${devices.size} device(s) within ${rule.windowHours} h (allowed: 1 person, ${rule.maxDevicesPerAccount} device(s))`,
    facts: {
      persons: [...persons].sort(), devices: [...devices].sort(), windowHours: rule.windowHours, day,
      logins: inWindow.slice(0, 50).map((l) => ({ time: l.time, person: l.person ?? null, deviceId: l.deviceId, eventId: l.eventId })),
    },
    eventIds: inWindow.map((l) => l.eventId),
    sticky: true,
  };
}
