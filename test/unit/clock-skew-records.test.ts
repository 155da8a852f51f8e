/**
 * Item 7's leftovers: the audit record of an event whose time cannot be believed is flagged
 * (claimed time kept as occurredAt), and a future-dated Operation Verified never counts as the
 * second person's verification (guide 6.2): it is governed at its arrival, but its own time,
 * which is what a verification is worth, is unknown.
 */
import { expect, it } from 'vitest';
import { toAuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { routedFact } from '../../functions/shared/event-handler.ts';
import { evaluateOperation, planOperation, toVerification, type OperationFact, type VerificationFact } from '../../functions/audit-analysis/high-risk.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { MINUTE_MS } from '../../functions/shared/time.ts';

const tolerance = defaultPolicy.ingress;
const ARRIVAL = new Date('2026-03-02T02:00:00.000Z');
const envelope = (detailType: string, time: string, detail: Record<string, unknown>, id = `evt-${detailType}-${time}`) => ({
  version: '0' as const, id, 'detail-type': detailType, source: 'erp.sap', account: '123456789012', time, region: 'us-east-1', resources: [] as string[], detail: { schemaVersion: 1, ...detail } as Record<string, unknown>,
});

it('a future-dated event is recorded with its claimed time and flagged; a late one too; a believable one is not', () => {
  const future = toAuditRecord(envelope('Operation Audited', '2031-03-02T02:00:00Z', { actor: 'u1', action: 'delete', target: 't', module: 'orders' }), ARRIVAL, tolerance);
  expect(future.occurredAt).toBe('2031-03-02T02:00:00Z');
  expect(future.clockSkew).toMatchObject({ kind: 'future', claimedTime: '2031-03-02T02:00:00Z', receivedAt: ARRIVAL.toISOString() });
  const late = toAuditRecord(envelope('Operation Audited', '2024-01-01T00:00:00Z', { actor: 'u1', action: 'read', target: 't', module: 'orders' }), ARRIVAL, tolerance);
  expect(late.clockSkew?.kind).toBe('late');
  const fine = toAuditRecord(envelope('Operation Audited', '2026-03-02T02:03:00Z', { actor: 'u1', action: 'read', target: 't', module: 'orders' }), ARRIVAL, tolerance);
  // Absent, not null: an ordinary record (and its hash) is exactly what it was.
  expect('clockSkew' in fine).toBe(false);
});

it('a future-dated Operation Verified arriving in the window does not verify the operation; the unverified finding names it', () => {
  const operationFact = routedFact(envelope('Operation Audited', ARRIVAL.toISOString(), { actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250, operationId: 'log-1' }), 'audit-analysis', ARRIVAL, tolerance) as OperationFact;
  const plan = planOperation(operationFact, defaultPolicy, ARRIVAL);
  if (plan === null) throw new Error('expected a high-risk operation');
  const arrival = new Date(ARRIVAL.getTime() + 10 * MINUTE_MS);
  const skewed = routedFact(envelope('Operation Verified', '2031-03-02T02:10:00Z', { operationId: 'log-1', verifier: 'sales.head.zhao' }), 'audit-analysis', arrival, tolerance) as VerificationFact;
  const verification = toVerification(skewed);
  // Governed at arrival (10 minutes after the operation: inside the window), but flagged.
  expect(verification.occurredAt).toBe(arrival.toISOString());
  expect(verification.clockSkew).toEqual({ kind: 'future', claimedTime: '2031-03-02T02:10:00Z' });
  expect(evaluateOperation(plan.operation, [verification], defaultPolicy, arrival).status).toBe('pending');

  const later = new Date(Date.parse(plan.operation.decideAfter) + MINUTE_MS);
  const decision = evaluateOperation(plan.operation, [verification], defaultPolicy, later);
  expect(decision.status).toBe('unverified');
  expect(decision.findings[0]?.facts).toMatchObject({ rejectedVerifications: [{ verifier: 'sales.head.zhao', reason: 'time-not-believable', claimedTime: '2031-03-02T02:10:00Z' }] });

  // The same verification with a believable time counts.
  const honest = routedFact(envelope('Operation Verified', arrival.toISOString(), { operationId: 'log-1', verifier: 'sales.head.zhao' }), 'audit-analysis', arrival, tolerance) as VerificationFact;
  expect(evaluateOperation(plan.operation, [toVerification(honest)], defaultPolicy, arrival).status).toBe('verified');
});
