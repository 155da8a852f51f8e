/**
 * ERP resends count once (issue 15, class 2): an ERP that resends an operation with a new
 * event id but the same `operationId` (or, without an id of its own, the same fact about the
 * same moment) is one operation in every count, review and report; the audit trail keeps both
 * deliveries and marks the later one as a resend.
 */
import { describe, expect, it } from 'vitest';
import { analyseBehaviour, type AnalysisWindow } from '../../functions/audit-analysis/behaviour.ts';
import { toFacts } from '../../functions/audit-analysis/trail-facts.ts';
import { recordFact, sweep, type AccessFact } from '../../functions/access-governance/flows.ts';
import { memoryAccessStores } from '../../functions/access-governance/stores.ts';
import { toAuditRecord, type AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { markResends } from '../../functions/shared/audit-trail/resends.ts';
import { erpOperationKey } from '../../schemas/erp-identity.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

const HOUR = 3_600_000;
const MIN = 60_000;

function record(id: string, detailType: string, detail: Record<string, unknown>, time: string, recordedAt = time): AuditRecord {
  const event = { version: '0', id, 'detail-type': detailType, source: 'erp.sap', account: '000000000000', time, region: 'us-east-1', resources: [], detail: { schemaVersion: 1, ...detail } };
  return toAuditRecord(event, new Date(recordedAt));
}

describe('the ERP operation a fact reports', () => {
  it('is its operationId (or sessionId) when it has one, else the same fact at the same time', () => {
    expect(erpOperationKey('erp.sap', 'Operation Audited', 't1', { operationId: 'OP-1', actor: 'a' })).toBe(erpOperationKey('erp.sap', 'Operation Audited', 't2', { operationId: 'OP-1', actor: 'a' }));
    expect(erpOperationKey('erp.sap', 'Operation Audited', 't1', { operationId: 'OP-1' })).not.toBe(erpOperationKey('erp.sap', 'Operation Audited', 't1', { operationId: 'OP-2' }));
    expect(erpOperationKey('erp.sap', 'Operation Audited', 't1', { operationId: 'OP-1' })).not.toBe(erpOperationKey('erp.oracle', 'Operation Audited', 't1', { operationId: 'OP-1' }));
    expect(erpOperationKey('erp.sap', 'Login', 't1', { account: 'u', outcome: 'failure' })).toBe(erpOperationKey('erp.sap', 'Login', 't1', { outcome: 'failure', account: 'u' }));
    expect(erpOperationKey('erp.sap', 'Login', 't1', { account: 'u', outcome: 'failure' })).not.toBe(erpOperationKey('erp.sap', 'Login', 't2', { account: 'u', outcome: 'failure' }));
  });
});

describe('audit analysis', () => {
  it('reads a resent operation once: the earliest event id stands for it, whatever the order', () => {
    const a = record('ev-b', 'Operation Audited', { actor: 'u1', action: 'delete', target: 'x', module: 'm', operationId: 'OP-9' }, '2026-03-10T03:10:00Z');
    const b = record('ev-a', 'Operation Audited', { actor: 'u1', action: 'delete', target: 'x', module: 'm', operationId: 'OP-9' }, '2026-03-10T03:10:00Z');
    expect(toFacts([a, b]).map((f) => f.eventId)).toEqual(['ev-a']);
    expect(toFacts([b, a]).map((f) => f.eventId)).toEqual(['ev-a']);
  });

  it('failed logins resent are counted once (4 failures sent twice are not 8, and not a finding at 5)', () => {
    const window: AnalysisWindow = { from: new Date('2026-03-10T03:00:00Z'), to: new Date('2026-03-10T04:00:00Z') };
    const failures = [0, 1, 2, 3].map((i) => new Date(Date.parse('2026-03-10T03:10:00Z') + i * MIN).toISOString().replace('.000', ''));
    const sent = failures.map((t, i) => record(`first-${i}`, 'Login', { account: 'u1001', deviceId: 'd1', outcome: 'failure', failureReason: 'bad-password' }, t));
    const resent = failures.map((t, i) => record(`again-${i}`, 'Login', { failureReason: 'bad-password', outcome: 'failure', deviceId: 'd1', account: 'u1001' }, t, new Date(Date.parse(t) + HOUR).toISOString()));
    const findings = analyseBehaviour([...sent, ...resent], [], defaultPolicy, window).filter((f) => f.rule === 'failed-logins');
    expect(findings).toEqual([]);
    const five = [...sent, record('first-4', 'Login', { account: 'u1001', deviceId: 'd1', outcome: 'failure', failureReason: 'bad-password' }, '2026-03-10T03:14:00Z')];
    const [finding] = analyseBehaviour([...five, ...resent], [], defaultPolicy, window).filter((f) => f.rule === 'failed-logins');
    expect(finding?.facts).toMatchObject({ failures: 5, failureReasons: { 'bad-password': 5 } });
  });
});

describe('access governance: a grant review', () => {
  it('lists an operation the ERP resent once (12 operations sent twice are 12)', async () => {
    const published: OutgoingEvent[] = [];
    const deps = { stores: memoryAccessStores(), publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy: defaultPolicy };
    let n = 0;
    const fact = (detailType: AccessFact['detailType'], detail: Record<string, unknown>, time: string) => ({ eventId: `ev-${String(++n).padStart(3, '0')}`, source: 'erp.sap', detailType, time, claimedTime: time, detail: { schemaVersion: 1, ...detail } }) as unknown as AccessFact;
    await recordFact(deps, fact('Temporary Grant Issued', { grantId: 'G1', grantee: 'ext1', permissions: ['ledger.read'], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', expiresAt: '2026-03-03T00:00:00Z' }, '2026-03-01T00:00:00Z'));
    const ops = Array.from({ length: 12 }, (_, i) => ({ actor: 'ext1', action: 'read', target: `doc-${i}`, module: 'finance', operationId: `OP-${i}` }));
    for (const op of ops) await recordFact(deps, fact('Operation Audited', op, '2026-03-02T10:00:00Z'));
    for (const op of ops) await recordFact(deps, fact('Operation Audited', op, '2026-03-02T10:00:00Z'));
    await sweep(deps, new Date('2026-03-03T00:00:00Z'));
    const review = published.filter((e) => e.detailType === 'Finding Raised').map((e) => e.detail as { subject: { id: string }; evidence: { facts: { operationCount: number }; eventIds: string[] } }).find((f) => f.subject.id === 'G1');
    expect(review?.evidence.facts.operationCount).toBe(12);
    expect(review?.evidence.eventIds).toHaveLength(12);
  });
});

describe('the audit trail', () => {
  it('keeps both deliveries and marks the later one as a resend of the first', () => {
    const first = record('ev-1', 'Operation Audited', { actor: 'u1', action: 'post', target: 'x', module: 'm', operationId: 'OP-1' }, '2026-03-10T03:10:00Z', '2026-03-10T03:10:01Z');
    const again = record('ev-0', 'Operation Audited', { actor: 'u1', action: 'post', target: 'x', module: 'm', operationId: 'OP-1' }, '2026-03-10T03:10:00Z', '2026-03-10T03:20:00Z');
    const other = record('ev-2', 'Operation Audited', { actor: 'u1', action: 'post', target: 'x', module: 'm', operationId: 'OP-2' }, '2026-03-10T03:10:00Z');
    const marked = markResends([again, first, other]);
    expect(marked).toHaveLength(3);
    expect(marked.map((r) => [r.eventId, r.resendOf])).toEqual([['ev-0', 'ev-1'], ['ev-1', undefined], ['ev-2', undefined]]);
  });
});
