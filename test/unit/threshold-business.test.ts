/**
 * Business thresholds and bottlenecks (guide 3.2–3.3): order latency and report duration per
 * ERP module as a percentile over windows; slow SQL per module and statement fingerprint;
 * P1/P2 episodes opening incidents when the policy says so.
 */
import { describe, expect, it } from 'vitest';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { recordSample, recordSlowQuery, sweepSilentHosts, sweepSlowSql, type ThresholdDeps } from '../../functions/threshold-alerts/flows.ts';
import { bucketBounds, percentileValue, tallyDatapoint, type WindowTally } from '../../functions/threshold-alerts/percentile-window.ts';
import { normaliseStatement, statementKey } from '../../functions/threshold-alerts/slow-sql.ts';
import { memorySlowSqlStore } from '../../functions/threshold-alerts/slow-sql-store.ts';
import { memoryThresholdStore } from '../../functions/threshold-alerts/threshold-state.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { validateDetail } from '../../schemas/registry.ts';
import { memoryThresholdDeps } from '../support/threshold-deps.ts';

const order = { clearAt: 1.5, fireAt: 2 };
const windows = { percentile: 95, windowMinutes: 5, minSamples: 5 };

function setup(policy = defaultPolicy) {
  const published: OutgoingEvent[] = [];
  const store = memoryThresholdStore();
  const slowSql = memorySlowSqlStore();
  const deps = memoryThresholdDeps({ store, slowSql, publisher: { publish: async (events) => void published.push(...events) }, policy });
  return { deps, store, slowSql, published, kinds: () => published.map((e) => e.detailType) };
}

/** One event per minute carrying `latencies` as single readings of module `module`'s order latency. */
async function minuteOfOrders(deps: ThresholdDeps, minute: string, latencies: number[], id: string, module = 'orders') {
  return recordSample(deps, { schemaVersion: 1, host: 'erp-prd', datapoints: latencies.map((value, i) => ({ metric: 'order-latency', value, unit: 'seconds', module, at: new Date(Date.parse(minute) + i * 100).toISOString() })) }, id, minute);
}

describe('percentile windows', () => {
  const fill = (values: number[]) => values.reduce<WindowTally | undefined>((t, v, i) => tallyDatapoint(t, order, windows, v, `2026-03-02T09:00:${String(i).padStart(2, '0')}.000Z`, `e${i}`).tally, undefined) as WindowTally;

  it('p95 is exact at the thresholds (nearest rank): 19 fast orders and 1 slow one is fine, 2 slow ones of 20 breach', () => {
    expect(bucketBounds(order)).toEqual([1.5, 2, 3, 4, 6, 10, 20]);
    expect(percentileValue(fill([...Array(19).fill(0.5), 9]), order, windows)).toBe(0.5);
    expect(percentileValue(fill([...Array(18).fill(0.5), 2.5, 9]), order, windows)).toBe(2.5);
    expect(percentileValue(fill([...Array(18).fill(0.5), 2, 2]), order, windows)).toBe(2); // equal to the guide's 2 s: not a breach
    expect(percentileValue(fill([0.5, 0.5, 9]), order, windows)).toBeUndefined(); // under minSamples
  });

  it('a datapoint of a later window closes the window tallied so far', () => {
    const t = fill(Array(6).fill(2.4));
    const next = tallyDatapoint(t, order, windows, 0.3, '2026-03-02T09:05:00.000Z', 'later');
    expect(next.closed).toEqual({ start: '2026-03-02T09:00:00.000Z', end: '2026-03-02T09:05:00.000Z', samples: 6, max: 2.4, value: 2.4 });
    expect(next.tally).toMatchObject({ start: '2026-03-02T09:05:00.000Z', n: 1 });
  });
});

describe('order latency per module as p95 over 5-minute windows', () => {
  it('one slow order is no finding; a slow window is one, naming the module; two good windows clear it', async () => {
    const { deps, published } = setup();
    // 09:00 window: 24 fast orders and one of 9 s (p95 fine).
    for (let m = 0; m < 5; m++) await minuteOfOrders(deps, `2026-03-02T09:0${m}:00.000Z`, m === 2 ? [0.4, 0.5, 0.6, 0.5, 9] : [0.4, 0.5, 0.6, 0.5, 0.7], `a${m}`);
    // 09:05 window: a third of the orders over 2 s.
    for (let m = 5; m < 10; m++) await minuteOfOrders(deps, `2026-03-02T09:0${m}:00.000Z`, [0.5, 2.6, 0.7, 3.1, 0.4], `b${m}`);
    expect(published).toEqual([]);
    // 09:10 closes the 09:05 window.
    await minuteOfOrders(deps, '2026-03-02T09:10:00.000Z', [0.5, 0.5, 0.5, 0.5, 0.5], 'c10');
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised']);
    const raised = published[0]?.detail as { title: string; control: string; subject: { name: string }; evidence: { facts: Record<string, unknown> } };
    expect(raised.control).toBe('3.2');
    expect(raised.title).toBe('p95 Order processing latency above 2 s on erp-prd (module orders)');
    expect(raised.evidence.facts).toMatchObject({ module: 'orders', percentile: 95, windowMinutes: 5, firedValue: 3.1, window: { start: '2026-03-02T09:05:00.000Z', samples: 25, max: 3.1 } });
    // Redelivery of the event that closed it: nothing new.
    await minuteOfOrders(deps, '2026-03-02T09:10:00.000Z', [0.5, 0.5, 0.5, 0.5, 0.5], 'c10');
    expect(published).toHaveLength(1);
    for (let m = 11; m < 21; m++) await minuteOfOrders(deps, `2026-03-02T09:${m}:00.000Z`, [0.5, 0.5, 0.5, 0.5, 0.5], `d${m}`);
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised', 'Finding Resolved']);
    expect((published[1]?.detail as { evidence: { summary: string } }).evidence.summary).toMatch(/^p95 order processing latency on erp-prd \(module orders\) cleared at 2026-03-02T09:20:00.000Z: 2 of the last 2 5-minute windows/);
  });

  it('a module is judged on its own windows; the state is written once per event, never per datapoint', async () => {
    const { deps, store } = setup();
    const before = store.writes;
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', datapoints: Array.from({ length: 200 }, (_, i) => ({ metric: 'report-duration' as const, value: 12, unit: 'seconds' as const, module: i % 2 ? 'finance' : 'sales', at: `2026-03-02T09:00:${String(i % 60).padStart(2, '0')}.000Z` })) }, 'r1', '2026-03-02T09:00:00.000Z');
    expect(store.writes - before).toBe(1);
    expect(Object.keys(store.items.get('erp-prd')?.state.windows ?? {}).sort()).toEqual(['report-duration@finance', 'report-duration@sales']);
  });

  it('a value the APM already aggregated (statistic p95) is one window, judged at once', async () => {
    const { deps, kinds } = setup();
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', metric: 'report-duration', value: 41, unit: 'seconds', statistic: 'p95', windowSeconds: 300, module: 'finance' }, 'p1', '2026-03-02T09:00:00.000Z');
    expect(kinds()).toEqual(['Finding Raised']);
  });
});

describe('slow SQL per module and statement fingerprint', () => {
  it('literals are normalised away: one statement whatever the ids and lists', () => {
    const a = "SELECT * FROM vbak WHERE vbeln = '0000123' AND posnr IN (10, 20, 30) AND netwr > 1.5e3 -- hint";
    const b = "select *  from vbak where vbeln = '99' and posnr in (7) and netwr > 42";
    expect(normaliseStatement(a)).toBe('SELECT * FROM vbak WHERE vbeln = ? AND posnr IN (?) AND netwr > ?');
    expect(statementKey(a, 'fp-a')).toBe(statementKey(b, 'fp-b'));
    expect(normaliseStatement('INSERT INTO t (a, b) VALUES (1, \'x\'), (2, \'y\')')).toBe('INSERT INTO t (a, b) VALUES (?)');
    expect(statementKey(undefined, 'fp-a')).toBe('fp:fp-a');
  });

  const slow = (deps: ThresholdDeps, id: string, at: string, statement: string, durationSeconds: number, module = 'inventory') =>
    recordSlowQuery(deps, { schemaVersion: 1, system: 'sap-prd-hana', queryFingerprint: `apm-${id}`, statement, durationSeconds, module, tables: ['MARD'] }, id, at);

  it('a module with 10 slow executions in the hour is one finding naming its worst statements; it cools after a quiet window', async () => {
    const { deps, slowSql, published } = setup();
    for (let i = 0; i < 9; i++) await slow(deps, `q${i}`, `2026-03-02T10:0${i}:00.000Z`, `SELECT * FROM mard WHERE matnr = '${i}'`, 6 + i);
    await slow(deps, 'fast', '2026-03-02T10:09:30.000Z', 'SELECT 1', 5); // not slower than 5 s: not counted
    expect(published).toEqual([]);
    await slow(deps, 'q9', '2026-03-02T10:10:00.000Z', 'UPDATE mard SET labst = 3 WHERE matnr = 77', 7);
    await slow(deps, 'q9', '2026-03-02T10:10:00.000Z', 'UPDATE mard SET labst = 3 WHERE matnr = 77', 7); // redelivered
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised']);
    const finding = published[0]?.detail as { title: string; control: string; summary: string; evidence: { facts: { executions: number; worstStatements: { statement: string; executions: number }[] } } };
    expect(finding.control).toBe('3.3');
    expect(finding.title).toBe('Slow SQL hot spot in module inventory');
    expect(finding.evidence.facts.executions).toBe(10);
    expect(finding.evidence.facts.worstStatements.map((w) => [w.statement, w.executions])).toEqual([
      ['SELECT * FROM mard WHERE matnr = ?', 9],
      ['UPDATE mard SET labst = ? WHERE matnr = ?', 1],
    ]);
    expect(slowSql.items.get('inventory')?.state.executions).toBe(10);
    // The next hour had no slow SQL at all: the sweep after it ends the episode.
    expect((await sweepSlowSql(deps, new Date('2026-03-02T11:30:00.000Z'))).resolved).toEqual([]);
    expect((await sweepSlowSql(deps, new Date('2026-03-02T12:00:01.000Z'))).resolved).toHaveLength(1);
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised', 'Finding Resolved']);
    expect(await sweepSlowSql(deps, new Date('2026-03-02T13:00:01.000Z'))).toEqual({ resolved: [] });
  });
});

describe('incidents from threshold episodes (5.1)', () => {
  it('off by default: an order-latency episode opens no incident', async () => {
    const { deps, kinds } = setup();
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', metric: 'order-latency', value: 4, unit: 'seconds', statistic: 'p95', module: 'orders' }, 'o1', '2026-03-02T09:00:00.000Z');
    expect(kinds()).toEqual(['Finding Raised']);
  });

  it('on: a P2 episode (order latency, disk) opens an incident and resolves it when it clears; a P3 one (CPU) does not', async () => {
    const { deps, published, kinds } = setup(parsePolicy({ performance: { incidents: { openFromEpisodes: true } } }));
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', metric: 'order-latency', value: 4, unit: 'seconds', statistic: 'p95', module: 'orders' }, 'o1', '2026-03-02T09:00:00.000Z');
    expect(kinds()).toEqual(['Finding Raised', 'Incident Opened']);
    const [raised, opened] = published;
    expect(opened?.source).toBe('erpgov.threshold-alerts');
    expect(opened?.detail).toMatchObject({ incidentId: (raised?.detail as { findingId: string }).findingId, severity: 'P2', reportedBy: 'threshold-alerts', modules: ['orders'], detectedAt: '2026-03-02T09:00:00.000Z' });
    expect(validateDetail('Incident Opened', opened?.detail).ok).toBe(true);
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', metric: 'order-latency', value: 0.5, unit: 'seconds', statistic: 'p95', module: 'orders' }, 'o2', '2026-03-02T09:05:00.000Z');
    await recordSample(deps, { schemaVersion: 1, host: 'erp-prd', metric: 'order-latency', value: 0.5, unit: 'seconds', statistic: 'p95', module: 'orders' }, 'o3', '2026-03-02T09:10:00.000Z');
    expect(kinds()).toEqual(['Finding Raised', 'Incident Opened', 'Finding Resolved', 'Incident Resolved']);
    expect(published[3]?.detail).toMatchObject({ incidentId: (raised?.detail as { findingId: string }).findingId, resolvedBy: 'threshold-alerts' });
    expect(validateDetail('Incident Resolved', published[3]?.detail).ok).toBe(true);
    for (const [i, v] of [90, 91, 92].entries()) await recordSample(deps, { schemaVersion: 1, host: 'erp-app', metric: 'cpu', value: v, unit: 'percent' }, `c${i}`, `2026-03-02T09:0${i}:00.000Z`);
    expect(kinds().slice(4)).toEqual(['Finding Raised']);
  });

  it('on: a host gone silent (P2 by default) opens an incident', async () => {
    const { deps, kinds } = setup(parsePolicy({ performance: { incidents: { openFromEpisodes: true } } }));
    await recordSample(deps, { schemaVersion: 1, host: 'erp-db', metric: 'cpu', value: 20, unit: 'percent' }, 's1', '2026-03-02T09:00:00.000Z');
    await sweepSilentHosts(deps, new Date('2026-03-02T10:00:00.000Z'));
    expect(kinds()).toEqual(['Finding Raised', 'Incident Opened']);
    await recordSample(deps, { schemaVersion: 1, host: 'erp-db', metric: 'cpu', value: 20, unit: 'percent' }, 's2', '2026-03-02T10:01:00.000Z');
    expect(kinds()).toEqual(['Finding Raised', 'Incident Opened', 'Finding Resolved', 'Incident Resolved']);
  });

  it('a window M greater than its N is refused with the key path', () => {
    expect(() => parsePolicy({ performance: { businessPercentiles: { clear: { clearing: 3, ofLast: 2 } } } })).toThrow(/performance\.businessPercentiles\.clear\.clearing/);
  });
});
