import { describe, expect, it } from 'vitest';
import { buildPermissionReport, renderCsv, renderMarkdown } from '../../functions/access-governance/permission-report.ts';
import { endOfMonth, previousMonth } from '../../functions/shared/time.ts';
import { STANDING, type AccountSnapshot, type RoleHolding } from '../../functions/access-governance/permission-state.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';

const role = (account: string, roleName: string, modules: string[], eventTime = '2026-02-20T00:00:00.000Z', extra: Partial<RoleHolding> = {}): RoleHolding => ({
  account, role: roleName, grantKey: STANDING, state: 'assigned', eventTime, eventId: `ev-${account}-${roleName}`, modules, permissions: [], ...extra,
});
const account = (name: string, roles: RoleHolding[], extra: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  meta: { account: name, known: true, person: `E-${name}` }, person: { person: `E-${name}`, job: 'sales' }, roles, grants: [], lastUse: {}, ...extra,
});

describe('monthly permission audit (2.5)', () => {
  it('knows its months', () => {
    expect(endOfMonth('2026-12').toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(previousMonth(new Date('2026-01-01T02:00:00Z'))).toBe('2025-12');
    expect(() => buildPermissionReport('2026-13', [], defaultPolicy)).toThrow(/YYYY-MM/);
  });

  it('lists exactly the redundancies: leaver, unused role, no person; a clean account adds nothing', () => {
    const report = buildPermissionReport('2026-03', [
      account('clean', [role('clean', 'SALES', ['orders'])]),
      account('leaver', [role('leaver', 'SALES', ['orders'])], { person: { person: 'E-leaver', departedAt: '2026-03-10T00:00:00.000Z' } }),
      account('idle', [role('idle', 'SALES', ['orders'], '2025-06-01T00:00:00.000Z')], { lastUse: { orders: '2025-07-01T00:00:00.000Z' } }),
      account('busy', [role('busy', 'SALES', ['orders'], '2025-06-01T00:00:00.000Z')], { lastUse: { orders: '2026-03-30T00:00:00.000Z' } }),
      { meta: { account: 'orphan', known: false }, roles: [], grants: [], lastUse: {} },
    ], defaultPolicy);
    expect(report.items.map((i) => [i.category, i.account])).toEqual([
      ['leaver-not-cleaned', 'leaver'],
      ['no-bound-person', 'orphan'],
      ['unused-permission', 'idle'],
    ]);
    expect(report.accountsReviewed).toBe(5);
    expect(report.counts['leaver-not-cleaned']).toBe(1);
  });

  it('lists a segregation-of-duties pair split over one person\'s accounts once, naming both accounts', () => {
    const holding = (acct: string, name: string, permission: string) => role(acct, name, ['finance'], '2026-03-20T00:00:00.000Z', { permissions: [permission] });
    const samePerson = (name: string, roles: RoleHolding[]) => account(name, roles, { meta: { account: name, known: true, person: 'E-7' }, person: { person: 'E-7', job: 'finance' } });
    const report = buildPermissionReport('2026-03', [
      samePerson('u7', [holding('u7', 'AP', 'vendor.create')]),
      samePerson('u7-admin', [holding('u7-admin', 'PAY', 'payment.approve')]),
      account('u8', [holding('u8', 'AP', 'vendor.create')]),
    ], defaultPolicy);
    const sod = report.items.filter((i) => i.category === 'sod-conflict');
    expect(sod).toMatchObject([{ category: 'sod-conflict', account: 'u7 + u7-admin', person: 'E-7', what: 'vendor.create + payment.approve' }]);
    expect(sod[0]?.detail).toContain('vendor.create via u7 (role AP), payment.approve via u7-admin (role PAY)');
  });

  it('renders CSV safely and Markdown for people', () => {
    const report = buildPermissionReport('2026-03', [{ meta: { account: '=cmd|x', known: false }, roles: [], grants: [], lastUse: {} }], defaultPolicy);
    expect(renderCsv(report).split('\n')[1]).toBe(`2026-03,no-bound-person,"'=cmd|x",,"'=cmd|x",no person is bound to this account`);
    expect(renderMarkdown(report)).toContain('| =cmd\\|x | — | =cmd\\|x | no person is bound to this account |');
  });
});
