/**
 * Threshold alerts and incident response end to end through the local runtime: metric samples
 * and incident facts put on the bus, CloudWatch alarm events injected as AWS emits them, the
 * SLA sweep fired on the scheduler, findings read back from the audit trail and the findings
 * store; (the restart is in threshold-restart.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateTable } from '../../infra/state-table.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { FindingRaised, FindingResolved } from '../../schemas/index.ts';
import { series } from '../support/series.ts';
import { awsSampleEvents, haveAwsSample } from '../support/aws-samples.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const MIN = 60_000;
const ISSUE_SERIES = '70 80 82 85 79 81 60 55 50 50 50';
const SOURCE = 'erpgov.threshold-alerts';
let h: PipelineHarness;
let t0: number;

beforeAll(async () => {
  h = await startPipelineHarness('thresholds');
  t0 = Math.ceil(h.startedAt.getTime() / MIN) * MIN + 10 * MIN;
});
afterAll(async () => h?.stop());

/** One sample a minute, each handled before the next is sent (EventBridge does not order deliveries; a datapoint older than the newest one of its series is late data and skipped). */
async function putInOrder(entries: ReturnType<PipelineHarness['entry']>[]) {
  for (const entry of entries) await h.put([entry]);
}

const sampleEntries = (host: string, notation: string, start: number) =>
  series(notation, new Date(start).toISOString()).map((p) => h.entry('Metric Sample', { host, metric: 'cpu', value: p.value, unit: 'percent' }, new Date(p.at)));

describe('threshold-alerts through the local runtime', () => {
  it('the issue\'s CPU series: one finding raised, resolved once; the same series again changes nothing; samples stay out of the trail', async () => {
    await putInOrder(sampleEntries('erp-app-01', ISSUE_SERIES, t0));
    const raised = await h.published<FindingRaised>('Finding Raised', SOURCE);
    const resolved = await h.published<FindingResolved>('Finding Resolved', SOURCE);
    expect(raised.map((r) => r.detail.title)).toEqual(['CPU use above 75 % on erp-app-01']);
    expect(resolved.map((r) => r.detail.findingId)).toEqual([raised[0]?.detail.findingId]);

    await putInOrder(sampleEntries('erp-app-01', ISSUE_SERIES, t0));
    expect(await h.published('Finding Raised', SOURCE)).toHaveLength(1);
    expect(await h.published('Finding Resolved', SOURCE)).toHaveLength(1);
    expect(await h.published('Metric Sample', 'erp.sap')).toEqual([]);
    const stored = await dynamoFindingsStore(h.docs, stateTable.name).get(raised[0]?.detail.findingId ?? '');
    expect(stored?.finding.state).toBe('resolved');
  });

  it.skipIf(!haveAwsSample('cloudwatch.jsonl'))('CloudWatch ALARM events, injected as AWS sends them, each yield a finding naming the alarm', async () => {
    const events = awsSampleEvents('cloudwatch.jsonl');
    await h.inject(events.map((e) => ({ ...e, id: randomUUID() })));
    const titles = (await h.published<FindingRaised>('Finding Raised', SOURCE)).map((r) => r.detail.title).filter((t) => t.startsWith('CloudWatch'));
    const alarming = events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && (e.detail as { state: { value: string } }).state.value === 'ALARM');
    expect(titles.sort()).toEqual(alarming.map((e) => `CloudWatch alarm "${(e.detail as { alarmName: string }).alarmName}" is in ALARM`).sort());
  });

  it('a P1 incident not acknowledged within its target yields a breach finding when the SLA sweep fires', async () => {
    await h.put([h.entry('Incident Opened', { incidentId: 'INC-42', severity: 'P1', title: 'ERP down', reportedBy: 'monitoring' }, new Date(t0))]);
    // Only this incident's findings: run near 03:00 UTC, the driven clock also passes the daily
    // continuity check (drills, standby), whose findings come from the same function.
    const incidentFindings = async () => (await h.published<FindingRaised>('Finding Raised', 'erpgov.incident-response')).filter((f) => f.detail.subject.id === 'INC-42');
    await h.fireSchedule('incident-sla-sweep', new Date(t0 + 14 * MIN));
    expect(await incidentFindings()).toEqual([]);
    await h.fireSchedule('incident-sla-sweep', new Date(t0 + 16 * MIN));
    const breaches = await incidentFindings();
    expect(breaches.map((b) => b.detail.title)).toEqual(['P1 incident INC-42 not acknowledged within 15 min']);
    expect(breaches[0]?.detail.evidence.facts).toMatchObject({ incidentId: 'INC-42', targetMinutes: 15, escalateTo: 'it-lead' });
  });
});
