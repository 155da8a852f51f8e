/**
 * The consumer's checks behind the door: a finding event only from the function the finding
 * belongs to, and a fact whose own time cannot be believed governed at its arrival, flagged.
 */
import { describe, expect, it } from 'vitest';
import { clockSkewOf, routedFact } from '../../functions/shared/event-handler.ts';
import { checkFindingOrigin, findingIdIsFrom } from '../../functions/shared/findings/origin.ts';
import { stableFindingId } from '../../functions/shared/findings/finding.ts';
import { InvalidEventError } from '../../schemas/errors.ts';
import { detailExamples } from '../../schemas/examples.ts';
import type { EventEnvelope } from '../../schemas/envelope.ts';

const leaverId = stableFindingId('access-governance', '2.3', 'leaver-access', 'u100', '2026-03-02T10:00:00.000Z');
const resolved = { ...detailExamples['Finding Resolved'], findingId: leaverId, resolvedBy: 'access-governance' };
const raised = { ...detailExamples['Finding Raised'], findingId: leaverId, detectedBy: 'access-governance' };

describe('who may speak about a finding', () => {
  it('accepts a finding\'s own function, and only it', () => {
    expect(checkFindingOrigin('Finding Resolved', 'erpgov.access-governance', resolved)).toEqual({ ok: true });
    expect(checkFindingOrigin('Finding Raised', 'erpgov.access-governance', raised)).toEqual({ ok: true });
    expect(checkFindingOrigin('Finding Resolved', 'erpgov.audit-analysis', resolved)).toMatchObject({ ok: false, reason: expect.stringContaining('did not raise it') });
    expect(checkFindingOrigin('Finding Resolved', 'erp.sap', resolved)).toMatchObject({ ok: false, reason: expect.stringContaining('erpgov.<function>') });
    expect(checkFindingOrigin('Finding Raised', 'erpgov.notifier', raised)).toMatchObject({ ok: false, reason: expect.stringContaining('detectedBy') });
    expect(checkFindingOrigin('Login', 'erp.sap', {})).toEqual({ ok: true });
  });

  it('reads the raiser from the id without confusing functions whose names share a prefix', () => {
    expect(findingIdIsFrom('audit-analysis-6.2-unverified-abc', 'audit-analysis')).toBe(true);
    expect(findingIdIsFrom('audit-analysis-6.2-unverified-abc', 'audit')).toBe(false);
    expect(findingIdIsFrom('test-6.2-duplicate-finding', 'test')).toBe(true);
  });
});

const envelope = (over: Partial<EventEnvelope>): EventEnvelope => ({
  version: '0', id: 'e-1', 'detail-type': 'Role Revoked', source: 'erp.sap', account: '000000000000', time: '2026-03-01T10:00:00Z', region: 'us-east-1', resources: [],
  detail: { ...detailExamples['Role Revoked'] }, ...over,
});
const tolerance = { clockSkewToleranceMinutes: 5, lateArrivalWindowDays: 400 };
const arrival = new Date('2026-03-01T10:00:00Z');

describe('clock skew: a fact whose time cannot be believed', () => {
  it('is believed within the tolerance ahead and the late-arrival window behind', () => {
    expect(clockSkewOf('2026-03-01T10:05:00Z', arrival, tolerance)).toBeUndefined();
    expect(clockSkewOf('2025-02-01T10:00:00Z', arrival, tolerance)).toBeUndefined();
  });

  it('is flagged beyond them, saying what the policy allows', () => {
    expect(clockSkewOf('2026-03-01T10:05:01Z', arrival, tolerance)).toMatchObject({ kind: 'future', allowed: expect.stringContaining('ingress.clockSkewToleranceMinutes') });
    expect(clockSkewOf('2031-03-01T10:00:00Z', arrival, tolerance)).toMatchObject({ kind: 'future', claimedTime: '2031-03-01T10:00:00Z', receivedAt: arrival.toISOString() });
    expect(clockSkewOf('2024-01-01T00:00:00Z', arrival, tolerance)).toMatchObject({ kind: 'late', allowed: expect.stringContaining('ingress.lateArrivalWindowDays') });
  });

  it('reaches the flow governed at its arrival time, its claimed time kept beside the flag', () => {
    const fact = routedFact(envelope({ time: '2031-03-01T10:00:00Z' }), 'access-governance', arrival, tolerance);
    expect(fact).toMatchObject({ time: arrival.toISOString(), claimedTime: '2031-03-01T10:00:00Z', clockSkew: { kind: 'future' } });
    const believed = routedFact(envelope({}), 'access-governance', arrival, tolerance);
    expect(believed).toMatchObject({ time: '2026-03-01T10:00:00Z', claimedTime: '2026-03-01T10:00:00Z' });
    expect('clockSkew' in believed).toBe(false);
  });

  it('refuses a forged finding event before any flow sees it (kept as a dead letter)', () => {
    const forged = envelope({ 'detail-type': 'Finding Resolved', source: 'erpgov.audit-analysis', detail: resolved });
    expect(() => routedFact(forged, 'notifier', arrival, tolerance)).toThrow(InvalidEventError);
    expect(() => routedFact(forged, 'notifier', arrival, tolerance)).toThrow(/only the function that raised a finding may resolve it/);
    expect(routedFact({ ...forged, source: 'erpgov.access-governance' }, 'notifier', arrival, tolerance).detailType).toBe('Finding Resolved');
  });
});
