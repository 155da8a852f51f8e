import { describe, expect, it } from 'vitest';
import {
  cappedExpiry,
  foldHoldings,
  heldPermissions,
  permissionsToRevokeAtExpiry,
  STANDING,
  supersedes,
  type Grant,
  type RoleHolding,
} from '../../functions/access-governance/permission-state.ts';

const holding = (state: RoleHolding['state'], eventTime: string, extra: Partial<RoleHolding> = {}): RoleHolding => ({
  account: 'u1', role: 'R', grantKey: STANDING, state, eventTime, eventId: `${state}-${eventTime}`, modules: ['orders'], permissions: ['order.create'], ...extra,
});
const grant = (grantId: string, permissions: string[], grantExpiresAt: string, extra: Partial<Grant> = {}): Grant => ({
  grantId, account: 'u1', permissions, modules: [], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00.000Z', grantExpiresAt, requestedExpiresAt: grantExpiresAt, state: 'active', eventId: grantId, ...extra,
});

describe('holdings fold by event time (latest wins, a tombstone wins a tie)', () => {
  const assign = holding('assigned', '2026-03-01T10:00:00.000Z');
  const revoke = holding('revoked', '2026-03-01T11:00:00.000Z');

  it('gives the same result in any order, with duplicates', () => {
    for (const order of [[assign, revoke], [revoke, assign], [revoke, assign, revoke, assign]]) {
      expect([...foldHoldings(order).values()].map((h) => h.state)).toEqual(['revoked']);
    }
  });

  it('lets a re-assignment after the revoke win', () => {
    const again = holding('assigned', '2026-03-02T09:00:00.000Z');
    expect([...foldHoldings([again, assign, revoke]).values()].map((h) => h.eventTime)).toEqual(['2026-03-02T09:00:00.000Z']);
  });

  it('lets a revoke beat an assignment at the same time, never the reverse', () => {
    const t = '2026-03-01T10:00:00.000Z';
    expect(supersedes(holding('assigned', t), holding('revoked', t))).toBe(true);
    expect(supersedes(holding('revoked', t), holding('assigned', t))).toBe(false);
    expect(supersedes(holding('assigned', t), holding('assigned', t))).toBe(false);
  });

  it('keeps holdings of different grants apart', () => {
    const viaGrant = holding('assigned', '2026-03-01T09:00:00.000Z', { grantKey: 'G1' });
    expect(foldHoldings([assign, revoke, viaGrant]).size).toBe(2);
  });
});

describe('temporary grants', () => {
  it('caps the expiry at the policy maximum', () => {
    expect(cappedExpiry('2026-03-01T00:00:00Z', '2026-06-01T00:00:00Z', 30)).toBe('2026-03-31T00:00:00.000Z');
    expect(cappedExpiry('2026-03-01T00:00:00Z', '2026-03-05T08:00:00+08:00', 30)).toBe('2026-03-05T00:00:00.000Z');
  });

  it('revokes at expiry only what no other active grant or standing role gives', () => {
    const now = new Date('2026-03-10T00:00:00Z');
    const ending = grant('G1', ['ledger.read', 'ledger.export', 'order.create'], '2026-03-10T00:00:00.000Z');
    const other = grant('G2', ['ledger.read'], '2026-03-20T00:00:00.000Z');
    const snapshot = { roles: [holding('assigned', '2026-02-01T00:00:00.000Z'), holding('assigned', '2026-03-01T00:00:00.000Z', { role: 'AUD', grantKey: 'G1', permissions: ['audit.trail'] })], grants: [ending, other] };
    expect(permissionsToRevokeAtExpiry(snapshot, ending, now)).toEqual(['audit.trail', 'ledger.export']);
    expect([...heldPermissions(snapshot, now).keys()].sort()).toEqual(['audit.trail', 'ledger.read', 'order.create']);
  });
});
