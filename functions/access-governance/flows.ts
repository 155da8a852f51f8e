/**
 * The access-governance flows, over ports (the stores, the shared finding lifecycle, the bus,
 * the audit trail): recording each ERP/HR fact, reconciling an account's findings (and its
 * person's) with its state, the 5-minute sweep of due leaver/mover clocks and expired grants,
 * and the monthly permission audit. The decisions are the pure modules (access-checks.ts,
 * permission-state.ts, permission-report.ts); this file reads, decides and writes in order,
 * each write idempotent, so a redelivery resumes where a crash stopped.
 */
import { processClock } from '../shared/clock.ts';
import { operationAudited } from '../../schemas/details/audit.ts';
import { erpOperationKey, oncePerOperation } from '../../schemas/erp-identity.ts';
import { recordOperationKey } from '../shared/audit-trail/resends.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { CommandIssued } from '../../schemas/registry.ts';
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import { writeReportFormats } from '../shared/report-formats.ts';
import type { RoutedFact } from '../shared/event-handler.ts';
import { isLive, type Finding } from '../shared/findings/finding.ts';
import type { FindingRecord, FindingScope } from '../shared/findings/findings-store.ts';
import { findingLifecycle, type RaiseOutcome } from '../shared/findings/lifecycle.ts';
import type { EventPublisher } from '../shared/ports.ts';
import { addHours, isoUtc, retentionExpiry } from '../shared/time.ts';
import { detectSharedAccountOnDay, evaluateAccount, sharedAccountDaysOf, evaluatePerson, leaverDeadline, moverExcessRoles, unknownPersonFinding, type LoginFact } from './access-checks.ts';
import { COMMAND_SOURCE, DETECTED_BY, stableCommandId, stableFindingId } from './findings.ts';
import type { DueGrant } from './grant-store.ts';
import { accountScope, personScope } from './keys.ts';
import type { LeaverClock } from './leaver-clock-store.ts';
import { permissionReportBuilder, REPORT_FORMATS, reportKey, type PermissionReport, type ReportFormat } from './permission-report.ts';
import { cappedExpiry, grantsCovering, heldRoles, permissionsToRevokeAtExpiry, STANDING, withPerson, type AccountSnapshot, type Grant, type RoleHolding } from './permission-state.ts';
import type { AccessStores } from './stores.ts';

/** An ERP/HR fact routed to access-governance, its detail typed by its detail-type. */
export type AccessFact = RoutedFact<'access-governance'>;

export interface GovernanceDeps {
  readonly stores: AccessStores;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
  /** The audit trail, to tag operations that reached the pipeline before their grant did (2.4). */
  readonly trail?: Pick<AuditTrailStore, 'recordsOccurredBetween'>;
}

export interface Outcome {
  /** Findings opened or re-opened. */
  raised: string[];
  /** Live findings whose evidence changed (re-published). */
  updated: string[];
  resolved: string[];
  commands: CommandIssued[];
}

const emptyOutcome = (): Outcome => ({ raised: [], updated: [], resolved: [], commands: [] });

function merge(into: Outcome, from: Outcome): void {
  into.raised.push(...from.raised);
  into.updated.push(...from.updated);
  into.resolved.push(...from.resolved);
  into.commands.push(...from.commands);
}

const lifecycleOf = (deps: GovernanceDeps) => findingLifecycle({ store: deps.stores.findings, publisher: deps.publisher }, DETECTED_BY);

/** The account's snapshot (its own state with its person joined) and the findings kept beside it. */
export async function readAccount(stores: Pick<AccessStores, 'accounts' | 'people'>, account: string): Promise<{ snapshot: AccountSnapshot; findings: FindingRecord[] }> {
  const { state, findings } = await stores.accounts.read(account);
  const person = state.meta.person === undefined ? undefined : await stores.people.get(state.meta.person);
  return { snapshot: withPerson(state, person), findings };
}

const revocationsIn = (snapshots: readonly AccountSnapshot[]) =>
  snapshots.flatMap((s) => s.roles.filter((r) => r.state === 'revoked' && r.commandId !== undefined).map((r) => `${r.role} on ${r.account} (command ${r.commandId})`));

/** Raises what the checks call for in the scope and resolves what they no longer do; a resolution names the revocations the ERP confirmed. */
async function reconcileFindings(deps: GovernanceDeps, scope: FindingScope, desired: readonly Finding[], current: readonly FindingRecord[], revocations: readonly string[], now: Date): Promise<Outcome> {
  const result = await lifecycleOf(deps).reconcile(scope, desired, now, {
    current,
    howResolved: () => ({
      summary: `the condition cleared for ${scope.label} at ${now.toISOString()}${revocations.length > 0 ? `; revoked: ${revocations.join(', ')}` : ''}`,
      facts: { revocations },
    }),
  });
  return { ...emptyOutcome(), raised: [...result.raised], updated: [...result.updated], resolved: [...result.resolved] };
}

/** Raises one finding (a sticky one: once for its event or window; or one the next reconcile of its scope resolves). */
async function raiseFinding(deps: GovernanceDeps, scope: FindingScope, finding: Finding, now: Date): Promise<Outcome> {
  const result: RaiseOutcome = await lifecycleOf(deps).raise(scope, finding, now);
  const outcome = emptyOutcome();
  if (result === 'opened' || result === 'reopened') outcome.raised.push(finding.findingId);
  else if (result === 'updated') outcome.updated.push(finding.findingId);
  return outcome;
}

/**
 * Raises the findings the account's state calls for and resolves the live ones it no longer
 * does; then the same for its person across all their accounts. Also refreshes the account's
 * summary for the monthly report.
 */
export async function reconcileAccount(deps: GovernanceDeps, account: string, now: Date, extra: readonly Finding[] = []): Promise<Outcome> {
  const { stores } = deps;
  const revision = await stores.accounts.nextRevision(account);
  const { snapshot, findings } = await readAccount(stores, account);
  await stores.accounts.saveSummary(snapshot, revision);
  const desired = [...evaluateAccount(snapshot, deps.policy, now), ...extra];
  const outcome = await reconcileFindings(deps, accountScope(account), desired, findings, revocationsIn([snapshot]), now);
  const person = snapshot.meta.person;
  if (person !== undefined) merge(outcome, await reconcilePerson(deps, person, snapshot, now));
  return outcome;
}

/** The checks across a person's accounts (2.1 split SoD pairs, 2.2 several accounts). */
async function reconcilePerson(deps: GovernanceDeps, person: string, current: AccountSnapshot, now: Date): Promise<Outcome> {
  const { stores } = deps;
  const { accounts, findings } = await stores.people.read(person);
  const others = accounts.filter((a) => a !== current.meta.account);
  // Only one account, and no finding about the person to resolve: nothing to combine (the common case costs this one read).
  const reconcilable = findings.some((r) => (isLive(r.finding) && !r.finding.sticky) || r.pending.length > 0);
  if (others.length === 0 && !reconcilable) return emptyOutcome();
  const otherSnapshots = (await Promise.all(others.map((a) => readAccount(stores, a)))).map((r) => r.snapshot);
  // An account re-bound to somebody else since it was linked no longer counts for this person.
  const snapshots = [current, ...otherSnapshots.filter((s) => s.meta.person === person)];
  return reconcileFindings(deps, personScope(person), evaluatePerson(person, snapshots, deps.policy, now), findings, revocationsIn(snapshots), now);
}

/** Records one fact and reconciles the accounts it touches; event-driven checks judge at the event's own time. */
export async function recordFact(deps: GovernanceDeps, fact: AccessFact): Promise<Outcome> {
  const time = isoUtc(fact.time);
  const now = new Date(time);
  const { stores, policy } = deps;
  switch (fact.detailType) {
    case 'Role Assigned': {
      const { account, person, role, grantId, modules, permissions, job } = fact.detail;
      return recordHolding(deps, person, { account, role, grantKey: grantId ?? STANDING, state: 'assigned', eventTime: time, eventId: fact.eventId, person, modules, permissions: permissions ?? [], ...(job ? { job } : {}) }, now);
    }
    case 'Role Revoked': {
      const { account, person, role, grantId, commandId, reason } = fact.detail;
      return recordHolding(deps, person, { account, role, grantKey: grantId ?? STANDING, state: 'revoked', eventTime: time, eventId: fact.eventId, person, modules: [], permissions: [], ...(commandId ? { commandId } : {}), ...(reason ? { reason } : {}) }, now);
    }
    case 'Temporary Grant Issued': {
      const d = fact.detail;
      const startsAt = isoUtc(d.startsAt ?? time);
      const requestedExpiresAt = isoUtc(d.expiresAt);
      const grant: Grant = {
        grantId: d.grantId, account: d.grantee, ...(d.person ? { person: d.person } : {}), permissions: d.permissions, modules: d.modules ?? [], reason: d.reason, approver: d.approver,
        startsAt, grantExpiresAt: cappedExpiry(startsAt, requestedExpiresAt, policy.access.temporaryGrants.maxDurationDays), requestedExpiresAt, state: 'active', eventId: fact.eventId,
      };
      await stores.accounts.touch(grant.account, { known: true, ...(d.person ? { person: d.person } : {}) });
      if (d.person) await stores.people.link(d.person, grant.account);
      await stores.grants.open(grant);
      await tagEarlierOperations(deps, grant);
      return reconcileAccount(deps, grant.account, now);
    }
    case 'Employee Departed': {
      const { person, departedAt, accounts } = fact.detail;
      const at = isoUtc(departedAt);
      return startLeaverClock(deps, fact, { person, kind: 'departure', at, deadline: leaverDeadline(at, policy), eventId: fact.eventId }, accounts ?? [], () => stores.people.recordDeparture(person, at), now);
    }
    case 'Employee Transferred': {
      const { person, fromJob, toJob, effectiveAt, accounts } = fact.detail;
      const at = isoUtc(effectiveAt);
      return startLeaverClock(deps, fact, { person, kind: 'transfer', at, deadline: leaverDeadline(at, policy), eventId: fact.eventId }, accounts ?? [], () => stores.people.recordTransfer(person, { fromJob, toJob, effectiveAt: at }), now);
    }
    case 'Login': {
      const { account, person, deviceId, outcome } = fact.detail;
      const before = await stores.accounts.touch(account, { known: false });
      const login: LoginFact = { eventId: fact.eventId, account, ...(person ? { person } : {}), deviceId, time, outcome };
      const { windowHours } = policy.access.deviceBinding;
      // Kept for the shared-account window, plus a day.
      await stores.logins.put(login, retentionExpiry(addHours(now, windowHours), 1));
      // The evidence is a function of the logins, not of their arrival order: every day this
      // login can change is judged again over all the logins stored for it and its window.
      const shared: Finding[] = [];
      for (const day of sharedAccountDaysOf(time, policy)) {
        const from = addHours(`${day}T00:00:00.000Z`, -windowHours).toISOString();
        const to = addHours(`${day}T00:00:00.000Z`, 24).toISOString();
        const logins = await stores.logins.between(account, from, to);
        const found = detectSharedAccountOnDay(account, before?.person, logins.filter((l) => l.time < to), policy, day);
        if (found) shared.push(found);
      }
      return reconcileAccount(deps, account, now, shared);
    }
    case 'Operation Audited': {
      const { actor, action, target, module, outcome, grantId } = fact.detail;
      const before = await stores.accounts.touch(actor, { known: false });
      // 2.4: tagged with the grant(s) it ran under, for the approver's review at expiry.
      const retentionEnd = retentionExpiry(now, policy.audit.retention.days);
      for (const covering of grantsCovering(before?.grantWindows ?? [], time, grantId)) {
        const operationKey = erpOperationKey(fact.source, fact.detailType, fact.time, fact.detail);
        await stores.grants.recordOperation(actor, covering.grantId, { eventId: fact.eventId, time, action, target, module, attribution: covering.attribution, operationKey }, retentionEnd);
      }
      const used = outcome !== 'failure' && outcome !== 'denied' && (await stores.accounts.recordUse(actor, module, time));
      // A first sight needs the checks (the unknown-account finding); a new day of use, the summary the report reads.
      return before === undefined || used ? reconcileAccount(deps, actor, now) : emptyOutcome();
    }
    case 'Permission Review Signed Off': {
      const { month, reviewer, comment } = fact.detail;
      await stores.signOffs.record({ month, reviewer, ...(comment ? { comment } : {}), eventId: fact.eventId, time });
      const selfReview = await selfReviewFinding(deps, month, reviewer, fact.eventId);
      return selfReview ? raiseFinding(deps, accountScope(reviewer), selfReview, now) : emptyOutcome();
    }
  }
}

/** A role assigned or revoked: the account is bound to its person, the holding versioned by event time. */
async function recordHolding(deps: GovernanceDeps, person: string, holding: RoleHolding, now: Date): Promise<Outcome> {
  const { stores } = deps;
  await stores.accounts.touch(holding.account, { known: true, person, ...(holding.job ? { job: holding.job } : {}) });
  await stores.people.link(person, holding.account);
  if (holding.job) await stores.people.setJob(person, holding.job);
  await stores.accounts.putHolding(holding);
  return reconcileAccount(deps, holding.account, now);
}

/** A departure or a transfer (2.3): recorded, its clock started, and the person's accounts reconciled. */
async function startLeaverClock(deps: GovernanceDeps, fact: Pick<AccessFact, 'eventId' | 'detailType'>, clock: LeaverClock, namedAccounts: readonly string[], record: () => Promise<void>, now: Date): Promise<Outcome> {
  const { stores, policy } = deps;
  const { person, at } = clock;
  for (const account of namedAccounts) {
    await stores.accounts.touch(account, { known: false, person });
    await stores.people.link(person, account);
  }
  await record();
  await stores.clocks.start(clock);
  const accounts = await stores.people.accountsOf(person);
  const outcome = emptyOutcome();
  if (accounts.length === 0) {
    // An unknown person: recorded (the clock runs), and said so until an account is bound to them.
    merge(outcome, await raiseFinding(deps, personScope(person), unknownPersonFinding(person, { detailType: fact.detailType, eventId: fact.eventId, at }, policy), now));
  }
  for (const account of accounts) merge(outcome, await reconcileAccount(deps, account, now));
  return outcome;
}

/** 2.5: a reviewer signing off a report that lists their own access (any of their accounts) is reviewing themselves. */
async function selfReviewFinding(deps: GovernanceDeps, month: string, reviewer: string, eventId: string): Promise<Finding | undefined> {
  const { snapshot } = await readAccount(deps.stores, reviewer);
  const person = snapshot.meta.person;
  const others = person === undefined ? [] : (await deps.stores.people.accountsOf(person)).filter((a) => a !== reviewer);
  const builder = permissionReportBuilder(month, deps.policy);
  // Only accounts with access count: a reviewer from outside the ERP is nobody's subject.
  const withAccess = (a: AccountSnapshot) => a.roles.length + a.grants.length > 0;
  for (const a of [snapshot, ...(await Promise.all(others.map(async (account) => (await readAccount(deps.stores, account)).snapshot)))]) if (withAccess(a)) builder.add(a);
  const own = builder.finish().items;
  if (own.length === 0) return undefined;
  return {
    findingId: stableFindingId('2.5', 'self-review', month, reviewer),
    control: '2.5', rule: 'self-review', title: 'Permission audit signed off by a reviewer it lists', severity: 'medium', mode: deps.policy.access.permissionAudit.mode,
    subject: { type: 'permission-review', id: month },
    summary: `${reviewer} signed off the ${month} permission audit, which lists ${own.length} item(s) about their own access (${[...new Set(own.map((i) => i.category))].join(', ')}); another reviewer should sign it off`,
    facts: { month, reviewer, ...(person ? { person } : {}), items: own.slice(0, 50) },
    eventIds: [eventId],
    sticky: true,
  };
}

/** Every 5 minutes: leaver/mover clocks whose deadline passed, and grants whose expiry passed. */
export async function sweep(deps: GovernanceDeps, now: Date): Promise<Outcome> {
  const outcome = emptyOutcome();
  for (const clock of await deps.stores.clocks.due(now)) merge(outcome, await enforceRevocationDeadline(deps, clock, now));
  for (const due of await deps.stores.grants.due(now)) merge(outcome, await revokeExpiredGrant(deps, due, now));
  return outcome;
}

/** 2.3: at a leaver's or mover's deadline, the findings for what is still held, and in enforce mode the commands that revoke it. */
async function enforceRevocationDeadline(deps: GovernanceDeps, clock: LeaverClock, now: Date): Promise<Outcome> {
  const { stores, policy } = deps;
  const outcome = emptyOutcome();
  const commands: CommandIssued[] = [];
  for (const account of await stores.people.accountsOf(clock.person)) {
    merge(outcome, await reconcileAccount(deps, account, now));
    if (policy.access.leaverMoverRevocation.mode !== 'enforce') continue;
    const { snapshot } = await readAccount(stores, account);
    const roles = clock.kind === 'departure' ? heldRoles(snapshot) : moverExcessRoles(snapshot, policy);
    const findingId = stableFindingId('2.3', clock.kind === 'departure' ? 'leaver-access' : 'mover-access', account, clock.at);
    const why = clock.kind === 'departure' ? `${clock.person} left on ${clock.at}; guide 2.3` : `${clock.person} changed job on ${clock.at}; guide 2.3`;
    for (const role of roles) {
      commands.push({
        schemaVersion: 1, commandId: stableCommandId('revoke-role', account, role.role, role.grantKey, clock.at), command: 'revoke-role', account, role: role.role,
        ...(role.grantKey !== STANDING ? { grantId: role.grantKey } : {}), control: '2.3', findingId, reason: why, executeBy: now.toISOString(),
      });
    }
    if (clock.kind === 'departure') {
      for (const grant of snapshot.grants.filter((g) => g.state === 'active')) {
        commands.push({ schemaVersion: 1, commandId: stableCommandId('expire-temporary-grant', account, grant.grantId, clock.at), command: 'expire-temporary-grant', account, grantId: grant.grantId, control: '2.3', findingId, reason: why });
      }
    }
  }
  await deps.publisher.publish(commands.map((detail) => ({ source: COMMAND_SOURCE, detailType: 'Command Issued', detail })));
  outcome.commands.push(...commands);
  await stores.clocks.close(clock);
  return outcome;
}

/** 2.4: at a grant's expiry, in enforce mode the command that takes away what nothing else gives, and the operations under it for its approver's review. */
async function revokeExpiredGrant(deps: GovernanceDeps, due: DueGrant, now: Date): Promise<Outcome> {
  const { stores, policy } = deps;
  const outcome = emptyOutcome();
  const { state } = await stores.accounts.read(due.account);
  const grant = state.grants.find((g) => g.grantId === due.grantId);
  if (!grant) return outcome;
  // Computed with the grant still active, excluding it: what nothing else gives.
  const revoke = permissionsToRevokeAtExpiry(state, grant, now, policy.access.segregationOfDuties.rolePermissions);
  if (policy.access.temporaryGrants.mode === 'enforce') {
    const command: CommandIssued = revoke.length > 0
      ? { schemaVersion: 1, commandId: stableCommandId('grant-expiry', grant.account, grant.grantId), command: 'revoke-permissions', account: grant.account, permissions: revoke, grantId: grant.grantId, control: '2.4', reason: `temporary grant ${grant.grantId} expired at ${grant.grantExpiresAt}; guide 2.4` }
      : { schemaVersion: 1, commandId: stableCommandId('grant-expiry', grant.account, grant.grantId), command: 'expire-temporary-grant', account: grant.account, grantId: grant.grantId, control: '2.4', reason: `temporary grant ${grant.grantId} expired at ${grant.grantExpiresAt}; its permissions stay through other grants or roles; guide 2.4` };
    await deps.publisher.publish([{ source: COMMAND_SOURCE, detailType: 'Command Issued', detail: command }]);
    outcome.commands.push(command);
  }
  merge(outcome, await raiseFinding(deps, accountScope(grant.account), await grantReview(deps, grant, revoke), now));
  await stores.grants.end(grant.account, grant.grantId);
  merge(outcome, await reconcileAccount(deps, grant.account, now));
  return outcome;
}

/**
 * 2.4: delivery is unordered, so the grantee's first operations may be handled before the grant
 * itself. Once the grant is stored (later operations see its window), the trail is read for
 * the grantee's operations since the grant started — normally seconds of one day — and tags them,
 * those still waiting for their seal too (delivered a moment ago, sealed by the next pass).
 */
async function tagEarlierOperations(deps: GovernanceDeps, grant: Grant): Promise<void> {
  if (!deps.trail) return;
  const retentionEnd = retentionExpiry(grant.startsAt, deps.policy.audit.retention.days);
  // Those still waiting for their seal too: where they wait depends on when they arrived (the
  // processing clock), not on when the operations happened.
  for (const record of await deps.trail.recordsOccurredBetween(grant.startsAt, grant.grantExpiresAt, { unsealedAsOf: processClock.now() })) {
    if (!record.valid || record.detailType !== 'Operation Audited' || record.actor !== grant.account) continue;
    // Valid when recorded: the contract types the original detail.
    const parsed = operationAudited().safeParse((JSON.parse(record.originalEvent) as { detail?: unknown }).detail);
    if (!parsed.success) continue;
    const { outcome, grantId: named } = parsed.data;
    if (outcome === 'failure' || outcome === 'denied') continue;
    if (named !== undefined && named !== grant.grantId) continue;
    const time = isoUtc(record.occurredAt);
    if (time >= grant.grantExpiresAt) continue;
    await deps.stores.grants.recordOperation(grant.account, grant.grantId, {
      eventId: record.eventId, time, action: record.action, target: record.target ?? '', module: record.module ?? '', attribution: named === undefined ? 'window' : 'explicit',
      ...(operationKeyOf(record) ?? {}),
    }, retentionEnd);
  }
}

function operationKeyOf(record: Parameters<typeof recordOperationKey>[0]): { operationKey: string } | undefined {
  const operationKey = recordOperationKey(record);
  return operationKey === undefined ? undefined : { operationKey };
}

/** 2.4: the operations performed under a grant (tagged as they arrived), for its approver's review. */
async function grantReview(deps: GovernanceDeps, grant: Grant, revoked: readonly string[]): Promise<Finding> {
  const tagged = (await deps.stores.grants.operations(grant.grantId)).filter((o) => o.account === grant.account);
  // An operation the ERP resent (new event id, same operation) is reviewed once.
  const operations = oncePerOperation(tagged, (o) => o.operationKey ?? `event:${o.eventId}`, (o) => o.eventId).sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  return {
    findingId: stableFindingId('2.4', 'grant-ended-review', grant.account, grant.grantId),
    control: '2.4', rule: 'grant-ended-review', title: 'Temporary grant ended: operations for review', severity: 'low', mode: deps.policy.access.temporaryGrants.mode,
    subject: { type: 'grant', id: grant.grantId },
    summary: `grant ${grant.grantId} to ${grant.account} (approved by ${grant.approver}, reason: ${grant.reason}) ended at ${grant.grantExpiresAt}; ${operations.length} operation(s) performed under it for ${grant.approver} to review`,
    facts: { grantId: grant.grantId, account: grant.account, approver: grant.approver, expiredAt: grant.grantExpiresAt, revokedPermissions: revoked, operations: operations.slice(0, 200), operationCount: operations.length },
    eventIds: operations.map((o) => o.eventId),
    sticky: true,
  };
}

/** The monthly permission audit over every account's current state (one summary per account, never the event history). */
export async function buildMonthlyReport(stores: Pick<AccessStores, 'accounts' | 'people' | 'signOffs'>, policy: Policy, month: string): Promise<PermissionReport> {
  const builder = permissionReportBuilder(month, policy);
  await stores.accounts.forEachAccount(await stores.people.everyone(), (snapshot) => builder.add(snapshot));
  return { ...builder.finish(), signOffs: await stores.signOffs.ofMonth(month) };
}

export function writeReport(archive: ArchiveStore, report: PermissionReport, formats?: readonly ReportFormat[]): Promise<string[]> {
  return writeReportFormats(archive, (format) => reportKey(report.month, format), REPORT_FORMATS, report, formats);
}
