import { describe, expect, it } from 'vitest';
import { validateDetail } from '../../schemas/registry.ts';
import { memoryControlFeed } from '../../functions/shared/evidence/control-feed.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { parseAlarmChange } from '../../functions/threshold-alerts/cloudwatch-alarm.ts';
import { recordAlarmChange, recordSample, sweepSilentHosts, type ThresholdDeps } from '../../functions/threshold-alerts/flows.ts';
import type { memoryThresholdStore } from '../../functions/threshold-alerts/threshold-state.ts';
import { awsSampleEvents, haveAwsSample } from '../support/aws-samples.ts';
import { series } from '../support/series.ts';
import { memoryThresholdDeps } from '../support/threshold-deps.ts';

const START = '2026-03-02T09:00:00.000Z';
const ISSUE_SERIES = '70 80 82 85 79 81 60 55 50 50 50';

function setup() {
  const published: OutgoingEvent[] = [];
  const deps = memoryThresholdDeps({ publisher: { publish: async (events) => void published.push(...events) } });
  return { deps, published, kinds: () => published.map((e) => e.detailType) };
}

let eventCounter = 0;
async function send(deps: ThresholdDeps, host: string, notation: string, metric: 'cpu' | 'memory' | 'disk-free' = 'cpu', start = START) {
  for (const point of series(notation, start)) {
    await recordSample(deps, { schemaVersion: 1, host, metric, value: point.value, unit: 'percent' }, `ev-${++eventCounter}`, point.at);
  }
}

describe('threshold-alerts flows', () => {
  it('the issue\'s CPU series raises exactly one finding and resolves it once; resent with new event ids, nothing changes', async () => {
    const { deps, published, kinds } = setup();
    await send(deps, 'erp-app-01', ISSUE_SERIES);
    expect(kinds()).toEqual(['Finding Raised', 'Finding Resolved']);
    const raised = published[0]?.detail as { title: string; control: string; evidence: { facts: Record<string, unknown> } };
    expect(raised.title).toBe('CPU use above 75 % on erp-app-01');
    expect(raised.control).toBe('3.1');
    expect(raised.evidence.facts).toMatchObject({ firedValue: 85, startedAt: '2026-03-02T09:03:00.000Z', threshold: 75, clearAt: 70 });
    const [finding] = await deps.findings.list();
    expect(finding?.finding).toMatchObject({ state: 'resolved', firstRaisedAt: '2026-03-02T09:03:00.000Z', resolvedAt: '2026-03-02T09:08:00.000Z' });

    await send(deps, 'erp-app-01', ISSUE_SERIES);
    expect(kinds()).toEqual(['Finding Raised', 'Finding Resolved']);
    expect(await deps.findings.list()).toHaveLength(1);
  });

  it('a restart in the middle of an episode neither re-fires nor forgets it', async () => {
    const first = setup();
    await send(first.deps, 'erp-app-01', '70 80 82 85 79');
    expect(first.kinds()).toEqual(['Finding Raised']);
    // A new process: new flows and publisher over the same durable stores.
    const published: OutgoingEvent[] = [];
    const restarted: ThresholdDeps = { ...first.deps, publisher: { publish: async (events) => void published.push(...events) } };
    await send(restarted, 'erp-app-01', '81 90 60 55 50', 'cpu', '2026-03-02T09:05:00.000Z');
    expect(published.map((e) => e.detailType)).toEqual(['Finding Resolved']);
  });

  it('a steady host costs a write per heartbeat, not per sample', async () => {
    const { deps } = setup();
    const store = deps.store as ReturnType<typeof memoryThresholdStore>;
    await send(deps, 'erp-app-02', '40x59');
    // 5 writes while the window fills, then one per 5-minute heartbeat.
    expect(store.writes).toBeLessThanOrEqual(5 + 60 / 5);
  });

  it('a sample marks control 3.1 fed for its own month, breach or not (samples never enter the audit trail)', async () => {
    const feed = memoryControlFeed();
    const deps = memoryThresholdDeps({ feed });
    await send(deps, 'erp-app-04', '40x2', 'cpu', '2026-02-28T23:58:00.000Z');
    expect([...(await feed.fedIn(['2026-02']))]).toEqual(['3.1']);
    expect([...(await feed.fedIn(['2026-03']))]).toEqual(['3.1']);
    expect([...(await feed.fedIn(['2026-01']))]).toEqual([]);
  });

  it('several datapoints in one sample are evaluated in time order', async () => {
    const { deps, kinds } = setup();
    const points = series('90x4', START).map((p) => ({ metric: 'memory' as const, value: p.value, unit: 'percent' as const, at: p.at }));
    await recordSample(deps, { schemaVersion: 1, host: 'erp-db-01', datapoints: points.reverse() }, 'ev-batch', START);
    expect(kinds()).toEqual(['Finding Raised']);
  });

  it('a host that stops reporting is a finding, resolved when it reports again', async () => {
    const { deps, published, kinds } = setup();
    await send(deps, 'erp-app-03', '40x2');
    expect((await sweepSilentHosts(deps, new Date('2026-03-02T09:15:00Z'))).silent).toEqual([]);
    expect((await sweepSilentHosts(deps, new Date('2026-03-02T09:21:00Z'))).silent).toEqual(['erp-app-03']);
    expect((await sweepSilentHosts(deps, new Date('2026-03-02T09:30:00Z'))).silent).toEqual([]);
    expect((published[0]?.detail as { title: string }).title).toBe('erp-app-03 stopped reporting metrics');
    await send(deps, 'erp-app-03', '40', 'cpu', '2026-03-02T10:00:00.000Z');
    expect(kinds()).toEqual(['Finding Raised', 'Finding Resolved']);
  });
});

describe.skipIf(!haveAwsSample('cloudwatch.jsonl'))('CloudWatch alarm events as AWS sends them', () => {
  const events = awsSampleEvents('cloudwatch.jsonl');
  const stateChanges = events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change');

  it('reads every state change, quirks included', () => {
    expect(stateChanges.length).toBeGreaterThan(0);
    for (const event of stateChanges) expect(parseAlarmChange(event).ok).toBe(true);
    expect(parseAlarmChange({ detail: { state: { value: 'ALARM' } } })).toEqual({ ok: false, field: 'detail.alarmName' });
  });

  it('each ALARM yields a finding naming the alarm; replayed, nothing more; OK resolves it', async () => {
    const { deps, published } = setup();
    for (const event of stateChanges) {
      const parsed = parseAlarmChange(event);
      if (parsed.ok) await recordAlarmChange(deps, parsed.alarm, String(event.id));
    }
    const alarming = stateChanges.filter((e) => (e.detail as { state: { value: string } }).state.value === 'ALARM').map((e) => (e.detail as { alarmName: string }).alarmName);
    const titles = published.map((e) => (e.detail as { title: string }).title);
    expect(titles).toEqual(alarming.map((name) => `CloudWatch alarm "${name}" is in ALARM`));
    for (const event of stateChanges) {
      const parsed = parseAlarmChange(event);
      if (parsed.ok) await recordAlarmChange(deps, parsed.alarm, `${String(event.id)}-again`);
    }
    expect(published).toHaveLength(alarming.length);

    const first = parseAlarmChange(stateChanges[0] as Record<string, unknown>);
    if (!first.ok) throw new Error('unreadable');
    expect(await recordAlarmChange(deps, { ...first.alarm, state: 'OK', at: '2019-10-02T18:00:00.000Z' }, 'ok-1')).toBe('resolved');
    // An older ALARM arriving late does not re-open it.
    expect(await recordAlarmChange(deps, first.alarm, 'late')).toBe('ignored');
  });
});

describe('bad samples are refused at the door with the field named', () => {
  const refused = (detail: Record<string, unknown>) => {
    const check = validateDetail('Metric Sample', { schemaVersion: 1, host: 'h', ...detail });
    return check.ok ? [] : check.issues.map((i) => i.path);
  };
  it.each([
    [{ metric: 'gpu', value: 5, unit: 'percent' }, 'detail.metric'],
    [{ metric: 'cpu', value: '82.5', unit: 'percent' }, 'detail.value'],
    [{ datapoints: [{ metric: 'cpu', value: 'high', unit: 'percent' }] }, 'detail.datapoints[0].value'],
    [{ datapoints: [{ metric: 'order-latency', value: 2, unit: 'percent' }] }, 'detail.datapoints[0].unit'],
    [{ metric: 'cpu', unit: 'percent' }, 'detail.value'],
  ])('%j → %s', (detail, path) => {
    expect(refused(detail)).toContain(path);
  });
  it('accepts a sample of several datapoints, and the single form', () => {
    expect(refused({ datapoints: [{ metric: 'cpu', value: 75, unit: 'percent' }, { metric: 'disk-free', value: 20, unit: 'percent', volume: '/data', at: '2026-03-02T09:00:00Z' }] })).toEqual([]);
    expect(refused({ metric: 'cpu', value: 75, unit: 'percent' })).toEqual([]);
  });
});
