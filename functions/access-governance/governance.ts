/**
 * The access-governance flows, over ports (the store, the bus, the audit trail): recording
 * each ERP/HR fact, reconciling an account's findings with its state, the 5-minute sweep of
 * due leaver clocks and expired grants, and the monthly permission audit. The decisions
 * themselves are the pure modules; this file only reads, decides and writes in order, each
 * write idempotent, so a redelivery resumes where a crash stopped.
 */
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { EventPublisher, OutgoingEvent } from '../shared/ports.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { CommandIssued, FindingResolved } from '../../schemas/registry.ts';
import { detectSharedAccount, evaluateAccount, evaluatePerson, leaverDeadline, moverExcessRoles, toFindingRaised, type AccessFinding, type LoginFact } from './access-checks.ts';
import type { AccessStore, OpenFinding } from './access-state.ts';
import { DETECTED_BY, FINDING_SOURCE, findingEvent, stableCommandId, stableFindingId } from './findings.ts';
import { cappedExpiry, grantsCovering, heldRoles, permissionsToRevokeAtExpiry, STANDING, type AccountSnapshot, type Grant } from './permission-state.ts';
import { addHours, isoUtc, retentionExpiry } from '../shared/time.ts';
import { permissionReportBuilder, REPORT_FORMATS, reportKey, type PermissionReport, type ReportFormat } from './permission-report.ts';

export const ACCESS_SWEEP_SCHEDULE = 'access-sweep';
export const PERMISSION_AUDIT_SCHEDULE = 'access-permission-audit';
export const ACCESS_DETAIL_TYPES = ['Role Assigned', 'Role Revoked', 'Temporary Grant Issued', 'Employee Departed', 'Employee Transferred', 'Login', 'Operation Audited', 'Permission Review Signed Off'];

const STICKY_FINDING_DAYS = 90;

export interface GovernanceDeps {
  readonly store: AccessStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
  /** The audit trail, to tag operations that reached the pipeline before their grant did (2.4). */
  readonly trail?: Pick<AuditTrailStore, 'recordsOccurredBetween'>;
}

export interface Fact {
  readonly eventId: string;
  readonly detailType: string;
  /** The event's own time: facts are ordered by it, and event-driven checks judge at it. */
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

export interface Outcome {
  raised: string[];
  resolved: string[];
  commands: CommandIssued[];
}

const emptyOutcome = (): Outcome => ({ raised: [], resolved: [], commands: [] });
const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

const toOpen = (f: AccessFinding): OpenFinding => ({ findingId: f.findingId, control: f.control, severity: f.severity, mode: f.mode, rule: f.rule, sticky: f.sticky === true, subject: f.subject });

/** Where a set of findings is kept open: an account's partition, or a person's (checks across their accounts). */
interface FindingOwner {
  readonly label: string;
  readonly open: (finding: OpenFinding, expiresAt?: number) => Promise<boolean>;
  readonly close: (findingId: string) => Promise<boolean>;
}

/** Raises the desired findings not yet open and resolves the open ones no longer desired, as events. */
async function applyFindings(deps: GovernanceDeps, owner: FindingOwner, desired: readonly AccessFinding[], openFindings: readonly OpenFinding[], revocations: readonly string[], now: Date): Promise<Outcome> {
  const outcome = emptyOutcome();
  const events: OutgoingEvent[] = [];
  for (const finding of desired) {
    // A sticky finding (one window, one event) is only remembered long enough to dedupe redeliveries.
    const expiresAt = finding.sticky ? Math.ceil(now.getTime() / 1000) + STICKY_FINDING_DAYS * 86_400 : undefined;
    if (await owner.open(toOpen(finding), expiresAt)) {
      events.push(findingEvent(toFindingRaised(finding)));
      outcome.raised.push(finding.findingId);
    }
  }
  const wanted = new Set(desired.map((f) => f.findingId));
  for (const open of openFindings) {
    if (open.sticky || wanted.has(open.findingId)) continue;
    if (!(await owner.close(open.findingId))) continue;
    const resolved: FindingResolved = {
      schemaVersion: 1,
      findingId: open.findingId,
      control: open.control,
      severity: open.severity as FindingResolved['severity'],
      mode: open.mode as FindingResolved['mode'],
      subject: open.subject,
      resolution: 'fixed',
      resolvedBy: DETECTED_BY,
      evidence: {
        summary: `the condition cleared for ${owner.label} at ${now.toISOString()}${revocations.length > 0 ? `; revoked: ${revocations.join(', ')}` : ''}`,
        eventIds: [],
        facts: { rule: open.rule, revocations },
      },
    };
    events.push({ source: FINDING_SOURCE, detailType: 'Finding Resolved', detail: resolved });
    outcome.resolved.push(open.findingId);
  }
  await deps.publisher.publish(events);
  return outcome;
}

const revocationsIn = (snapshots: readonly AccountSnapshot[]) =>
  snapshots.flatMap((s) => s.roles.filter((r) => r.state === 'revoked' && r.commandId !== undefined).map((r) => `${r.role} on ${r.account} (command ${r.commandId})`));

/**
 * Raises the findings the account's state calls for and resolves the open ones it no longer
 * does; then the same for its person across all their accounts. Also refreshes the account's
 * summary for the monthly report.
 */
export async function reconcileAccount(deps: GovernanceDeps, account: string, now: Date, extra: readonly AccessFinding[] = []): Promise<Outcome> {
  const { store } = deps;
  const revision = await store.nextRevision(account);
  const { snapshot, openFindings } = await store.snapshot(account);
  await store.saveSummary(snapshot, revision);
  const desired = [...evaluateAccount(snapshot, deps.policy, now), ...extra];
  const outcome = await applyFindings(
    deps,
    { label: account, open: (f, expiresAt) => store.openFinding(account, f, expiresAt), close: (id) => store.closeFinding(account, id) },
    desired, openFindings, revocationsIn([snapshot]), now,
  );
  const person = snapshot.meta.person;
  if (person !== undefined) merge(outcome, await reconcilePerson(deps, person, snapshot, now));
  return outcome;
}

/** The checks across a person's accounts (2.1 split SoD pairs, 2.2 several accounts). */
async function reconcilePerson(deps: GovernanceDeps, person: string, current: AccountSnapshot, now: Date): Promise<Outcome> {
  const { store } = deps;
  const { accounts, openFindings } = await store.personState(person);
  const others = accounts.filter((a) => a !== current.meta.account);
  // Only one account: nothing to combine (the common case costs this one read).
  if (others.length === 0 && openFindings.length === 0) return emptyOutcome();
  const otherSnapshots = (await Promise.all(others.map((a) => store.snapshot(a)))).map((r) => r.snapshot);
  // An account re-bound to somebody else since it was linked no longer counts for this person.
  const snapshots = [current, ...otherSnapshots.filter((s) => s.meta.person === person)];
  return applyFindings(
    deps,
    { label: person, open: (f) => store.openPersonFinding(person, f), close: (id) => store.closePersonFinding(person, id) },
    evaluatePerson(person, snapshots, deps.policy, now), openFindings, revocationsIn(snapshots), now,
  );
}

/** Records one fact and reconciles the accounts it touches. */
export async function recordFact(deps: GovernanceDeps, fact: Fact): Promise<Outcome> {
  const d = fact.detail;
  const time = isoUtc(fact.time);
  const now = new Date(time);
  const { store, policy } = deps;
  switch (fact.detailType) {
    case 'Role Assigned':
    case 'Role Revoked': {
      const account = String(d.account);
      const person = String(d.person);
      const assigned = fact.detailType === 'Role Assigned';
      const job = s(d.job);
      await store.touchAccount(account, { known: true, person, ...(job ? { job } : {}) });
      await store.linkPerson(person, account);
      if (job) await store.setPersonJob(person, job);
      const commandId = s(d.commandId);
      const reason = s(d.reason);
      await store.putHolding({
        account, role: String(d.role), grantKey: s(d.grantId) ?? STANDING, state: assigned ? 'assigned' : 'revoked', eventTime: time, eventId: fact.eventId, person,
        modules: list(d.modules), permissions: list(d.permissions), ...(job ? { job } : {}), ...(commandId ? { commandId } : {}), ...(reason ? { reason } : {}),
      });
      return reconcileAccount(deps, account, now);
    }
    case 'Temporary Grant Issued': {
      const account = String(d.grantee);
      const person = s(d.person);
      const startsAt = isoUtc(s(d.startsAt) ?? time);
      const requestedExpiresAt = isoUtc(String(d.expiresAt));
      const grant: Grant = {
        grantId: String(d.grantId), account, ...(person ? { person } : {}), permissions: list(d.permissions), modules: list(d.modules), reason: String(d.reason), approver: String(d.approver),
        startsAt, grantExpiresAt: cappedExpiry(startsAt, requestedExpiresAt, policy.access.temporaryGrants.maxDurationDays), requestedExpiresAt, state: 'active', eventId: fact.eventId,
      };
      await store.touchAccount(account, { known: true, ...(person ? { person } : {}), grantWindow: { grantId: grant.grantId, startsAt, expiresAt: grant.grantExpiresAt } });
      if (person) await store.linkPerson(person, account);
      await store.putGrant(grant);
      await tagEarlierOperations(deps, grant);
      return reconcileAccount(deps, account, now);
    }
    case 'Employee Departed':
    case 'Employee Transferred': {
      const person = String(d.person);
      const departed = fact.detailType === 'Employee Departed';
      const at = isoUtc(String(departed ? d.departedAt : d.effectiveAt));
      for (const account of list(d.accounts)) {
        await store.touchAccount(account, { known: false, person });
        await store.linkPerson(person, account);
      }
      if (departed) await store.recordDeparture(person, at);
      else await store.recordTransfer(person, { fromJob: String(d.fromJob), toJob: String(d.toJob), effectiveAt: at });
      await store.putClock({ person, kind: departed ? 'departure' : 'transfer', at, deadline: leaverDeadline(at, policy), eventId: fact.eventId });
      const accounts = await store.accountsOf(person);
      const outcome = emptyOutcome();
      if (accounts.length === 0) {
        // An unknown person: recorded (the clock runs), and said so.
        const finding: AccessFinding = {
          findingId: stableFindingId('2.3', 'unknown-person', person, at), control: '2.3', rule: 'unknown-person', title: 'HR event for a person with no known account', severity: 'medium',
          mode: policy.access.leaverMoverRevocation.mode, subject: { type: 'person', id: person }, summary: `${fact.detailType} for ${person}, but no account is known for them`, facts: { at }, eventIds: [fact.eventId],
        };
        await deps.publisher.publish([findingEvent(toFindingRaised(finding))]);
        outcome.raised.push(finding.findingId);
      }
      for (const account of accounts) merge(outcome, await reconcileAccount(deps, account, now));
      return outcome;
    }
    case 'Login': {
      const account = String(d.account);
      const before = await store.touchAccount(account, { known: false });
      const login: LoginFact = { eventId: fact.eventId, account, ...(s(d.person) ? { person: String(d.person) } : {}), deviceId: String(d.deviceId), time, outcome: d.outcome === 'success' ? 'success' : 'failure' };
      const { windowHours } = policy.access.deviceBinding;
      // Kept for the shared-account window, plus a day.
      await store.putLogin(login, retentionExpiry(addHours(now, windowHours), 1));
      const logins = await store.loginsBetween(account, addHours(now, -windowHours).toISOString(), time);
      const shared = detectSharedAccount(account, before?.person, logins, policy);
      return reconcileAccount(deps, account, now, shared ? [shared] : []);
    }
    case 'Operation Audited': {
      const account = String(d.actor);
      const before = await store.touchAccount(account, { known: false });
      // 2.4: tagged with the grant(s) it ran under, for the approver's review at expiry.
      const retentionEnd = retentionExpiry(now, policy.audit.retention.days);
      for (const { grantId, attribution } of grantsCovering(before?.grantWindows ?? [], time, s(d.grantId))) {
        await store.recordGrantOperation(account, grantId, { eventId: fact.eventId, time, action: String(d.action), target: String(d.target), module: String(d.module), attribution }, retentionEnd);
      }
      const used = d.outcome !== 'failure' && d.outcome !== 'denied' && (await store.recordUse(account, String(d.module), time));
      // A first sight needs the checks (the unknown-account finding); a new day of use, the summary the report reads.
      return before === undefined || used ? reconcileAccount(deps, account, now) : emptyOutcome();
    }
    case 'Permission Review Signed Off': {
      const month = String(d.month);
      const reviewer = String(d.reviewer);
      await store.recordSignOff(month, reviewer, s(d.comment), fact.eventId, time);
      const selfReview = await selfReviewFinding(deps, month, reviewer, fact.eventId);
      if (!selfReview) return emptyOutcome();
      return applyFindings(deps, { label: reviewer, open: (f, expiresAt) => store.openFinding(reviewer, f, expiresAt), close: (id) => store.closeFinding(reviewer, id) }, [selfReview], [], [], now);
    }
    default:
      return emptyOutcome();
  }
}

/** 2.5: a reviewer signing off a report that lists their own access (any of their accounts) is reviewing themselves. */
async function selfReviewFinding(deps: GovernanceDeps, month: string, reviewer: string, eventId: string): Promise<AccessFinding | undefined> {
  const { snapshot } = await deps.store.snapshot(reviewer);
  const person = snapshot.meta.person;
  const others = person === undefined ? [] : (await deps.store.accountsOf(person)).filter((a) => a !== reviewer);
  const builder = permissionReportBuilder(month, deps.policy);
  // Only accounts with access count: a reviewer from outside the ERP is nobody's subject.
  const withAccess = (a: AccountSnapshot) => a.roles.length + a.grants.length > 0;
  for (const a of [snapshot, ...(await Promise.all(others.map(async (account) => (await deps.store.snapshot(account)).snapshot)))]) if (withAccess(a)) builder.add(a);
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

function merge(into: Outcome, from: Outcome): void {
  into.raised.push(...from.raised);
  into.resolved.push(...from.resolved);
  into.commands.push(...from.commands);
}

/** Every 5 minutes: leaver/mover clocks whose deadline passed, and grants whose expiry passed. */
export async function sweep(deps: GovernanceDeps, now: Date): Promise<Outcome> {
  const outcome = emptyOutcome();
  const { store, policy } = deps;

  for (const clock of await store.dueClocks(now)) {
    const accounts = await store.accountsOf(clock.person);
    const commands: CommandIssued[] = [];
    for (const account of accounts) {
      merge(outcome, await reconcileAccount(deps, account, now));
      if (policy.access.leaverMoverRevocation.mode !== 'enforce') continue;
      const { snapshot } = await store.snapshot(account);
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
    await deps.publisher.publish(commands.map((detail) => ({ source: FINDING_SOURCE, detailType: 'Command Issued', detail })));
    outcome.commands.push(...commands);
    await store.closeClock(clock);
  }

  for (const due of await store.dueGrants(now)) {
    const { snapshot } = await store.snapshot(due.account);
    const grant = snapshot.grants.find((g) => g.grantId === due.grantId);
    if (!grant) continue;
    // Computed with the grant still active, excluding it: what nothing else gives.
    const revoke = permissionsToRevokeAtExpiry(snapshot, grant, now, policy.access.segregationOfDuties.rolePermissions);
    const events: OutgoingEvent[] = [];
    if (policy.access.temporaryGrants.mode === 'enforce') {
      const command: CommandIssued = revoke.length > 0
        ? { schemaVersion: 1, commandId: stableCommandId('grant-expiry', grant.account, grant.grantId), command: 'revoke-permissions', account: grant.account, permissions: revoke, grantId: grant.grantId, control: '2.4', reason: `temporary grant ${grant.grantId} expired at ${grant.grantExpiresAt}; guide 2.4` }
        : { schemaVersion: 1, commandId: stableCommandId('grant-expiry', grant.account, grant.grantId), command: 'expire-temporary-grant', account: grant.account, grantId: grant.grantId, control: '2.4', reason: `temporary grant ${grant.grantId} expired at ${grant.grantExpiresAt}; its permissions stay through other grants or roles; guide 2.4` };
      events.push({ source: FINDING_SOURCE, detailType: 'Command Issued', detail: command });
      outcome.commands.push(command);
    }
    const review = await grantReview(deps, grant, revoke);
    events.push(findingEvent(toFindingRaised(review)));
    outcome.raised.push(review.findingId);
    await deps.publisher.publish(events);
    await store.endGrant(grant.account, grant.grantId);
    merge(outcome, await reconcileAccount(deps, grant.account, now));
  }
  return outcome;
}

/**
 * 2.4: delivery is unordered, so the grantee's first operations may be handled before the grant
 * itself. Once the grant is stored (later operations see its window), the trail is read for
 * the grantee's operations since the grant started — normally seconds of one day — and tags them.
 */
async function tagEarlierOperations(deps: GovernanceDeps, grant: Grant): Promise<void> {
  if (!deps.trail) return;
  const retentionEnd = retentionExpiry(grant.startsAt, deps.policy.audit.retention.days);
  for (const record of await deps.trail.recordsOccurredBetween(grant.startsAt, grant.grantExpiresAt)) {
    if (!record.valid || record.detailType !== 'Operation Audited' || record.actor !== grant.account) continue;
    const detail = (JSON.parse(record.originalEvent) as { detail?: Record<string, unknown> }).detail ?? {};
    if (detail.outcome === 'failure' || detail.outcome === 'denied') continue;
    const named = s(detail.grantId);
    if (named !== undefined && named !== grant.grantId) continue;
    const time = isoUtc(record.occurredAt);
    if (time >= grant.grantExpiresAt) continue;
    await deps.store.recordGrantOperation(grant.account, grant.grantId, {
      eventId: record.eventId, time, action: record.action, target: record.target ?? '', module: record.module ?? '', attribution: named === undefined ? 'window' : 'explicit',
    }, retentionEnd);
  }
}

/** 2.4: the operations performed under a grant (tagged as they arrived), for its approver's review. */
async function grantReview(deps: GovernanceDeps, grant: Grant, revoked: readonly string[]): Promise<AccessFinding> {
  const operations = (await deps.store.grantOperations(grant.grantId)).filter((o) => o.account === grant.account).sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
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
export async function buildMonthlyReport(store: AccessStore, policy: Policy, month: string): Promise<PermissionReport> {
  const builder = permissionReportBuilder(month, policy);
  await store.forEachAccount((snapshot) => builder.add(snapshot));
  return { ...builder.finish(), signOffs: await store.signOffs(month) };
}

export async function writeReport(archive: ArchiveStore, report: PermissionReport, formats: readonly ReportFormat[] = ['json', 'csv', 'md']): Promise<string[]> {
  const keys: string[] = [];
  for (const format of formats) {
    const { render, contentType } = REPORT_FORMATS[format];
    const key = reportKey(report.month, format);
    await archive.put(key, new TextEncoder().encode(render(report)), contentType);
    keys.push(key);
  }
  return keys;
}
