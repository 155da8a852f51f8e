/**
 * Dual verification of high-risk operations (guide 6.2): the pure decisions, then the flow over
 * the in-memory stores and the finding lifecycle (ordering, duplicates, crashes). No I/O.
 */
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy, type Policy } from '../../schemas/policy-loader.ts';
import type { EventPublisher, OutgoingEvent } from '../../functions/shared/ports.ts';
import { toFindingRaised, type Finding } from '../../functions/shared/findings/finding.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import { MINUTE_MS } from '../../functions/shared/time.ts';
import { memoryHighRiskStore } from '../../functions/audit-analysis/high-risk-store.ts';
import {
  classifyHighRisk,
  evaluateOperation,
  planOperation,
  toVerification,
  VERIFICATION_DELIVERY_GRACE_MS,
  type HighRiskFact,
  type HighRiskOperation,
  type OperationFact,
  type Verification,
} from '../../functions/audit-analysis/high-risk.ts';
import { recordHighRiskFact, sweepOverdueOperations } from '../../functions/audit-analysis/flows.ts';
import { validateDetail, type FindingRaised } from '../../schemas/registry.ts';

const T0 = '2026-03-02T02:00:00.000Z';
const at = (minutesAfterT0: number) => new Date(Date.parse(T0) + minutesAfterT0 * MINUTE_MS);
const iso = (minutesAfterT0: number) => at(minutesAfterT0).toISOString();

let nextId = 0;
/** A fact as the handler hands it over: the detail checked against its contract, typed by it. */
function fact<T extends HighRiskFact['detailType']>(detailType: T, detail: Record<string, unknown>, options: { eventId?: string; occurredAt?: string } = {}): Extract<HighRiskFact, { detailType: T }> {
  const check = validateDetail(detailType, { schemaVersion: 1, ...detail });
  if (!check.ok) throw new Error(`${detailType}: ${check.message}`);
  const time = options.occurredAt ?? T0;
  return { eventId: options.eventId ?? `evt-${++nextId}`, source: 'erp.sap', time, claimedTime: time, detailType, detail: check.detail } as unknown as Extract<HighRiskFact, { detailType: T }>;
}
const bulkDelete = (extra: Record<string, unknown> = {}, options: { eventId?: string; occurredAt?: string } = {}) =>
  fact('Operation Audited', { actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250, operationId: 'log-1', ...extra }, options);
const verification = (verifier: string, minutesAfterT0: number, operationId = 'log-1', eventId?: string) =>
  fact('Operation Verified', { operationId, verifier }, { occurredAt: iso(minutesAfterT0), ...(eventId ? { eventId } : {}) });

const highRisk = defaultPolicy.audit.highRiskOperations;
const kindOf = (f: OperationFact, policy: Policy = defaultPolicy) => classifyHighRisk(f, policy.audit.highRiskOperations)?.kind ?? null;

/** The operation as first stored, received at `receivedMinutes` after T0. */
function operationOf(f: OperationFact, policy: Policy = defaultPolicy, receivedMinutes = 0): HighRiskOperation {
  const plan = planOperation(f, policy, at(receivedMinutes));
  if (plan === null) throw new Error('expected a high-risk operation');
  return plan.operation;
}
const verificationOf = (f: ReturnType<typeof verification>): Verification => toVerification(f);

/** The finding as the lifecycle announces it ("Finding Raised"), checked against the contract. */
function expectValidFinding(finding: Finding | undefined): FindingRaised {
  expect(finding).toBeDefined();
  const raised = toFindingRaised(finding as Finding, 'audit-analysis');
  const check = validateDetail('Finding Raised', raised);
  expect(check.ok ? 'valid' : check.message).toBe('valid');
  return raised;
}

describe('classifying high-risk operations', () => {
  it('a delete of more records than the policy allows is a bulk delete; at the threshold or without a count it is not', () => {
    expect(kindOf(bulkDelete({ recordCount: highRisk.bulkDeleteAboveRecords + 1 }))).toBe('bulk-delete');
    expect(kindOf(bulkDelete({ recordCount: highRisk.bulkDeleteAboveRecords }))).toBeNull();
    expect(kindOf(bulkDelete({ recordCount: undefined }))).toBeNull();
    expect(kindOf(bulkDelete({ action: 'DELETE' }))).toBe('bulk-delete');
    expect(kindOf(bulkDelete({ action: 'update' }))).toBeNull();
  });

  it('an export of a sensitive data category is high-risk; other categories are not', () => {
    const exportOf = (dataCategory?: string) => bulkDelete({ action: 'export', recordCount: 5, dataCategory });
    expect(kindOf(exportOf('payroll'))).toBe('sensitive-export');
    expect(kindOf(exportOf('Customer'))).toBe('sensitive-export');
    expect(kindOf(exportOf('product-catalogue'))).toBeNull();
    expect(kindOf(exportOf(undefined))).toBeNull();
    expect(kindOf(exportOf('product-catalogue'), parsePolicy({ audit: { highRiskOperations: { sensitiveExportCategories: ['product-catalogue'] } } }))).toBe('sensitive-export');
  });

  it('assigning or revoking an admin role is high-risk, keyed by the event id and acted by the administrator', () => {
    const assigned = fact('Role Assigned', { account: 'u2002', person: 'E-1', role: 'SAP_ALL', modules: ['basis'], grantedBy: 'admin.li' }, { eventId: 'evt-role-1' });
    expect(classifyHighRisk(assigned, highRisk)).toMatchObject({ kind: 'admin-role-change', actor: 'admin.li', operationKey: 'evt-role-1' });
    const revoked = fact('Role Revoked', { account: 'u2002', person: 'E-1', role: 'admin', revokedBy: 'admin.wu' });
    expect(classifyHighRisk(revoked, highRisk)).toMatchObject({ kind: 'admin-role-change', actor: 'admin.wu' });
    expect(kindOf(fact('Role Assigned', { account: 'u2002', person: 'E-1', role: 'SD_SALES_CLERK', modules: ['orders'], grantedBy: 'admin.li' }))).toBeNull();
  });

  it('a permission change on an admin role (named as the target) is high-risk', () => {
    expect(kindOf(bulkDelete({ action: 'permission-change', target: 'SAP_ALL', recordCount: undefined }))).toBe('admin-permission-change');
    expect(kindOf(bulkDelete({ action: 'permission-change', target: 'SD_SALES_CLERK', recordCount: undefined }))).toBeNull();
  });

  it('an operation that failed or was denied changed nothing and needs no verification', () => {
    expect(kindOf(bulkDelete({ outcome: 'denied' }))).toBeNull();
    expect(kindOf(bulkDelete({ outcome: 'failure' }))).toBeNull();
  });

  it('uses the ERP operation id as the key, or the event id when there is none', () => {
    expect(operationOf(bulkDelete()).operationKey).toBe('log-1');
    expect(operationOf(bulkDelete({ operationId: undefined }, { eventId: 'evt-x' })).operationKey).toBe('evt-x');
  });

  it('plans a deadline of the window after the operation, and waits the delivery grace past the later of deadline and arrival', () => {
    const onTime = operationOf(bulkDelete(), defaultPolicy, 1);
    expect(onTime.deadline).toBe(iso(30));
    expect(onTime.decideAfter).toBe(new Date(at(30).getTime() + VERIFICATION_DELIVERY_GRACE_MS).toISOString());
    // Arriving after its own deadline (a backlog): its verification gets the same grace to arrive.
    const late = operationOf(bulkDelete(), defaultPolicy, 120);
    expect(late.decideAfter).toBe(new Date(at(120).getTime() + VERIFICATION_DELIVERY_GRACE_MS).toISOString());
  });

  it('tracks nothing when the policy requires no second person', () => {
    expect(planOperation(bulkDelete(), parsePolicy({ audit: { highRiskOperations: { dualVerification: { required: false } } } }), at(0))).toBeNull();
  });
});

describe('judging verifications', () => {
  const afterWait = new Date(Date.parse(operationOf(bulkDelete()).decideAfter) + 1);

  it('a verification by another person within the window verifies: no finding', () => {
    const op = operationOf(bulkDelete());
    const decision = evaluateOperation(op, [verificationOf(verification('sales.head.zhao', 10))], defaultPolicy, afterWait);
    expect(decision).toMatchObject({ status: 'verified', findings: [] });
    expect(decision.verifiedBy?.verifier).toBe('sales.head.zhao');
  });

  it('an inline verifiedBy by another person verifies', () => {
    const plan = planOperation(bulkDelete({ verifiedBy: 'sales.head.zhao' }), defaultPolicy, at(0));
    expect(plan?.inlineVerification).toMatchObject({ verifier: 'sales.head.zhao', inline: true, occurredAt: T0 });
    expect(evaluateOperation(plan!.operation, [plan!.inlineVerification!], defaultPolicy, afterWait)).toMatchObject({ status: 'verified', findings: [] });
  });

  it('with authorised verifiers listed, a listed one verifies (any case) and an unlisted one is a finding at once', () => {
    const policy = parsePolicy({ audit: { highRiskOperations: { dualVerification: { authorisedVerifiers: ['Sales.Head.Zhao', 'it.lead.sun'] } } } });
    const op = operationOf(bulkDelete(), policy);
    expect(evaluateOperation(op, [verificationOf(verification('sales.head.zhao', 5))], policy, at(6))).toMatchObject({ status: 'verified', findings: [] });

    const colleague = verificationOf(verification('u1002', 5, 'log-1', 'evt-v-colleague'));
    const decision = evaluateOperation(op, [colleague], policy, at(6));
    expect(decision.status).toBe('pending');
    const finding = expectValidFinding(decision.findings[0]);
    expect(decision.findings).toHaveLength(1);
    expect(finding).toMatchObject({
      control: '6.2',
      severity: 'critical',
      title: 'High-risk operation verified by an unauthorised account',
      subject: { type: 'operation', id: 'log-1' },
      detectedBy: 'audit-analysis',
      evidence: { eventIds: [op.eventId, 'evt-v-colleague'], facts: { verifier: 'u1002', authorisedVerifiers: ['Sales.Head.Zhao', 'it.lead.sun'] } },
    });
    // Still unverified when the wait is over: the operation's own finding follows.
    const later = evaluateOperation({ ...op, raisedFindingIds: [finding.findingId] }, [colleague], policy, afterWait);
    expect(later.status).toBe('unverified');
    expect(later.findings.map((f) => f.title)).toEqual(['High-risk operation not verified by a second person']);
  });

  it('self-verification is a finding at once, inline or as an event, whatever the case of the account', () => {
    const inline = planOperation(bulkDelete({ verifiedBy: 'U1001' }), defaultPolicy, at(0))!;
    const decision = evaluateOperation(inline.operation, [inline.inlineVerification!], defaultPolicy, at(0));
    expect(decision.status).toBe('pending');
    expect(expectValidFinding(decision.findings[0])).toMatchObject({
      title: 'High-risk operation verified by its own actor',
      evidence: { eventIds: [inline.operation.eventId], facts: { actor: 'u1001', verifier: 'U1001', inline: true } },
    });

    const op = operationOf(bulkDelete());
    expect(evaluateOperation(op, [verificationOf(verification('u1001', 3))], defaultPolicy, at(3)).findings[0]?.title).toBe('High-risk operation verified by its own actor');
  });

  it('a verification made before the operation counts within the window (an approval); earlier does not', () => {
    const op = operationOf(bulkDelete());
    expect(evaluateOperation(op, [verificationOf(verification('sales.head.zhao', -30))], defaultPolicy, afterWait).status).toBe('verified');
    expect(evaluateOperation(op, [verificationOf(verification('sales.head.zhao', -31))], defaultPolicy, afterWait).status).toBe('unverified');
  });

  it('a verification exactly at the deadline counts; a minute later it does not, and the finding names it', () => {
    const op = operationOf(bulkDelete());
    expect(evaluateOperation(op, [verificationOf(verification('sales.head.zhao', 30))], defaultPolicy, afterWait).status).toBe('verified');
    const late = verificationOf(verification('sales.head.zhao', 31, 'log-1', 'evt-v-late'));
    const decision = evaluateOperation(op, [late], defaultPolicy, afterWait);
    expect(decision.status).toBe('unverified');
    const finding = expectValidFinding(decision.findings[0]);
    expect(finding.evidence.eventIds).toEqual([op.eventId, 'evt-v-late']);
    expect(finding.evidence.facts).toMatchObject({ rejectedVerifications: [{ verifier: 'sales.head.zhao', reason: 'outside-window' }], windowMinutes: 30, deadline: iso(30) });
    expect(finding.evidence.summary).toContain('outside the window');
  });

  it('without a verification: pending until the wait is over, then one critical finding with the operation as evidence', () => {
    const op = operationOf(bulkDelete({}, { eventId: 'evt-delete' }));
    expect(evaluateOperation(op, [], defaultPolicy, new Date(op.decideAfter))).toEqual({ status: 'pending', findings: [] });
    const decision = evaluateOperation(op, [], defaultPolicy, afterWait);
    expect(decision.status).toBe('unverified');
    expect(expectValidFinding(decision.findings[0])).toMatchObject({
      control: '6.2',
      severity: 'critical',
      mode: 'enforce',
      subject: { type: 'operation', id: 'log-1', name: 'delete of 250 sales-order records in orders' },
      evidence: { eventIds: ['evt-delete'], facts: { kind: 'bulk-delete', actor: 'u1001' } },
    });
  });

  it('carries the rule\'s mode in the finding', () => {
    const policy = parsePolicy({ audit: { highRiskOperations: { mode: 'report-only' } } });
    const op = operationOf(bulkDelete(), policy);
    expect(evaluateOperation(op, [], policy, afterWait).findings[0]?.mode).toBe('report-only');
  });

  it('gives the same violation the same finding id, and does not raise one already raised', () => {
    const op = operationOf(bulkDelete());
    const first = evaluateOperation(op, [], defaultPolicy, afterWait).findings[0]!;
    expect(evaluateOperation(operationOf(bulkDelete({}, { eventId: 'evt-again' })), [], defaultPolicy, new Date(afterWait.getTime() + 60 * MINUTE_MS)).findings[0]?.findingId).toBe(first.findingId);
    expect(evaluateOperation({ ...op, status: 'unverified', raisedFindingIds: [first.findingId] }, [], defaultPolicy, afterWait)).toEqual({ status: 'unverified', findings: [] });
    // A status moved by a run that died before publishing: the finding is raised now.
    expect(evaluateOperation({ ...op, status: 'unverified' }, [], defaultPolicy, afterWait).findings.map((f) => f.findingId)).toEqual([first.findingId]);
  });

  it('a verified operation stays verified; a later self-verification is still reported', () => {
    const op = { ...operationOf(bulkDelete()), status: 'verified' as const };
    const decision = evaluateOperation(op, [verificationOf(verification('u1001', 2))], defaultPolicy, afterWait);
    expect(decision.status).toBe('verified');
    expect(decision.findings.map((f) => f.title)).toEqual(['High-risk operation verified by its own actor']);
  });

  it('waives a pending operation when the policy stops requiring verification', () => {
    const policy = parsePolicy({ audit: { highRiskOperations: { dualVerification: { required: false } } } });
    expect(evaluateOperation(operationOf(bulkDelete()), [verificationOf(verification('u1001', 1))], policy, afterWait)).toEqual({ status: 'waived', findings: [] });
  });
});

// ---------------------------------------------------------------------------------------
// The flow over ports, with the in-memory twins of the stores.

function recordingPublisher(failures = 0): EventPublisher & { readonly events: OutgoingEvent[] } {
  const events: OutgoingEvent[] = [];
  let toFail = failures;
  return {
    events,
    async publish(batch) {
      if (toFail-- > 0) throw new Error('bus unavailable');
      events.push(...batch);
    },
  };
}

function flow(policy: Policy = defaultPolicy, publisher = recordingPublisher()) {
  const store = memoryHighRiskStore();
  const findings = findingLifecycle({ store: memoryFindingsStore(), publisher }, 'audit-analysis');
  return { store, publisher, ports: { store, findings, policy } };
}
const titles = (events: readonly OutgoingEvent[]) => events.map((e) => (e.detail as FindingRaised).title);
const afterTheWait = at(30 + 6);

describe('the dual-verification flow (in-memory store)', () => {
  it('an unverified bulk delete: nothing on arrival or before the wait is over, then one finding from the sweep, once', async () => {
    const { store, publisher, ports } = flow();
    await recordHighRiskFact(ports, bulkDelete(), at(0));
    expect(await sweepOverdueOperations(ports, at(20))).toEqual([]);
    const raised = await sweepOverdueOperations(ports, afterTheWait);
    expect(raised).toHaveLength(1);
    expect(publisher.events).toEqual([{ source: 'erpgov.audit-analysis', detailType: 'Finding Raised', detail: toFindingRaised(raised[0]!, 'audit-analysis') }]);
    expect(store.operation('log-1')).toMatchObject({ status: 'unverified', open: false, raisedFindingIds: [raised[0]!.findingId] });
    expect(await sweepOverdueOperations(ports, at(90))).toEqual([]);
    expect(publisher.events).toHaveLength(1);
  });

  it('a verification that arrives before its operation verifies it: no finding, now or later', async () => {
    const { store, publisher, ports } = flow();
    await recordHighRiskFact(ports, verification('sales.head.zhao', 2), at(3));
    await recordHighRiskFact(ports, bulkDelete(), at(4));
    expect(store.operation('log-1')?.status).toBe('verified');
    await sweepOverdueOperations(ports, at(120));
    expect(publisher.events).toEqual([]);
  });

  it('a verification after the operation verifies it and closes it', async () => {
    const { store, publisher, ports } = flow();
    await recordHighRiskFact(ports, bulkDelete(), at(0));
    await recordHighRiskFact(ports, verification('sales.head.zhao', 12), at(12));
    expect(store.operation('log-1')).toMatchObject({ status: 'verified', open: false });
    await sweepOverdueOperations(ports, at(120));
    expect(publisher.events).toEqual([]);
  });

  it('an admin role assignment is verified by an Operation Verified naming its event id', async () => {
    const { store, publisher, ports } = flow();
    const assigned = fact('Role Assigned', { account: 'u2002', person: 'E-1', role: 'SAP_ALL', modules: ['basis'], grantedBy: 'admin.li' }, { eventId: 'evt-role-9' });
    await recordHighRiskFact(ports, assigned, at(0));
    await recordHighRiskFact(ports, verification('it.lead.sun', 5, 'evt-role-9'), at(5));
    expect(store.operation('evt-role-9')?.status).toBe('verified');
    await sweepOverdueOperations(ports, at(120));
    expect(publisher.events).toEqual([]);
  });

  it('duplicate deliveries change nothing: one operation, one finding', async () => {
    const { publisher, ports } = flow();
    const selfVerified = bulkDelete({ verifiedBy: 'u1001' }, { eventId: 'evt-dup' });
    const selfEvent = verification('u1001', 1, 'log-1', 'evt-self');
    for (let i = 0; i < 3; i++) {
      await recordHighRiskFact(ports, selfVerified, at(i));
      await recordHighRiskFact(ports, selfEvent, at(i));
    }
    // One self-verification finding per verifier, however often it is delivered or repeated.
    expect(titles(publisher.events)).toEqual(['High-risk operation verified by its own actor']);
    await sweepOverdueOperations(ports, afterTheWait);
    await sweepOverdueOperations(ports, afterTheWait);
    expect(titles(publisher.events)).toEqual(['High-risk operation verified by its own actor', 'High-risk operation not verified by a second person']);
  });

  it('a late verification arriving after the wait raises the unverified finding itself; the sweep adds nothing', async () => {
    const { publisher, ports } = flow();
    await recordHighRiskFact(ports, bulkDelete(), at(0));
    const raised = await recordHighRiskFact(ports, verification('sales.head.zhao', 40), at(40));
    expect(raised.map((f) => f.title)).toEqual(['High-risk operation not verified by a second person']);
    await sweepOverdueOperations(ports, at(45));
    expect(publisher.events).toHaveLength(1);
  });

  it('a bus failure between deciding and publishing loses no finding: the next sweep raises it', async () => {
    const { store, publisher, ports } = flow(defaultPolicy, recordingPublisher(1));
    await recordHighRiskFact(ports, bulkDelete(), at(0));
    await expect(sweepOverdueOperations(ports, afterTheWait)).rejects.toThrow(/bus unavailable/);
    expect(store.operation('log-1')).toMatchObject({ status: 'unverified', open: true });
    expect(await sweepOverdueOperations(ports, at(41))).toHaveLength(1);
    expect(titles(publisher.events)).toEqual(['High-risk operation not verified by a second person']);
    expect(store.operation('log-1')?.open).toBe(false);
  });

  it('ignores facts that are not high-risk and stores nothing for them', async () => {
    const { store, publisher, ports } = flow();
    expect(await recordHighRiskFact(ports, bulkDelete({ recordCount: 3 }), at(0))).toEqual([]);
    expect(store.operation('log-1')).toBeUndefined();
    expect(publisher.events).toEqual([]);
  });
});
