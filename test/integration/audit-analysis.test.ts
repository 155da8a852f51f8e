/**
 * audit-analysis end to end through the local runtime, with real AWS SDK clients over
 * loopback: PutEvents → bus → audit-analysis (state in dynalite) → schedules fired with
 * `scheduler.tick` → "Finding Raised" back on the bus → recorded by log-archiving, where the
 * test reads it, as an auditor would.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateTable } from '../../infra/state-table.ts';
import type { ScheduleIdOf } from '../../infra/function-routes.ts';
import { SETTLE_MS } from '../../functions/audit-analysis/flows.ts';
import { dynamoHighRiskStore } from '../../functions/audit-analysis/high-risk-store.ts';
import { HOUR_MS as HOUR, MINUTE_MS as MIN } from '../../functions/shared/time.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { deadLetterStore } from '../../runtime/event-bus.ts';
import { rejectedStore, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';
import { type FindingRaised } from '../../schemas/index.ts';

const HIGH_RISK_SWEEP_SCHEDULE = 'audit-high-risk-sweep' satisfies ScheduleIdOf<'audit-analysis'>;
const BEHAVIOUR_ANALYSIS_SCHEDULE = 'audit-behaviour-hourly' satisfies ScheduleIdOf<'audit-analysis'>;
let h: PipelineHarness;
let runtime: LocalRuntime;
let docs: DynamoDBDocumentClient;
let dataDir: string;

beforeAll(async () => {
  h = await startPipelineHarness('audit-analysis');
  ({ runtime, docs, dataDir } = h);
});
afterAll(() => h.stop());

const entry: PipelineHarness['entry'] = (...args) => h.entry(...args);
const put: PipelineHarness['put'] = (entries) => h.put(entries);
const fireSchedule: PipelineHarness['fireSchedule'] = (id, notBefore) => h.fireSchedule(id, notBefore);
/** The findings log-archiving recorded in the audit trail since the test started. */
const recordedFindings = () => h.published<FindingRaised>('Finding Raised', 'erpgov.audit-analysis');

describe('high-risk operations need a second person (guide 6.2)', () => {
  it('an unverified bulk delete yields a critical finding after its window; a verified one, and one verified before it arrived, do not', async () => {
    const happened = new Date(Date.now() - MIN);
    const bulkDelete = (operationId: string, extra: Record<string, unknown> = {}) =>
      entry('Operation Audited', { actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250, operationId, ...extra }, happened);
    const [unverifiedId] = await put([
      bulkDelete('it-unverified'),
      bulkDelete('it-verified-inline', { verifiedBy: 'sales.head.zhao' }),
      // The verification is put before its operation: reordering is normal on the bus.
      entry('Operation Verified', { operationId: 'it-verified-later', verifier: 'it.lead.sun' }, new Date(happened.getTime() + 2 * MIN)),
      bulkDelete('it-verified-later'),
    ]);

    // Nothing yet: the window has not passed.
    expect((await recordedFindings()).filter((f) => f.detail.control === '6.2')).toEqual([]);

    await fireSchedule(HIGH_RISK_SWEEP_SCHEDULE, new Date(Date.now() + 45 * MIN));
    const findings = (await recordedFindings()).filter((f) => f.detail.control === '6.2');
    expect(findings.map((f) => f.detail.subject.id)).toEqual(['it-unverified']);
    expect(findings[0]?.detail).toMatchObject({
      title: 'High-risk operation not verified by a second person',
      severity: 'critical',
      mode: 'enforce',
      detectedBy: 'audit-analysis',
      evidence: { eventIds: [unverifiedId] },
    });

    const store = dynamoHighRiskStore(docs, stateTable.name);
    expect((await store.read('it-verified-inline')).operation?.status).toBe('verified');
    expect((await store.read('it-verified-later')).operation?.status).toBe('verified');
    expect((await store.read('it-unverified')).operation?.status).toBe('unverified');

    // Another sweep, and a duplicate delivery of the operation, raise nothing more.
    await fireSchedule(HIGH_RISK_SWEEP_SCHEDULE, new Date(Date.now() + 2 * HOUR));
    const original = await dynamoAuditTrailStore(docs, stateTable.name).get(unverifiedId as string);
    runtime.bus.acceptFor(JSON.parse(original?.record.originalEvent as string), 'audit-analysis');
    await runtime.bus.whenIdle();
    expect((await recordedFindings()).filter((f) => f.detail.control === '6.2')).toHaveLength(1);
  });

  it('a self-verified operation is a finding at once, without waiting for the sweep', async () => {
    await put([entry('Operation Audited', { actor: 'u3003', action: 'export', target: 'payroll-2026-02', module: 'hr', recordCount: 900, dataCategory: 'payroll', operationId: 'it-self', verifiedBy: 'u3003' }, new Date())]);
    const [finding] = (await recordedFindings()).filter((f) => f.detail.subject.id === 'it-self');
    expect(finding?.detail).toMatchObject({ control: '6.2', title: 'High-risk operation verified by its own actor', evidence: { facts: { kind: 'sensitive-export', verifier: 'u3003' } } });
  });
});

describe('behaviour analysis (guide 6.4), hourly', () => {
  it('finds a burst of deletes in the last closed hour', async () => {
    const fireAt = new Date(runtime.scheduler.upcoming().find((s) => s.id === BEHAVIOUR_ANALYSIS_SCHEDULE)?.next as string);
    // The hour the first hourly fire analyses: the last one closed (and settled) before it.
    const hourEnd = Math.floor((fireAt.getTime() - SETTLE_MS) / HOUR) * HOUR;
    const hourStart = new Date(hourEnd - HOUR);
    const deletes = Array.from({ length: 25 }, (_, i) =>
      entry('Operation Audited', { actor: 'u4004', action: 'delete', target: 'purchase-order', module: 'procurement', recordCount: 1 }, new Date(hourStart.getTime() + i * 1000)),
    );
    const ids = await put(deletes);
    await fireSchedule(BEHAVIOUR_ANALYSIS_SCHEDULE, fireAt);
    const bursts = (await recordedFindings()).filter((f) => f.detail.control === '6.4' && f.detail.subject.id === 'u4004');
    expect(bursts).toHaveLength(1);
    expect(bursts[0]?.detail).toMatchObject({ title: 'Burst of delete operations', evidence: { facts: { operations: 25, threshold: 20 } } });
    expect([...(bursts[0]?.detail.evidence.eventIds ?? [])].sort()).toEqual([...ids].sort());
  });
});

describe('delivery health', () => {
  it('dead-lettered nothing for audit-analysis, and the bus refused none of its findings', () => {
    expect(deadLetterStore(dataDir).readAll().filter((letter) => letter.target === 'audit-analysis')).toEqual([]);
    expect(rejectedStore(dataDir).readAll()).toEqual([]);
  });
});
