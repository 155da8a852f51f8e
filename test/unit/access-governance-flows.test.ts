/**
 * The access-governance flows over an in-memory AccessStore and a recording publisher: modes
 * (report-only issues no commands), idempotent redelivery, reordering, mover clock. No I/O.
 */
import { describe, expect, it } from 'vitest';
import type { LoginFact } from '../../functions/access-governance/access-checks.ts';
import type { AccessStore, Clock, OpenFinding } from '../../functions/access-governance/access-state.ts';
import { recordFact, sweep, type Fact } from '../../functions/access-governance/governance.ts';
import { supersedes, type AccountMeta, type AccountSnapshot, type GrantOperation, type Grant, type PersonState, type RoleHolding } from '../../functions/access-governance/permission-state.ts';
import { toAuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { defaultPolicy, parsePolicy, type Policy } from '../../schemas/policy-loader.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

function memoryStore(): AccessStore {
  const metas = new Map<string, AccountMeta>();
  const holdings = new Map<string, RoleHolding>();
  const grants = new Map<string, Grant>();
  const persons = new Map<string, PersonState>();
  const links = new Map<string, Set<string>>();
  const clocks = new Map<string, Clock & { open: boolean }>();
  const findings = new Map<string, Map<string, OpenFinding>>();
  const uses = new Map<string, Record<string, string>>();
  const revisions = new Map<string, number>();
  const grantOps = new Map<string, (GrantOperation & { account: string })[]>();
  const summaries = new Map<string, { revision: number; snapshot: AccountSnapshot }>();
  const logins: LoginFact[] = [];
  const signOffs: { month: string; reviewer: string; comment?: string; time: string }[] = [];
  const findingsOf = (a: string) => findings.get(a) ?? findings.set(a, new Map()).get(a)!;
  return {
    async putHolding(h) {
      const key = `${h.account}|${h.role}|${h.grantKey}`;
      if (!supersedes(holdings.get(key), h)) return false;
      holdings.set(key, h);
      return true;
    },
    async touchAccount(account, fields) {
      const before = metas.get(account);
      const grantWindows = [...(before?.grantWindows ?? []).filter((w) => w.grantId !== fields.grantWindow?.grantId), ...(fields.grantWindow ? [fields.grantWindow] : [])];
      metas.set(account, {
        ...before, account, known: fields.known || (before?.known ?? false), ...(fields.person ? { person: fields.person } : {}), ...(fields.job ? { job: fields.job } : {}), ...(grantWindows.length > 0 ? { grantWindows } : {}),
      });
      return before;
    },
    async linkPerson(person, account) {
      (links.get(person) ?? links.set(person, new Set()).get(person)!).add(account);
    },
    accountsOf: async (person) => [...(links.get(person) ?? [])],
    async putGrant(grant) {
      if (grants.has(grant.grantId)) return false;
      grants.set(grant.grantId, grant);
      return true;
    },
    async endGrant(account, grantId) {
      const meta = metas.get(account);
      if (meta) metas.set(account, { ...meta, grantWindows: (meta.grantWindows ?? []).filter((w) => w.grantId !== grantId) });
      const g = grants.get(grantId);
      if (!g || g.state === 'ended') return false;
      grants.set(grantId, { ...g, state: 'ended' });
      return true;
    },
    async recordGrantOperation(account, grantId, operation) {
      const list = grantOps.get(grantId) ?? grantOps.set(grantId, []).get(grantId)!;
      if (!list.some((o) => o.eventId === operation.eventId)) list.push({ ...operation, account });
    },
    grantOperations: async (grantId) => [...(grantOps.get(grantId) ?? [])],
    dueGrants: async (now) => [...grants.values()].filter((g) => g.state === 'active' && g.grantExpiresAt <= now.toISOString()).map((g) => ({ account: g.account, grantId: g.grantId })),
    async recordUse(account, module, time) {
      const u = uses.get(account) ?? {};
      if ((u[module] ?? '') >= `${time.slice(0, 10)}T00:00:00.000Z`) return false;
      u[module] = time;
      uses.set(account, u);
      return true;
    },
    async recordDeparture(person, departedAt) {
      persons.set(person, { ...persons.get(person), person, departedAt });
    },
    async recordTransfer(person, transfer) {
      persons.set(person, { ...persons.get(person), person, job: transfer.toJob, transfer });
    },
    async setPersonJob(person, job) {
      const p = persons.get(person);
      persons.set(person, { ...p, person, job: p?.job ?? job });
    },
    async putClock(clock) {
      const key = `${clock.person}|${clock.kind}|${clock.at}`;
      if (!clocks.has(key)) clocks.set(key, { ...clock, open: true });
    },
    dueClocks: async (now) => [...clocks.values()].filter((c) => c.open && c.deadline <= now.toISOString()),
    async closeClock(clock) {
      const c = clocks.get(`${clock.person}|${clock.kind}|${clock.at}`);
      if (!c?.open) return false;
      c.open = false;
      return true;
    },
    async putLogin(login) {
      logins.push(login);
    },
    loginsBetween: async (account, from, to) => logins.filter((l) => l.account === account && l.time >= from && l.time <= to),
    async snapshot(account) {
      const meta = metas.get(account) ?? { account, known: false };
      const person = meta.person ? (persons.get(meta.person) ?? { person: meta.person }) : undefined;
      return {
        snapshot: { meta, ...(person ? { person } : {}), roles: [...holdings.values()].filter((h) => h.account === account), grants: [...grants.values()].filter((g) => g.account === account), lastUse: uses.get(account) ?? {} },
        openFindings: [...findingsOf(account).values()],
      };
    },
    async openFinding(account, finding) {
      if (findingsOf(account).has(finding.findingId)) return false;
      findingsOf(account).set(finding.findingId, finding);
      return true;
    },
    closeFinding: async (account, findingId) => findingsOf(account).delete(findingId),
    personState: async (person) => ({ accounts: [...(links.get(person) ?? [])], openFindings: [...findingsOf(`person:${person}`).values()] }),
    async openPersonFinding(person, finding) {
      if (findingsOf(`person:${person}`).has(finding.findingId)) return false;
      findingsOf(`person:${person}`).set(finding.findingId, finding);
      return true;
    },
    closePersonFinding: async (person, findingId) => findingsOf(`person:${person}`).delete(findingId),
    nextRevision: async (account) => {
      const next = (revisions.get(account) ?? 0) + 1;
      revisions.set(account, next);
      return next;
    },
    async saveSummary(snapshot, revision) {
      if ((summaries.get(snapshot.meta.account)?.revision ?? 0) >= revision) return false;
      summaries.set(snapshot.meta.account, { revision, snapshot });
      return true;
    },
    async forEachAccount(visit) {
      for (const { snapshot } of summaries.values()) {
        const person = snapshot.meta.person ? (persons.get(snapshot.meta.person) ?? { person: snapshot.meta.person }) : undefined;
        visit({ ...snapshot, ...(person ? { person } : {}) });
      }
    },
    async recordSignOff(month, reviewer, comment, _eventId, time) {
      // One per month and reviewer, as the table keys it.
      const at = signOffs.findIndex((o) => o.month === month && o.reviewer === reviewer);
      if (at >= 0) signOffs.splice(at, 1);
      signOffs.push({ month, reviewer, ...(comment ? { comment } : {}), time });
    },
    signOffs: async (month) => signOffs.filter((s) => s.month === month),
  };
}

function setup(policy: Policy = defaultPolicy) {
  const published: OutgoingEvent[] = [];
  const deps = { store: memoryStore(), publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy };
  let n = 0;
  const fact = (detailType: string, detail: Record<string, unknown>, time: string): Fact => ({ eventId: `ev-${++n}`, detailType, time, detail });
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
    expect((await deps.store.signOffs('2026-03')).map((o) => o.reviewer)).toEqual(['rev2', 'external.auditor', 'rev1']);
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
