/**
 * The access-governance flows over the stores' in-memory twins and a recording publisher:
 * modes (report-only issues no commands), idempotent redelivery, reordering, mover clock;
 * and how the function is routed (no loop on its own findings and commands). No I/O.
 */
import { describe, expect, it } from 'vitest';
import { routingTable } from '../../infra/routes.ts';
import { recordFact, sweep, type AccessFact } from '../../functions/access-governance/flows.ts';
import { COMMAND_SOURCE } from '../../functions/access-governance/findings.ts';
import { memoryAccessStores } from '../../functions/access-governance/stores.ts';
import { toAuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy, type Policy } from '../../schemas/policy-loader.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

function setup(policy: Policy = defaultPolicy) {
  const published: OutgoingEvent[] = [];
  const deps = { stores: memoryAccessStores(), publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy };
  let n = 0;
  // A fact as the handler hands it over, without the contract check (some details here carry fields the contract does not name).
  const fact = (detailType: AccessFact['detailType'], detail: Record<string, unknown>, time: string) => ({ eventId: `ev-${++n}`, source: 'erp.test', detailType, time, claimedTime: time, detail: { schemaVersion: 1, ...detail } }) as unknown as AccessFact;
  const of = (detailType: string) => published.filter((e) => e.detailType === detailType).map((e) => e.detail);
  return { deps, fact, published, of };
}

const assign = { account: 'u1', person: 'E-1', role: 'SALES', modules: ['orders'], permissions: ['order.create'], job: 'sales', grantedBy: 'admin' };

describe('leaver flow', () => {
  it('in enforce mode: one finding and one revoke command at the deadline, however often the sweep and the events repeat', async () => {
    const { deps, fact, of } = setup();
    const assigned = fact('Role Assigned', assign, '2026-03-01T00:00:00Z');
    await recordFact(deps, assigned);
    await recordFact(deps, assigned);
    await recordFact(deps, fact('Employee Departed', { person: 'E-1', departedAt: '2026-03-05T10:00:00+08:00' }, '2026-03-05T02:00:00Z'));
    await sweep(deps, new Date('2026-03-06T01:59:00Z'));
    expect(of('Finding Raised')).toEqual([]);
    await sweep(deps, new Date('2026-03-06T02:00:00Z'));
    await sweep(deps, new Date('2026-03-06T02:05:00Z'));
    expect(of('Finding Raised').map((f) => f.control)).toEqual(['2.3']);
    expect(of('Command Issued')).toMatchObject([{ command: 'revoke-role', account: 'u1', role: 'SALES' }]);
  });

  it('in report-only mode: the finding, no command', async () => {
    const { deps, fact, of } = setup(parsePolicy({ access: { leaverMoverRevocation: { mode: 'report-only' } } }));
    await recordFact(deps, fact('Role Assigned', assign, '2026-03-01T00:00:00Z'));
    await recordFact(deps, fact('Employee Departed', { person: 'E-1', departedAt: '2026-03-05T02:00:00Z' }, '2026-03-05T02:00:00Z'));
    await sweep(deps, new Date('2026-03-07T00:00:00Z'));
    expect(of('Finding Raised')).toMatchObject([{ control: '2.3', mode: 'report-only' }]);
    expect(of('Command Issued')).toEqual([]);
  });

  it('a departure for an unknown person is recorded and reported, not an error', async () => {
    const { deps, fact, of } = setup();
    await recordFact(deps, fact('Employee Departed', { person: 'E-404', departedAt: '2026-03-05T02:00:00Z' }, '2026-03-05T02:00:00Z'));
    expect(of('Finding Raised')).toMatchObject([{ control: '2.3', title: 'HR event for a person with no known account', subject: { type: 'person', id: 'E-404' } }]);
  });

  it('…and resolved once a role binds an account to the person, whatever came first', async () => {
    const { deps, fact, of } = setup();
    const departed = fact('Employee Departed', { person: 'E-1', departedAt: '2026-03-05T02:00:00Z' }, '2026-03-05T02:00:00Z');
    await recordFact(deps, departed);
    await recordFact(deps, fact('Role Assigned', assign, '2026-03-01T00:00:00Z'));
    await recordFact(deps, departed);
    const [raised] = of('Finding Raised') as { findingId: string }[];
    expect(of('Finding Resolved')).toMatchObject([{ findingId: raised?.findingId }]);
    expect(of('Finding Raised')).toHaveLength(1);
  });
});

describe('mover flow', () => {
  it('flags the old job\'s role at the deadline and resolves it when revoked', async () => {
    const { deps, fact, of } = setup();
    await recordFact(deps, fact('Role Assigned', assign, '2026-03-01T00:00:00Z'));
    await recordFact(deps, fact('Employee Transferred', { person: 'E-1', fromJob: 'sales', toJob: 'finance', effectiveAt: '2026-03-05T00:00:00Z' }, '2026-03-05T00:00:00Z'));
    await recordFact(deps, fact('Role Assigned', { ...assign, role: 'FI', modules: ['finance'], permissions: [], job: 'finance' }, '2026-03-05T01:00:00Z'));
    await sweep(deps, new Date('2026-03-06T00:00:00Z'));
    const moverFinding = of('Finding Raised').find((f) => f.control === '2.3');
    expect(moverFinding).toMatchObject({ title: 'Mover still holds the old job\'s permissions', evidence: { facts: { remainingRoles: ['SALES'] } } });
    await recordFact(deps, fact('Role Revoked', { account: 'u1', person: 'E-1', role: 'SALES', revokedBy: 'admin', reason: 'transfer' }, '2026-03-06T03:00:00Z'));
    expect(of('Finding Resolved').map((f) => f.findingId)).toContain(moverFinding?.findingId);
  });
});

describe('grant flow', () => {
  it('caps a grant longer than the policy allows, and expires it at the cap', async () => {
    const { deps, fact, of } = setup();
    await recordFact(deps, fact('Temporary Grant Issued', { grantId: 'G1', grantee: 'ext1', organisation: 'Audit & Co', permissions: ['ledger.read'], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z' }, '2026-03-01T00:00:00Z'));
    expect(of('Finding Raised').map((f) => f.title)).toContain('Temporary grant longer than the policy allows');
    await sweep(deps, new Date('2026-03-30T23:55:00Z'));
    expect(of('Command Issued')).toEqual([]);
    await sweep(deps, new Date('2026-03-31T00:00:00Z'));
    expect(of('Command Issued')).toMatchObject([{ command: 'revoke-permissions', grantId: 'G1', permissions: ['ledger.read'] }]);
  });
});

describe('operations under a temporary grant (2.4)', () => {
  it('are tagged as they arrive — by the grant the ERP names, else by every grant active then — and listed for the approver at expiry', async () => {
    const { deps, fact, of } = setup();
    const grant = (grantId: string, expiresAt: string) => fact('Temporary Grant Issued', { grantId, grantee: 'ext1', permissions: ['ledger.read'], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', expiresAt }, '2026-03-01T00:00:00Z');
    const op = (target: string, time: string, grantId?: string) => fact('Operation Audited', { actor: 'ext1', action: 'read', target, module: 'finance', ...(grantId ? { grantId } : {}) }, time);
    await recordFact(deps, grant('G1', '2026-03-03T00:00:00Z'));
    await recordFact(deps, grant('G2', '2026-03-05T00:00:00Z'));
    await recordFact(deps, op('before-any', '2026-02-28T23:00:00Z'));
    await recordFact(deps, op('both-active', '2026-03-02T10:00:00Z'));
    await recordFact(deps, op('named-g2', '2026-03-02T11:00:00Z', 'G2'));
    await recordFact(deps, op('only-g2', '2026-03-04T10:00:00Z'));
    await sweep(deps, new Date('2026-03-05T00:00:00Z'));
    type Review = { subject: { id: string }; evidence: { facts: { operations: { target: string; attribution: string }[] } } };
    const reviews = (of('Finding Raised') as Review[]).filter((f) => f.subject.id.startsWith('G'));
    const listed = (grantId: string) => reviews.find((r) => r.subject.id === grantId)?.evidence.facts.operations.map((o) => `${o.target}:${o.attribution}`);
    expect(listed('G1')).toEqual(['both-active:window']);
    expect(listed('G2')).toEqual(['both-active:window', 'named-g2:explicit', 'only-g2:window']);
  });

  it('backfills from the trail the grantee\'s operations handled before the grant: not failed ones, not another grant\'s, not other accounts\'', async () => {
    const { deps, fact, of } = setup();
    const op = (id: string, actor: string, time: string, extra: Record<string, unknown> = {}) =>
      toAuditRecord({ version: '0', id, 'detail-type': 'Operation Audited', source: 'erp.sap', account: '0', time, region: 'us-east-1', resources: [], detail: { schemaVersion: 1, actor, action: 'read', target: id, module: 'finance', ...extra } }, new Date(time));
    const trail = [
      op('early', 'ext2', '2026-03-01T00:05:00Z'),
      op('named', 'ext2', '2026-03-01T00:06:00Z', { grantId: 'G9' }),
      op('other-grant', 'ext2', '2026-03-01T00:07:00Z', { grantId: 'G8' }),
      op('failed', 'ext2', '2026-03-01T00:08:00Z', { outcome: 'failure' }),
      op('someone-else', 'ext3', '2026-03-01T00:09:00Z'),
      op('before-start', 'ext2', '2026-02-28T23:59:00Z'),
    ];
    const withTrail = { ...deps, trail: { recordsOccurredBetween: async (from: string, to: string) => trail.filter((r) => r.occurredAt >= from.slice(0, 19) && r.occurredAt <= to) } };
    await recordFact(withTrail, fact('Temporary Grant Issued', { grantId: 'G9', grantee: 'ext2', permissions: ['ledger.read'], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', expiresAt: '2026-03-02T00:00:00Z' }, '2026-03-01T00:00:00Z'));
    await sweep(withTrail, new Date('2026-03-02T00:00:00Z'));
    type Review = { subject: { id: string }; evidence: { facts: { operations: { target: string; attribution: string }[] } } };
    const review = (of('Finding Raised') as Review[]).find((f) => f.subject.id === 'G9');
    expect(review?.evidence.facts.operations.map((o) => `${o.target}:${o.attribution}`)).toEqual(['early:window', 'named:explicit']);
  });
});

describe('permission review sign-off (2.5)', () => {
  it('is recorded; a reviewer whom the month\'s report lists gets a self-review finding, once', async () => {
    const { deps, fact, of } = setup();
    // The reviewer holds a conflicting pair (an SoD item in the report); a clean reviewer holds one role in their job.
    await recordFact(deps, fact('Role Assigned', { account: 'rev1', person: 'E-r1', role: 'AP', modules: ['finance'], permissions: ['vendor.create', 'payment.approve'], job: 'finance', grantedBy: 'admin' }, '2026-03-25T00:00:00Z'));
    await recordFact(deps, fact('Role Assigned', { account: 'rev2', person: 'E-r2', role: 'AUD', modules: ['finance'], permissions: ['ledger.read'], job: 'finance', grantedBy: 'admin' }, '2026-03-25T00:00:00Z'));
    const before = of('Finding Raised').length;
    await recordFact(deps, fact('Permission Review Signed Off', { month: '2026-03', reviewer: 'rev2', comment: 'ok' }, '2026-04-02T00:00:00Z'));
    await recordFact(deps, fact('Permission Review Signed Off', { month: '2026-03', reviewer: 'external.auditor' }, '2026-04-02T00:30:00Z'));
    expect(of('Finding Raised')).toHaveLength(before);
    const signOff = fact('Permission Review Signed Off', { month: '2026-03', reviewer: 'rev1', comment: 'ok' }, '2026-04-02T01:00:00Z');
    await recordFact(deps, signOff);
    await recordFact(deps, signOff);
    const selfReview = (of('Finding Raised') as { control: string; subject: { id: string }; evidence: { facts: { reviewer: string; items: { category: string }[] } } }[]).filter((f) => f.subject.id === '2026-03');
    expect(selfReview).toHaveLength(1);
    expect(selfReview[0]).toMatchObject({ control: '2.5', evidence: { facts: { reviewer: 'rev1', items: [{ category: 'sod-conflict' }] } } });
    expect((await deps.stores.signOffs.ofMonth('2026-03')).map((o) => o.reviewer)).toEqual(['external.auditor', 'rev1', 'rev2']);
  });
});

describe('one person across accounts', () => {
  const ap = { account: 'u1', person: 'E-1', role: 'AP', modules: ['finance'], permissions: ['vendor.create'], job: 'finance', grantedBy: 'admin' };
  const pay = { ...ap, account: 'u1-admin', role: 'PAY', permissions: ['payment.approve'] };

  it('raises a split segregation-of-duties conflict and a second account once, and resolves both when one account is emptied', async () => {
    const { deps, fact, of } = setup();
    await recordFact(deps, fact('Role Assigned', ap, '2026-03-01T00:00:00Z'));
    expect(of('Finding Raised')).toEqual([]);
    await recordFact(deps, fact('Role Assigned', pay, '2026-03-02T00:00:00Z'));
    await recordFact(deps, fact('Role Assigned', pay, '2026-03-02T00:00:00Z'));
    await recordFact(deps, fact('Role Assigned', ap, '2026-03-01T00:00:00Z'));
    const raised = of('Finding Raised') as { control: string; subject: { type: string; id: string }; severity: string; findingId: string; evidence: { facts: Record<string, unknown> } }[];
    expect(raised.map((f) => [f.control, f.subject.type, f.subject.id, f.severity]).sort()).toEqual([['2.1', 'person', 'E-1', 'critical'], ['2.2', 'person', 'E-1', 'medium']]);
    expect(raised.find((f) => f.control === '2.1')?.evidence.facts).toMatchObject({ firstVia: { u1: ['role AP'] }, secondVia: { 'u1-admin': ['role PAY'] } });

    await recordFact(deps, fact('Role Revoked', { ...pay, revokedBy: 'admin', reason: 'one account per person' }, '2026-03-03T00:00:00Z'));
    expect((of('Finding Resolved') as { findingId: string }[]).map((f) => f.findingId).sort()).toEqual(raised.map((f) => f.findingId).sort());
  });

  it('allows a second account when the policy does, and honours an SoD exception on either account', async () => {
    const policy = parsePolicy({
      access: {
        deviceBinding: { maxAccountsPerPerson: 2 },
        segregationOfDuties: { exceptions: [{ account: 'u1-admin', first: 'vendor.create', second: 'payment.approve', owner: 'cfo', expiresAt: '2026-12-31T00:00:00Z' }] },
      },
    });
    const { deps, fact, of } = setup(policy);
    await recordFact(deps, fact('Role Assigned', ap, '2026-03-01T00:00:00Z'));
    await recordFact(deps, fact('Role Assigned', pay, '2026-03-02T00:00:00Z'));
    expect(of('Finding Raised')).toEqual([]);
  });
});

describe('access-governance in the routing table', () => {
  const fn = routingTable.find((f) => f.name === 'access-governance');
  const routed = (source: string, detailType: string) =>
    fn?.rules.some((rule) => rule.compiled.matches({ version: '0', id: '1', account: '000000000000', time: '2026-03-10T03:00:00Z', region: 'us-east-1', resources: [], source, 'detail-type': detailType, detail: {} })) ?? false;

  it('is declared with the access it needs', () => {
    expect(fn).toMatchObject({ entry: 'functions/access-governance/handler.ts', stateAccess: 'read-write', publishesEvents: true, archiveAccess: 'write', readsSecrets: false, sendsEmail: false });
  });

  it('never receives its own findings or commands (no loops)', () => {
    expect(routed('erp.sap', 'Role Revoked')).toBe(true);
    expect(routed(COMMAND_SOURCE, 'Finding Raised')).toBe(false);
    expect(routed(COMMAND_SOURCE, 'Command Issued')).toBe(false);
    expect(routed('erpgov.some-function', 'Role Revoked')).toBe(false);
  });
});
