/**
 * audit-analysis's flows over the in-memory twins of its stores and the finding lifecycle:
 * which hours the behaviour analysis covers, what a run reads, raises and stores, and that a
 * repeated run changes nothing. How it is reached (no loop on its own findings) is checked
 * against the compiled routing table. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { routedDetailTypes } from '../../infra/function-routes.ts';
import { routingTable } from '../../infra/routes.ts';
import { analyseClosedHours, hoursToAnalyse, MAX_CATCH_UP_HOURS, SETTLE_MS } from '../../functions/audit-analysis/flows.ts';
import { memoryBehaviourCursorStore } from '../../functions/audit-analysis/behaviour-cursor-store.ts';
import { memoryHourlyBaselineStore } from '../../functions/audit-analysis/hourly-baseline-store.ts';
import { toAuditRecord, type AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { memoryAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { toFindingRaised } from '../../functions/shared/findings/finding.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { HOUR_MS, MINUTE_MS, utcDayBefore } from '../../functions/shared/time.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';

describe('audit-analysis in the routing table', () => {
  const fn = routingTable.find((f) => f.name === 'audit-analysis');
  const event = (source: string, detailType: string) => ({ version: '0', id: '1', account: '000000000000', time: '2026-03-10T03:00:00Z', region: 'us-east-1', resources: [], source, 'detail-type': detailType, detail: {} });
  const routed = (source: string, detailType: string) => fn?.rules.some((rule) => rule.compiled.matches(event(source, detailType))) ?? false;

  it('may write state and publish findings, and needs no archive', () => {
    expect(fn).toMatchObject({ entry: 'functions/audit-analysis/handler.ts', stateAccess: 'read-write', publishesEvents: true, archiveAccess: 'none' });
  });

  it('receives its facts from ERP systems only: never its own findings, nor facts re-emitted by the pipeline (no loops)', () => {
    for (const detailType of routedDetailTypes('audit-analysis')) {
      expect(routed('erp.sap', detailType), detailType).toBe(true);
      expect(routed('erpgov.some-function', detailType), detailType).toBe(false);
    }
    expect(routed('erp.odoo', 'Login')).toBe(false);
    expect(routed('erpgov.audit-analysis', 'Finding Raised')).toBe(false);
  });
});

describe('hours the behaviour analysis covers', () => {
  const firedAt = new Date('2026-03-10T05:17:42Z');

  it('on a first run, the last hour that closed and settled', () => {
    expect(hoursToAnalyse(firedAt, undefined)).toEqual([{ from: new Date('2026-03-10T04:00:00Z'), to: new Date('2026-03-10T05:00:00Z') }]);
    // Fired just after the hour: the hour before is not settled yet.
    const early = new Date(Date.parse('2026-03-10T05:00:00Z') + SETTLE_MS - 1);
    expect(hoursToAnalyse(early, undefined)).toEqual([{ from: new Date('2026-03-10T03:00:00Z'), to: new Date('2026-03-10T04:00:00Z') }]);
  });

  it('from the cursor on: nothing when up to date, missed hours caught up to a limit', () => {
    expect(hoursToAnalyse(firedAt, new Date('2026-03-10T05:00:00Z'))).toEqual([]);
    expect(hoursToAnalyse(firedAt, new Date('2026-03-10T02:00:00Z')).map((w) => w.from.toISOString())).toEqual(['2026-03-10T02:00:00.000Z', '2026-03-10T03:00:00.000Z', '2026-03-10T04:00:00.000Z']);
    expect(hoursToAnalyse(firedAt, new Date('2026-02-01T00:00:00Z'))).toHaveLength(MAX_CATCH_UP_HOURS);
  });
});

describe('an analysis run over ports', () => {
  async function ports(records: AuditRecord[]) {
    const trail = memoryAuditTrailStore();
    for (const record of records) await trail.append(record, new Date(record.recordedAt));
    const published: OutgoingEvent[] = [];
    const daysRead: string[] = [];
    const cursor = memoryBehaviourCursorStore();
    const hours = memoryHourlyBaselineStore();
    const findings = findingLifecycle({ store: memoryFindingsStore(), publisher: { publish: async (events) => void published.push(...events) } }, 'audit-analysis');
    return {
      published,
      daysRead,
      hours,
      cursor,
      ports: {
        trail: {
          storedRecordsOccurredOn: (day: string) => {
            daysRead.push(day);
            return trail.storedRecordsOccurredOn(day);
          },
        },
        cursor,
        hours,
        findings,
        policy: defaultPolicy,
      },
    };
  }
  const deletes = Array.from({ length: 25 }, (_, i) => {
    const time = new Date(Date.parse('2026-03-10T04:10:00Z') + i * MINUTE_MS);
    return toAuditRecord(
      { version: '0', id: `d-${i}`, 'detail-type': 'Operation Audited', source: 'erp.sap', account: '000000000000', time: time.toISOString(), region: 'us-east-1', resources: [], detail: { schemaVersion: 1, actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 1 } },
      time,
    );
  });

  it('reads the baseline days, raises the findings, moves the cursor; a duplicate fire does nothing', async () => {
    const run = await ports(deletes);
    const { windows, findings } = await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    expect(windows).toHaveLength(1);
    expect(findings.map((f) => f.title)).toEqual(['Burst of delete operations']);
    expect(run.published).toEqual([{ source: 'erpgov.audit-analysis', detailType: 'Finding Raised', detail: toFindingRaised(findings[0]!, 'audit-analysis') }]);
    expect(await run.cursor.analysedUntil()).toEqual(new Date('2026-03-10T05:00:00Z'));
    expect([...run.daysRead].sort()[0]).toBe(utcDayBefore(Date.parse('2026-03-10T04:00:00Z'), defaultPolicy.audit.behaviourAnalysis.baselineDays));
    expect([...run.daysRead].sort().at(-1)).toBe('2026-03-10');
    // Each day once, however many hours of it the baseline and the context need.
    expect(new Set(run.daysRead).size).toBe(run.daysRead.length);

    const again = await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    expect(again).toEqual({ windows: [], findings: [] });
    expect(run.published).toHaveLength(1);
  });

  it('a run that died before moving the cursor, done again, raises nothing twice', async () => {
    const run = await ports(deletes);
    await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    const rerun = { ...run.ports, cursor: memoryBehaviourCursorStore() };
    const { findings } = await analyseClosedHours(rerun, new Date('2026-03-10T05:10:00Z'));
    expect(findings).toHaveLength(1);
    expect(run.published).toHaveLength(1);
  });

  it('counts each baseline hour from the trail once; later runs read only the days around the window', async () => {
    const run = await ports(deletes);
    await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    const baselineHours = defaultPolicy.audit.behaviourAnalysis.baselineDays * 24;
    expect(run.hours.hours.size).toBe(baselineHours);
    run.daysRead.length = 0;
    // The next hour: its baseline is the stored hours plus one new hour (04:00, the burst's), counted from a day read anyway.
    const { findings } = await analyseClosedHours(run.ports, new Date(Date.parse('2026-03-10T05:10:00Z') + HOUR_MS));
    expect(run.hours.hours.size).toBe(baselineHours + 1);
    expect(run.hours.hours.get('2026-03-10T04:00:00.000Z')?.actions.delete).toEqual({ u1001: 25 });
    expect([...new Set(run.daysRead)]).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(findings).toEqual([]);
  });
});
