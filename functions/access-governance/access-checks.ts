/**
 * The access controls of guide area 2 over an account's current state, a person's accounts
 * and an account's recent logins. Pure: the same snapshot and time always give the same
 * findings with the same ids, so the flows can reconcile them with the findings kept through
 * the shared lifecycle (raise the new, resolve the cleared).
 */
import { deviceRegister, normaliseDeviceId } from '../shared/devices.ts';
import type { Policy } from '../../schemas/policy.ts';
import { activeGrants, heldPermissions, heldRoles, permissionsOfRole, STANDING, type AccountSnapshot, type RoleHolding } from './permission-state.ts';
import type { Finding } from '../shared/findings/finding.ts';
import { stableFindingId } from './findings.ts';
import { addHours, hoursBetween, isoUtc, utcDay, utcDaysBetween } from '../shared/time.ts';

/** The job whose modules the account's roles are checked against: HR's current job first. */
export function jobOf(snapshot: AccountSnapshot): string | undefined {
  return snapshot.person?.job ?? snapshot.meta.job;
}

type ConflictPair = Policy['access']['segregationOfDuties']['conflicts'][number];

/** Whether an unexpired exception for the pair names one of `accounts`. */
export function sodExcepted(policy: Policy, accounts: readonly string[], pair: Pick<ConflictPair, 'first' | 'second'>, at: Date): boolean {
  const key = [pair.first, pair.second].sort().join('\n');
  return policy.access.segregationOfDuties.exceptions.some((e) => accounts.includes(e.account) && [e.first, e.second].sort().join('\n') === key && Date.parse(e.expiresAt) > at.getTime());
}

/** account → permission → where it comes from: what one person holds through each of their accounts. */
export type HeldByAccount = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

export interface SplitConflict {
  readonly pair: ConflictPair;
  /** account → how it holds the pair's first permission. */
  readonly first: Record<string, readonly string[]>;
  readonly second: Record<string, readonly string[]>;
}

/**
 * Conflicting pairs one person holds only by combining accounts (a pair inside one account is
 * that account's own finding). Excepted when an unexpired exception names one of the accounts.
 */
export function splitConflicts(held: HeldByAccount, policy: Policy, at: Date): SplitConflict[] {
  const out: SplitConflict[] = [];
  for (const pair of policy.access.segregationOfDuties.conflicts) {
    const holders = (permission: string) => Object.fromEntries([...held].flatMap(([account, perms]) => (perms.has(permission) ? [[account, perms.get(permission) ?? []]] : [])));
    const first = holders(pair.first);
    const second = holders(pair.second);
    if (Object.keys(first).length === 0 || Object.keys(second).length === 0) continue;
    if (Object.keys(first).some((a) => a in second)) continue;
    if (sodExcepted(policy, [...Object.keys(first), ...Object.keys(second)], pair, at)) continue;
    out.push({ pair, first, second });
  }
  return out;
}

const describeHolders = (holders: Record<string, readonly string[]>) => Object.entries(holders).map(([account, via]) => `${account} (${via.join(', ')})`).join(', ');

/**
 * Checks across one person's accounts (2.1, 2.2): more accounts holding access than the policy
 * allows one person, and segregation-of-duties pairs split over accounts. `accounts`: a
 * snapshot of every account bound to the person, in any order.
 */
export function evaluatePerson(person: string, accounts: readonly AccountSnapshot[], policy: Policy, now: Date): Finding[] {
  // In account order, whichever account's fact triggered the check: the same state gives the same evidence.
  const snapshots = [...accounts].sort((a, b) => a.meta.account.localeCompare(b.meta.account));
  const rules = policy.access;
  const subject = { type: 'person', id: person };
  const findings: Finding[] = [];
  const held = new Map(snapshots.map((s) => [s.meta.account, heldPermissions(s, now, policy.access.segregationOfDuties.rolePermissions)] as const).filter(([, perms]) => perms.size > 0));
  const eventIdsOf = (accounts: readonly string[]) => snapshots.filter((s) => accounts.includes(s.meta.account)).flatMap((s) => heldRoles(s).map((r) => r.eventId));

  const withAccess = snapshots.filter((s) => heldRoles(s).length > 0 || activeGrants(s, now).length > 0).map((s) => s.meta.account).sort();
  if (withAccess.length > rules.deviceBinding.maxAccountsPerPerson) {
    findings.push({
      findingId: stableFindingId('2.2', 'multiple-accounts', person),
      control: '2.2', rule: 'multiple-accounts', title: 'One person holds several accounts', severity: 'medium', mode: rules.deviceBinding.mode, subject,
      summary: `${person} holds access through ${withAccess.length} accounts (${withAccess.join(', ')}); allowed: ${rules.deviceBinding.maxAccountsPerPerson}`,
      facts: { accounts: withAccess, maxAccountsPerPerson: rules.deviceBinding.maxAccountsPerPerson },
      eventIds: eventIdsOf(withAccess),
    });
  }

  for (const conflict of splitConflicts(held, policy, now)) {
    const { pair } = conflict;
    const accounts = [...new Set([...Object.keys(conflict.first), ...Object.keys(conflict.second)])].sort();
    findings.push({
      findingId: stableFindingId('2.1', 'sod-conflict-across-accounts', person, pair.first, pair.second),
      control: '2.1', rule: 'sod-conflict-across-accounts', title: 'Segregation-of-duties conflict across one person\'s accounts', severity: 'critical', mode: rules.segregationOfDuties.mode, subject,
      summary: `${person} holds ${pair.first} through ${describeHolders(conflict.first)} and ${pair.second} through ${describeHolders(conflict.second)}: ${pair.reason}`,
      facts: { first: pair.first, second: pair.second, firstVia: conflict.first, secondVia: conflict.second, accounts },
      eventIds: eventIdsOf(accounts),
    });
  }
  return findings;
}

/**
 * 2.3: an HR event (departure or transfer) for a person no account is bound to yet. Not
 * sticky: delivery is unordered, so the role that binds the person's account may arrive after
 * the HR event; the person's next reconcile (any account bound to them) no longer calls for
 * this finding and resolves it, so the outcome is the same whatever the order.
 */
export function unknownPersonFinding(person: string, hrEvent: { readonly detailType: string; readonly eventId: string; readonly at: string }, policy: Policy): Finding {
  return {
    findingId: stableFindingId('2.3', 'unknown-person', person, hrEvent.at), control: '2.3', rule: 'unknown-person', title: 'HR event for a person with no known account', severity: 'medium',
    mode: policy.access.leaverMoverRevocation.mode, subject: { type: 'person', id: person }, summary: `${hrEvent.detailType} for ${person}, but no account is known for them`, facts: { at: hrEvent.at }, eventIds: [hrEvent.eventId],
  };
}

/** Modules of a role outside `allowed`. */
const outside = (role: RoleHolding, allowed: readonly string[]) => role.modules.filter((m) => !allowed.includes(m));

export function leaverDeadline(departedOrEffectiveAt: string, policy: Policy): string {
  return addHours(departedOrEffectiveAt, policy.access.leaverMoverRevocation.withinHours).toISOString();
}

/** Roles a mover should no longer hold: assigned before the transfer and opening modules the new job does not. */
export function moverExcessRoles(snapshot: AccountSnapshot, policy: Policy): RoleHolding[] {
  const transfer = snapshot.person?.transfer;
  if (!transfer) return [];
  const allowed = policy.access.leastPrivilege.jobModules[transfer.toJob] ?? [];
  return heldRoles(snapshot).filter((r) => r.eventTime < isoUtc(transfer.effectiveAt) && outside(r, allowed).length > 0);
}

/** Every finding the account's current state calls for at `now`. */
export function evaluateAccount(snapshot: AccountSnapshot, policy: Policy, now: Date): Finding[] {
  const { account } = snapshot.meta;
  const subject = { type: 'account', id: account };
  const findings: Finding[] = [];
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
  const held = heldPermissions(snapshot, now, rules.segregationOfDuties.rolePermissions);
  for (const pair of rules.segregationOfDuties.conflicts) {
    if (!held.has(pair.first) || !held.has(pair.second)) continue;
    if (sodExcepted(policy, [account], pair, now)) continue;
    findings.push({
      findingId: stableFindingId('2.1', 'sod-conflict', account, pair.first, pair.second),
      control: '2.1', rule: 'sod-conflict', title: 'Segregation-of-duties conflict', severity: 'critical', mode: rules.segregationOfDuties.mode, subject,
      summary: `${account} holds both ${pair.first} (via ${held.get(pair.first)?.join(', ')}) and ${pair.second} (via ${held.get(pair.second)?.join(', ')}): ${pair.reason}`,
      facts: { first: pair.first, second: pair.second, firstVia: held.get(pair.first), secondVia: held.get(pair.second) },
      eventIds: roles.filter((r) => permissionsOfRole(r, rules.segregationOfDuties.rolePermissions).some((p) => p === pair.first || p === pair.second)).map((r) => r.eventId),
    });
  }

  // 2.3 leaver: anything still held at the deadline.
  const departedAt = snapshot.person?.departedAt;
  if (departedAt !== undefined) {
    const deadline = leaverDeadline(departedAt, policy);
    if (now.toISOString() >= deadline && (roles.length > 0 || grants.length > 0)) {
      findings.push({
        findingId: stableFindingId('2.3', 'leaver-access', account, isoUtc(departedAt)),
        control: '2.3', rule: 'leaver-access', title: 'Leaver still has access', severity: 'critical', mode: rules.leaverMoverRevocation.mode, subject,
        summary: `${account} still holds ${describeRemaining(roles, grants.map((g) => g.grantId))} ${hoursBetween(departedAt, now)} h after ${snapshot.person?.person} left (limit ${rules.leaverMoverRevocation.withinHours} h)`,
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
        findingId: stableFindingId('2.3', 'mover-access', account, isoUtc(transfer.effectiveAt)),
        control: '2.3', rule: 'mover-access', title: 'Mover still holds the old job\'s permissions', severity: 'critical', mode: rules.leaverMoverRevocation.mode, subject,
        summary: `${account} still holds ${describeRemaining(excess, [])} from job ${transfer.fromJob} ${hoursBetween(transfer.effectiveAt, now)} h after the move to ${transfer.toJob} (limit ${rules.leaverMoverRevocation.withinHours} h)`,
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
 * one person, more devices than allowed, or a device outside the account's registered devices
 * (`audit.behaviourAnalysis.boundDevices`), behind one account. `boundPerson` is the person
 * the account is assigned to (a login by anybody else counts as a second person).
 */
export function detectSharedAccount(account: string, boundPerson: string | undefined, logins: readonly LoginFact[], policy: Policy): Finding | undefined {
  if (logins.length === 0) return undefined;
  const latest = logins.reduce((a, b) => (a.time >= b.time ? a : b));
  return detectSharedAccountOnDay(account, boundPerson, logins, policy, utcDay(latest.time));
}

/** The UTC days whose shared-account finding a login at `time` can change: its own, and the days its window reaches into. */
export function sharedAccountDaysOf(time: string, policy: Policy): string[] {
  const last = utcDay(addHours(time, policy.access.deviceBinding.windowHours));
  return utcDaysBetween(utcDay(time), last);
}

/**
 * 2.2 shared account on one UTC day, a function of the logins alone (never of the order they
 * arrived in): every successful login of the day is checked with the successful logins of the
 * `windowHours` before it; the finding's evidence is every login of the windows that break
 * the rule (more than one person, more devices than allowed, or a device not registered to the
 * account). `logins` must cover the day and the window before it.
 */
export function detectSharedAccountOnDay(account: string, boundPerson: string | undefined, logins: readonly LoginFact[], policy: Policy, day: string): Finding | undefined {
  const rule = policy.access.deviceBinding;
  if (!rule.required) return undefined;
  const successes = logins.filter((l) => l.outcome === 'success').sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  const registered = deviceRegister(policy).get(account.toLowerCase());
  const involved = new Map<string, LoginFact>();
  // One pass with a sliding window (logins can be many on a busy account): counts of the
  // persons and devices in the window ending at each login of the day.
  const inPersons = new Map<string, number>();
  const inDevices = new Map<string, number>();
  let unboundInWindow = 0;
  const bump = (counts: Map<string, number>, key: string, by: number) => {
    const n = (counts.get(key) ?? 0) + by;
    if (n === 0) counts.delete(key);
    else counts.set(key, n);
  };
  const count = (l: LoginFact, by: 1 | -1) => {
    if (l.person) bump(inPersons, l.person, by);
    const device = normaliseDeviceId(l.deviceId);
    bump(inDevices, device, by);
    if (registered !== undefined && !registered.has(device)) unboundInWindow += by;
  };
  let start = 0;
  let markedTo = -1;
  for (let i = 0; i < successes.length; i++) {
    const anchor = successes[i] as LoginFact;
    count(anchor, 1);
    const windowStart = addHours(anchor.time, -rule.windowHours).toISOString();
    while ((successes[start] as LoginFact).time < windowStart) count(successes[start++] as LoginFact, -1);
    if (utcDay(anchor.time) !== day) continue;
    const personCount = inPersons.size + (boundPerson !== undefined && inPersons.size > 0 && !inPersons.has(boundPerson) ? 1 : 0);
    if (personCount <= 1 && inDevices.size <= rule.maxDevicesPerAccount && unboundInWindow === 0) continue;
    for (let j = Math.max(start, markedTo + 1); j <= i; j++) involved.set((successes[j] as LoginFact).eventId, successes[j] as LoginFact);
    markedTo = i;
  }
  if (involved.size === 0) return undefined;
  const evidence = [...involved.values()].sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  const persons = new Set(evidence.flatMap((l) => (l.person ? [l.person] : [])));
  if (boundPerson !== undefined && persons.size > 0) persons.add(boundPerson);
  const devices = new Set(evidence.map((l) => normaliseDeviceId(l.deviceId)));
  const unbound = registered === undefined ? [] : [...devices].filter((d) => !registered.has(d)).sort();
  return {
    findingId: stableFindingId('2.2', 'shared-account', account, day),
    control: '2.2', rule: 'shared-account', title: 'Shared account suspected', severity: 'high', mode: rule.mode, subject: { type: 'account', id: account },
    summary: `${account} was used by ${persons.size} person(s) from ${devices.size} device(s) within ${rule.windowHours} h (allowed: 1 person, ${rule.maxDevicesPerAccount} device(s))${unbound.length > 0 ? `; not registered to it: ${unbound.join(', ')}` : ''}`,
    facts: {
      persons: [...persons].sort(), devices: [...devices].sort(), unboundDevices: unbound, registeredDevices: registered === undefined ? null : [...registered].sort(), windowHours: rule.windowHours, day,
      logins: evidence.slice(0, 50).map((l) => ({ time: l.time, person: l.person ?? null, deviceId: l.deviceId, eventId: l.eventId })),
    },
    eventIds: evidence.map((l) => l.eventId),
    sticky: true,
  };
}
