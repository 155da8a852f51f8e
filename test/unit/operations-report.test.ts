import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { memoryDrillStore } from '../../functions/incident-response/drill-store.ts';
import { recordDrill, recordIncidentFact, sweepIncidents, type IncidentDeps } from '../../functions/incident-response/flows.ts';
import { memoryIncidentStore } from '../../functions/incident-response/incident-store.ts';
import { buildOperationsReport, OPERATIONS_FORMATS, quarterToReport } from '../../functions/incident-response/operations-report.ts';
import { quarterBounds } from '../../functions/shared/time.ts';
import { recordSample } from '../../functions/threshold-alerts/flows.ts';
import { series } from '../support/series.ts';
import { memoryThresholdDeps } from '../support/threshold-deps.ts';

const T = (iso: string) => new Date(iso);

describe('operations report', () => {
  it('shows episodes with time over threshold, MTTA/MTTR against targets with breaches, and the RTO trend by quarter', async () => {
    const findings = memoryFindingsStore();
    const publisher = { publish: async () => undefined };
    const deps: IncidentDeps = { incidents: memoryIncidentStore(), drills: memoryDrillStore(), findings, publisher, policy: defaultPolicy };
    const thresholds = memoryThresholdDeps({ findings, publisher });
    for (const p of series('70 80 82 85 79 81 60 55 50 50 50', '2026-02-10T09:00:00Z')) {
      await recordSample(thresholds, { schemaVersion: 1, host: 'erp-app-01', metric: 'cpu', value: p.value, unit: 'percent' }, `s-${p.at}`, p.at);
    }
    const open = (id: string, severity: 'P1' | 'P3', at: string) => recordIncidentFact(deps, { detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: id, severity, title: 't', reportedBy: 'm' } }, `o-${id}`, at, T(at));
    const ack = (id: string, at: string) => recordIncidentFact(deps, { detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: id, acknowledgedBy: 'a' } }, `a-${id}`, at, T(at));
    const resolve = (id: string, at: string) => recordIncidentFact(deps, { detailType: 'Incident Resolved', detail: { schemaVersion: 1, incidentId: id, resolvedBy: 'a', resolution: 'fixed' } }, `r-${id}`, at, T(at));
    await open('INC-1', 'P1', '2026-01-05T10:00:00Z');
    await ack('INC-1', '2026-01-05T10:10:00Z');
    await resolve('INC-1', '2026-01-05T11:00:00Z');
    await open('INC-2', 'P1', '2026-02-05T10:00:00Z');
    await sweepIncidents(deps, T('2026-02-05T10:20:00Z'));
    await ack('INC-2', '2026-02-05T10:30:00Z');
    await resolve('INC-2', '2026-02-05T12:00:00Z');
    const drill = (id: string, finishedAt: string, minutes: number) => recordDrill(deps, { schemaVersion: 1, drillId: id, scenario: 's', kind: 'failover', service: 'order-entry', startedAt: '2025-01-01T00:00:00Z', finishedAt, recoveryTimeSeconds: minutes * 60, outcome: 'passed' }, `d-${id}`, T(finishedAt));
    await drill('D-1', '2025-06-01T00:00:00Z', 240);
    await drill('D-2', '2025-09-01T00:00:00Z', 120);
    await drill('D-3', '2026-03-01T00:00:00Z', 30);

    const report = await buildOperationsReport({ findings, incidents: deps.incidents, drills: deps.drills }, defaultPolicy, '2026-Q1');
    expect(quarterBounds('2026-Q1')).toEqual({ from: T('2026-01-01T00:00:00Z'), to: T('2026-04-01T00:00:00Z') });
    expect(report.episodes).toEqual([expect.objectContaining({ host: 'erp-app-01', series: 'cpu', minutesOverThreshold: 5, clearedAt: '2026-02-10T09:08:00.000Z' })]);
    expect(report.incidents[0]).toMatchObject({ severity: 'P1', incidents: 2, mttaMinutes: 20, mttrMinutes: 90, respondTargetMinutes: 15, acknowledgeBreaches: 1, resolveBreaches: 0 });
    expect(report.rtoTrend.filter((t) => t.drills > 0).map((t) => [t.quarter, t.bestRtoMinutes])).toEqual([['2025-Q2', 240], ['2025-Q3', 120], ['2026-Q1', 30]]);
    expect(report.standby).toEqual([{ service: 'order-entry', lastFailoverAt: '2026-03-01T00:00:00.000Z', ready: true }, { service: 'payment', lastFailoverAt: null, ready: false }]);
    expect(OPERATIONS_FORMATS.md.render(report)).toContain('| P1 | 2 | 20 (15) | 90 (240) | 1 | 0 |');
    expect(OPERATIONS_FORMATS.csv.render(report).split('\n')[0]).toBe('section,host,series,metric,startedAt,clearedAt,minutesOverThreshold,flapping,findingId');
  });
});

describe('the monthly operations report run', () => {
  it('reports the quarter holding the month before, quarter to date', () => {
    expect(quarterToReport(new Date('2026-11-01T03:00:00Z'))).toBe('2026-Q4');
    expect(quarterToReport(new Date('2026-10-01T03:00:00Z'))).toBe('2026-Q3');
    expect(quarterToReport(new Date('2027-01-01T03:00:00Z'))).toBe('2026-Q4');
    expect(quarterToReport(new Date('2026-04-15T00:00:00Z'))).toBe('2026-Q1');
  });
});
