import { describe, expect, it } from 'vitest';
import { decodeSummary, encodeSummary } from '../../functions/access-governance/account-summary.ts';
import { SHARDS, shardOf } from '../../functions/shared/shards.ts';
import { STANDING, type AccountSnapshot, type Grant, type RoleHolding } from '../../functions/access-governance/permission-state.ts';

const role = (name: string, state: RoleHolding['state'], grantKey = STANDING): RoleHolding => ({
  account: 'u1', role: name, grantKey, state, eventTime: '2026-03-01T00:00:00.000Z', eventId: `ev-${name}`, person: 'E-1', modules: ['orders'], permissions: ['order.view'],
});
const grant = (grantId: string, state: Grant['state']): Grant => ({
  grantId, account: 'u1', permissions: ['ledger.read'], modules: ['finance'], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00.000Z', grantExpiresAt: '2026-03-05T00:00:00.000Z', requestedExpiresAt: '2026-03-05T00:00:00.000Z', state, eventId: `g-${grantId}`,
});

describe('account summary', () => {
  const snapshot: AccountSnapshot = {
    meta: { account: 'u1', known: true, person: 'E-1' },
    person: { person: 'E-1', job: 'sales' },
    roles: [role('SALES', 'assigned'), role('OLD', 'revoked'), role('AUDIT', 'assigned', 'G-kept')],
    grants: [grant('G-active', 'active'), grant('G-kept', 'ended'), grant('G-done', 'ended')],
    lastUse: { orders: '2026-03-20T08:00:00.000Z' },
  };

  it('keeps what the report reads: held roles, grants still in play, last use; the person comes from the people map', () => {
    const decoded = decodeSummary(encodeSummary(snapshot), new Map([['E-1', { person: 'E-1', job: 'finance', departedAt: '2026-03-10T00:00:00.000Z' }]]));
    expect(decoded.roles.map((r) => r.role).sort()).toEqual(['AUDIT', 'SALES']);
    expect(decoded.grants.map((g) => g.grantId).sort()).toEqual(['G-active', 'G-kept']);
    expect(decoded.lastUse).toEqual(snapshot.lastUse);
    expect(decoded.person).toEqual({ person: 'E-1', job: 'finance', departedAt: '2026-03-10T00:00:00.000Z' });
    expect(decodeSummary(encodeSummary(snapshot), new Map()).person).toEqual({ person: 'E-1' });
  });

  it('spreads names evenly and stably over the shards', () => {
    const counts = new Array<number>(SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`u${i}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
    expect(shardOf('u1001')).toBe(shardOf('u1001'));
  });
});
