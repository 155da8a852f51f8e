/**
 * Reports true for the month asked (issue 15, class 4): the permission audit of a past month is
 * the state as of that month's end, from the holdings' event times (a role assigned later is
 * not listed, a role revoked later is, an account created later is not reviewed); an expired
 * grant stays listed until the ERP confirms its revocation; the "permissions outside the job"
 * section (2.1) is in the report; a month that has not begun is refused.
 */
import { describe, expect, it } from 'vitest';
import { runReportCommand } from '../../cli/report.ts';
import { buildPermissionReport, renderMarkdown } from '../../functions/access-governance/permission-report.ts';
import { STANDING, type AccountSnapshot, type Grant, type RoleHolding } from '../../functions/access-governance/permission-state.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';

const role = (account: string, name: string, modules: string[], eventTime: string, extra: Partial<RoleHolding> = {}): RoleHolding => ({
  account, role: name, grantKey: STANDING, state: 'assigned', eventTime, eventId: `ev-${account}-${name}`, modules, permissions: [], ...extra,
});
const account = (name: string, roles: RoleHolding[], extra: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  meta: { account: name, known: true, person: `E-${name}` }, person: { person: `E-${name}`, job: 'sales' }, roles, grants: [], lastUse: {}, ...extra,
});
const policy = parsePolicy({ access: { leastPrivilege: { jobModules: { sales: ['orders'] } } } });

describe('the permission audit of a past month', () => {
  it('is the state as of the end of that month, not today\'s', () => {
    const report = buildPermissionReport('2026-03', [
      // Assigned in April: not held at the end of March.
      account('later-role', [role('later-role', 'SALES', ['orders'], '2026-02-01T00:00:00.000Z'), role('later-role', 'FI_ALL', ['finance'], '2026-04-05T00:00:00.000Z')]),
      // Revoked in April: still held at the end of March (outside the sales job).
      account('revoked-later', [role('revoked-later', 'FI_ALL', ['finance'], '2026-04-02T00:00:00.000Z', { state: 'revoked' })]),
      // Created in May: not reviewed for March.
      account('created-later', [role('created-later', 'SALES', ['orders'], '2026-05-01T00:00:00.000Z')], { meta: { account: 'created-later', known: true } }),
    ], policy);
    expect(report.asOf).toBe('2026-04-01T00:00:00.000Z');
    expect(report.accountsReviewed).toBe(2);
    expect(report.items.map((i) => [i.category, i.account, i.what])).toEqual([['outside-job', 'revoked-later', 'FI_ALL']]);
  });

  it('keeps an expired grant listed after the pipeline\'s revoke command until the ERP confirms the revocation', () => {
    const grant: Grant = { grantId: 'G1', account: 'ext1', permissions: ['ledger.read'], modules: [], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00.000Z', grantExpiresAt: '2026-03-10T00:00:00.000Z', requestedExpiresAt: '2026-03-10T00:00:00.000Z', state: 'ended', eventId: 'g1' };
    const commanded = account('ext1', [], { grants: [grant] });
    expect(buildPermissionReport('2026-03', [commanded], defaultPolicy).items.filter((i) => i.category === 'expired-grant-present')).toMatchObject([{ what: 'G1', detail: expect.stringContaining('not yet confirmed by the ERP') }]);
    const confirmed = account('ext1', [role('ext1', 'LEDGER', [], '2026-03-10T01:00:00.000Z', { grantKey: 'G1', state: 'revoked' })], { grants: [grant] });
    expect(buildPermissionReport('2026-03', [confirmed], defaultPolicy).items.filter((i) => i.category === 'expired-grant-present')).toEqual([]);
  });

  it('has the "permissions outside the job" section (2.1)', () => {
    const report = buildPermissionReport('2026-03', [account('u1', [role('u1', 'SALES', ['orders'], '2026-02-01T00:00:00.000Z'), role('u1', 'FI_AP', ['finance'], '2026-02-01T00:00:00.000Z')])], policy);
    expect(report.items).toMatchObject([{ category: 'outside-job', account: 'u1', what: 'FI_AP', detail: expect.stringContaining('finance') }]);
    expect(renderMarkdown(report)).toContain('Permissions outside the job (2.1)');
  });
});

describe('report permissions --month', () => {
  it('refuses a month that has not begun', async () => {
    const next = new Date();
    next.setUTCMonth(next.getUTCMonth() + 1, 1);
    await expect(runReportCommand(['permissions', '--month', next.toISOString().slice(0, 7)])).rejects.toThrow(/has not begun/);
  });
});
