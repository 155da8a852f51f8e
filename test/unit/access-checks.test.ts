import { describe, expect, it } from 'vitest';
import { detectSharedAccount, evaluateAccount, evaluatePerson, unknownPersonFinding, type LoginFact } from '../../functions/access-governance/access-checks.ts';
import { STANDING, type AccountSnapshot, type RoleHolding } from '../../functions/access-governance/permission-state.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';

const role = (roleName: string, modules: string[], permissions: string[], eventTime = '2026-02-01T00:00:00.000Z'): RoleHolding => ({
  account: 'u1', role: roleName, grantKey: STANDING, state: 'assigned', eventTime, eventId: `ev-${roleName}`, modules, permissions,
});
const snapshot = (roles: RoleHolding[], extra: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  meta: { account: 'u1', known: true, person: 'E-1', job: 'sales' }, person: { person: 'E-1', job: 'sales' }, roles, grants: [], lastUse: {}, ...extra,
});
const now = new Date('2026-03-10T00:00:00Z');
const rules = (s: AccountSnapshot, at = now, policy = defaultPolicy) => evaluateAccount(s, policy, at).map((f) => f.rule);

describe('least privilege and segregation of duties (2.1)', () => {
  it('accepts a role inside the job, flags one outside it', () => {
    expect(rules(snapshot([role('SALES', ['orders'], ['order.create'])]))).toEqual([]);
    const [finding] = evaluateAccount(snapshot([role('SALES', ['orders'], []), role('PP', ['production-planning'], [])]), defaultPolicy, now);
    expect(finding).toMatchObject({ control: '2.1', rule: 'outside-job', facts: { excess: [{ role: 'PP', module: 'production-planning' }] } });
  });

  it('flags a conflicting pair, unless an unexpired exception covers it', () => {
    const s = snapshot([role('AP', ['orders'], ['vendor.create']), role('PAY', ['orders'], ['payment.approve'])]);
    expect(rules(s)).toEqual(['sod-conflict']);
    const withException = parsePolicy({
      access: { segregationOfDuties: { exceptions: [{ account: 'u1', first: 'payment.approve', second: 'vendor.create', owner: 'cfo', expiresAt: '2026-04-01T00:00:00Z' }] } },
    });
    expect(rules(s, now, withException)).toEqual([]);
    expect(rules(s, new Date('2026-04-02T00:00:00Z'), withException)).toEqual(['sod-conflict']);
  });
});

describe('role catalogue (2.1)', () => {
  it('gives a role whose event listed no permissions those of the policy\'s catalogue, for segregation of duties', () => {
    const s = snapshot([role('AP_CLERK', ['orders'], []), role('PAYMASTER', ['orders'], [])]);
    expect(rules(s)).toEqual([]);
    const policy = parsePolicy({ access: { segregationOfDuties: { rolePermissions: { AP_CLERK: ['vendor.create'], PAYMASTER: ['payment.approve'] }, conflicts: [{ first: 'vendor.create', second: 'payment.approve', reason: 'fictitious vendor' }] } } });
    const [finding] = evaluateAccount(s, policy, now);
    expect(finding).toMatchObject({ rule: 'sod-conflict', facts: { firstVia: ['role AP_CLERK'], secondVia: ['role PAYMASTER'] }, eventIds: ['ev-AP_CLERK', 'ev-PAYMASTER'] });
  });
});

describe('leavers and movers (2.3)', () => {
  const departed = snapshot([role('SALES', ['orders'], [])], { person: { person: 'E-1', job: 'sales', departedAt: '2026-03-01T08:00:00.000Z' } });

  it('raises nothing before the deadline, a critical finding at it, nothing once all is revoked', () => {
    expect(rules(departed, new Date('2026-03-02T07:59:59Z'))).toEqual([]);
    const [finding] = evaluateAccount(departed, defaultPolicy, new Date('2026-03-02T08:00:00Z'));
    expect(finding).toMatchObject({ control: '2.3', severity: 'critical', dueAt: '2026-03-02T08:00:00.000Z', facts: { remainingRoles: ['SALES'] } });
    expect(rules({ ...departed, roles: [{ ...role('SALES', ['orders'], []), state: 'revoked' }] }, new Date('2026-03-03T00:00:00Z'))).toEqual([]);
  });

  it('flags a mover\'s old roles only, after the deadline', () => {
    const mover = snapshot([role('SALES', ['orders'], []), role('FI', ['finance'], [], '2026-03-05T12:00:00.000Z')], {
      person: { person: 'E-1', job: 'finance', transfer: { fromJob: 'sales', toJob: 'finance', effectiveAt: '2026-03-05T00:00:00.000Z' } },
    });
    const findings = evaluateAccount(mover, defaultPolicy, now).filter((f) => f.control === '2.3');
    expect(findings.map((f) => f.facts.remainingRoles)).toEqual([['SALES']]);
  });

  it('an HR event for a person with no account is a finding the person\'s next reconcile resolves (not sticky)', () => {
    const finding = unknownPersonFinding('E-9', { detailType: 'Employee Departed', eventId: 'ev-1', at: '2026-03-01T08:00:00.000Z' }, defaultPolicy);
    expect(finding).toMatchObject({ control: '2.3', rule: 'unknown-person', subject: { type: 'person', id: 'E-9' }, eventIds: ['ev-1'] });
    expect(finding.sticky).not.toBe(true);
  });
});

describe('shared accounts (2.2)', () => {
  const login = (eventId: string, time: string, deviceId: string, person?: string): LoginFact => ({ eventId, account: 'u1', deviceId, time, outcome: 'success', ...(person ? { person } : {}) });

  it('accepts one person on one device, flags a second person or a second device within the window', () => {
    expect(detectSharedAccount('u1', 'E-1', [login('a', '2026-03-01T08:00:00.000Z', 'D1', 'E-1'), login('b', '2026-03-01T09:00:00.000Z', 'D1', 'E-1')], defaultPolicy)).toBeUndefined();
    expect(detectSharedAccount('u1', 'E-1', [login('a', '2026-03-01T08:00:00.000Z', 'D1', 'E-1'), login('b', '2026-03-01T09:00:00.000Z', 'D1', 'E-2')], defaultPolicy)?.facts.persons).toEqual(['E-1', 'E-2']);
    expect(detectSharedAccount('u1', 'E-1', [login('a', '2026-03-01T08:00:00.000Z', 'D1'), login('b', '2026-03-01T09:00:00.000Z', 'D2')], defaultPolicy)?.eventIds).toEqual(['a', 'b']);
    // Outside the 24-hour window: not counted.
    expect(detectSharedAccount('u1', 'E-1', [login('a', '2026-03-01T08:00:00.000Z', 'D1'), login('b', '2026-03-03T09:00:00.000Z', 'D2')], defaultPolicy)).toBeUndefined();
  });

  it('flags a login from a device outside the account\'s register, comparing MAC addresses loosely', () => {
    const policy = parsePolicy({ audit: { behaviourAnalysis: { boundDevices: { U1: ['3C:52:82:4A:9F:10'] } } } });
    expect(detectSharedAccount('u1', 'E-1', [login('a', '2026-03-01T08:00:00.000Z', '3c-52-82-4a-9f-10', 'E-1')], policy)).toBeUndefined();
    const finding = detectSharedAccount('u1', 'E-1', [login('b', '2026-03-01T09:00:00.000Z', 'AA:BB:CC:DD:EE:FF', 'E-1')], policy);
    expect(finding?.facts).toMatchObject({ unboundDevices: ['aabbccddeeff'], registeredDevices: ['3c52824a9f10'] });
    expect(finding?.summary).toContain('not registered to it: aabbccddeeff');
  });

  it('calls an account never assigned anything unknown', () => {
    expect(rules(snapshot([], { meta: { account: 'u1', known: false } }))).toEqual(['unknown-account']);
  });
});

describe('one person across accounts (2.1, 2.2)', () => {
  const on = (account: string, roles: RoleHolding[]): AccountSnapshot => snapshot(roles.map((r) => ({ ...r, account })), { meta: { account, known: true, person: 'E-1', job: 'finance' } });
  const at = new Date('2026-03-10T00:00:00Z');

  it('counts only accounts that hold something', () => {
    expect(evaluatePerson('E-1', [on('u1', [role('AP', ['finance'], ['vendor.create'])]), on('u1-old', [{ ...role('SALES', ['orders'], []), state: 'revoked' }])], defaultPolicy, at)).toEqual([]);
    const [finding] = evaluatePerson('E-1', [on('u1', [role('AP', ['finance'], [])]), on('u2', [role('WM', ['inventory'], [])])], defaultPolicy, at);
    expect(finding).toMatchObject({ control: '2.2', rule: 'multiple-accounts', subject: { type: 'person', id: 'E-1' }, facts: { accounts: ['u1', 'u2'] } });
  });

  it('flags a pair split over accounts, but leaves a pair inside one account to that account\'s own check', () => {
    const split = evaluatePerson('E-1', [on('u1', [role('AP', ['finance'], ['vendor.create'])]), on('u2', [role('PAY', ['finance'], ['payment.approve'])])], defaultPolicy, at);
    expect(split.map((f) => f.rule).sort()).toEqual(['multiple-accounts', 'sod-conflict-across-accounts']);
    const inside = evaluatePerson('E-1', [on('u1', [role('AP', ['finance'], ['vendor.create']), role('PAY', ['finance'], ['payment.approve'])]), on('u2', [role('PAY', ['finance'], ['payment.approve'])])], defaultPolicy, at);
    expect(inside.map((f) => f.rule)).toEqual(['multiple-accounts']);
  });
});
