/**
 * How audit-analysis is reached and scheduled: its routing-table entry (no loop on its own
 * findings), its schedule ids, and which hours the behaviour analysis covers. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { routingTable } from '../../infra/routes.ts';
import { analyseClosedHours, BEHAVIOUR_ANALYSIS_SCHEDULE, hoursToAnalyse, MAX_CATCH_UP_HOURS, SETTLE_MS } from '../../functions/audit-analysis/analyse-hours.ts';
import type { BehaviourCursor, HourlyBaselineStore } from '../../functions/audit-analysis/analysis-state.ts';
import type { Baseline } from '../../functions/audit-analysis/behaviour-baseline.ts';
import { FINDING_SOURCE } from '../../functions/audit-analysis/findings.ts';
import { HIGH_RISK_DETAIL_TYPES } from '../../functions/audit-analysis/high-risk.ts';
import { HIGH_RISK_SWEEP_SCHEDULE } from '../../functions/audit-analysis/verify-high-risk.ts';
import { toAuditRecord, type AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { defaultPolicy } from '../../schemas/policy-loader.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

const HOUR = 3_600_000;
const fn = routingTable.find((f) => f.name === 'audit-analysis');
const event = (source: string, detailType: string) => ({ version: '0', id: '1', account: '000000000000', time: '2026-03-10T03:00:00Z', region: 'us-east-1', resources: [], source, 'detail-type': detailType, detail: {} });
const routed = (source: string, detailType: string) => fn?.rules.some((rule) => rule.compiled.matches(event(source, detailType))) ?? false;

describe('audit-analysis in the routing table', () => {
  it('is declared with the access it needs', () => {
    expect(fn).toMatchObject({ entry: 'functions/audit-analysis/handler.ts', stateAccess: 'read-write', publishesEvents: true, archiveAccess: 'none' });
  });

  it('receives the high-risk facts and verifications from ERP systems', () => {
    for (const detailType of HIGH_RISK_DETAIL_TYPES) expect(routed('erp.sap', detailType), detailType).toBe(true);
    expect(routed('erp.odoo', 'Login')).toBe(false);
  });

  it('never receives its own findings, nor facts re-emitted by the pipeline (no loops)', () => {
    expect(routed(FINDING_SOURCE, 'Finding Raised')).toBe(false);
    expect(routed('erpgov.some-function', 'Operation Audited')).toBe(false);
  });

  it('has the sweep and the hourly analysis under the ids the handler dispatches on', () => {
    expect(fn?.schedules.map((s) => [s.id, s.expression])).toEqual([
      [HIGH_RISK_SWEEP_SCHEDULE, 'rate(5 minutes)'],
      [BEHAVIOUR_ANALYSIS_SCHEDULE, 'rate(1 hour)'],
    ]);
    // The handler tells them apart by suffix: neither id may end the other.
    expect(HIGH_RISK_SWEEP_SCHEDULE.endsWith(BEHAVIOUR_ANALYSIS_SCHEDULE) || BEHAVIOUR_ANALYSIS_SCHEDULE.endsWith(HIGH_RISK_SWEEP_SCHEDULE)).toBe(false);
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
  function ports(records: AuditRecord[]) {
    let until: Date | undefined;
    const cursor: BehaviourCursor = {
      analysedUntil: async () => until,
      advance: async (to) => {
        until = to;
      },
    };
    const published: OutgoingEvent[] = [];
    const daysRead: string[] = [];
    const stored = new Map<string, Baseline>();
    const hours: HourlyBaselineStore = {
      hoursBetween: async (from, to) => new Map([...stored].filter(([hour]) => hour >= from.toISOString() && hour < to.toISOString())),
      putHour: async (hour, counts) => void stored.set(hour.toISOString(), counts),
    };
    return {
      published,
      daysRead,
      stored,
      cursor: () => until,
      ports: {
        hours,
        trail: {
          recordsOccurredOn: async (day: string) => {
            daysRead.push(day);
            return records.filter((r) => r.occurredAt.startsWith(day));
          },
        },
        cursor,
        publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) },
        policy: defaultPolicy,
      },
    };
  }
  const deletes = Array.from({ length: 25 }, (_, i) =>
    toAuditRecord(
      { version: '0', id: `d-${i}`, 'detail-type': 'Operation Audited', source: 'erp.sap', account: '000000000000', time: new Date(Date.parse('2026-03-10T04:10:00Z') + i * 60_000).toISOString(), region: 'us-east-1', resources: [], detail: { schemaVersion: 1, actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 1 } },
      new Date(),
    ),
  );

  it('reads the baseline days, publishes the findings, moves the cursor; a duplicate fire does nothing', async () => {
    const run = ports(deletes);
    const { windows, findings } = await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    expect(windows).toHaveLength(1);
    expect(findings.map((f) => f.title)).toEqual(['Burst of delete operations']);
    expect(run.published).toEqual([{ source: 'erpgov.audit-analysis', detailType: 'Finding Raised', detail: findings[0] }]);
    expect(run.cursor()).toEqual(new Date('2026-03-10T05:00:00Z'));
    expect([...run.daysRead].sort()[0]).toBe(new Date(Date.parse('2026-03-10T04:00:00Z') - defaultPolicy.audit.behaviourAnalysis.baselineDays * 24 * HOUR).toISOString().slice(0, 10));
    expect([...run.daysRead].sort().at(-1)).toBe('2026-03-10');
    // Each day once, however many hours of it the baseline and the context need.
    expect(new Set(run.daysRead).size).toBe(run.daysRead.length);

    const again = await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    expect(again).toEqual({ windows: [], findings: [] });
    expect(run.published).toHaveLength(1);
  });

  it('counts each baseline hour from the trail once; later runs read only the days around the window', async () => {
    const run = ports(deletes);
    await analyseClosedHours(run.ports, new Date('2026-03-10T05:10:00Z'));
    const baselineHours = defaultPolicy.audit.behaviourAnalysis.baselineDays * 24;
    expect(run.stored.size).toBe(baselineHours);
    run.daysRead.length = 0;
    // The next hour: its baseline is the stored hours plus one new hour (04:00, the burst's), counted from a day read anyway.
    const { findings } = await analyseClosedHours(run.ports, new Date('2026-03-10T06:10:00Z'));
    expect(run.stored.size).toBe(baselineHours + 1);
    expect(run.stored.get('2026-03-10T04:00:00.000Z')?.actions.delete).toEqual({ u1001: 25 });
    expect([...new Set(run.daysRead)]).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(findings).toEqual([]);
  });
});
