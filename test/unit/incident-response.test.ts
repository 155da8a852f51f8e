import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { memoryDrillStore } from '../../functions/incident-response/drill-store.ts';
import { applyFact, checkContinuity, recordDrill, recordIncidentFact, sweepIncidents, type IncidentDeps } from '../../functions/incident-response/flows.ts';
import { readClock, type IncidentRecord } from '../../functions/incident-response/incident-clock.ts';
import { memoryIncidentStore } from '../../functions/incident-response/incident-store.ts';

const OPENED = '2026-03-02T09:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(OPENED) + minutes * 60_000);
const P1 = defaultPolicy.incident.severityTable.P1;
const chain = defaultPolicy.incident.escalation.chain;
const open: IncidentRecord = { incidentId: 'INC-1', severity: 'P1', openedAt: OPENED, ackAnnounced: 0, resolveAnnounced: 0, eventIds: [] };

describe('incident SLA clock', () => {
  it('a target is met at equality and breached just after', () => {
    expect(readClock(open, P1, chain, at(15)).ack).toBeUndefined();
    expect(readClock(open, P1, chain, new Date(at(15).getTime() + 1)).ack).toMatchObject({ step: 1, escalateTo: 'it-lead' });
  });

  it('escalates one step per unacknowledged respond period, up the chain and no further', () => {
    expect(readClock(open, P1, chain, at(31)).ack).toMatchObject({ step: 2, escalateTo: 'cio' });
    expect(readClock({ ...open, ackAnnounced: 2 }, P1, chain, at(61)).ack).toMatchObject({ step: 4, escalateTo: 'cio' });
    expect(readClock({ ...open, ackAnnounced: 2 }, P1, chain, at(40)).ack).toBeUndefined();
  });

  it('re-notifies an acknowledged but unresolved incident every period past its resolve target', () => {
    const acked = { ...open, acknowledgedAt: at(5).toISOString() };
    expect(readClock(acked, P1, chain, at(240)).resolve).toBeUndefined();
    expect(readClock(acked, P1, chain, at(241)).resolve).toMatchObject({ count: 1, delayMinutes: 1 });
    expect(readClock({ ...acked, resolveAnnounced: 1 }, P1, chain, at(271)).resolve).toMatchObject({ count: 2 });
    expect(readClock(acked, P1, chain, at(100)).nextCheckAt).toBe(new Date(at(240).getTime() + 1).toISOString());
  });
});

function setup() {
  const published: OutgoingEvent[] = [];
  const deps: IncidentDeps = { incidents: memoryIncidentStore(), drills: memoryDrillStore(), findings: memoryFindingsStore(), publisher: { publish: async (events) => void published.push(...events) }, policy: defaultPolicy };
  const titles = () => published.map((e) => `${e.detailType}: ${String((e.detail as { title?: string }).title ?? (e.detail as { evidence: { summary: string } }).evidence.summary)}`);
  return { deps, published, titles };
}

describe('incident-response flows', () => {
  it('a P1 not acknowledged within 15 min is a breach naming the incident, the target and the delay; acknowledging resolves it', async () => {
    const { deps, published } = setup();
    await recordIncidentFact(deps, { detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-1', severity: 'P1', title: 'ERP down', reportedBy: 'monitoring' } }, 'e1', OPENED, at(0));
    expect((await sweepIncidents(deps, at(15))).announced).toEqual([]);
    expect((await sweepIncidents(deps, at(16))).announced).toHaveLength(1);
    expect((await sweepIncidents(deps, at(17))).announced).toEqual([]);
    const breach = published[0]?.detail as { title: string; evidence: { facts: Record<string, unknown> } };
    expect(breach.title).toBe('P1 incident INC-1 not acknowledged within 15 min');
    expect(breach.evidence.facts).toMatchObject({ incidentId: 'INC-1', targetMinutes: 15, delayMinutes: 1, escalateTo: 'it-lead' });
    await sweepIncidents(deps, at(31));
    expect((published[1]?.detail as { evidence: { facts: Record<string, unknown> } }).evidence.facts).toMatchObject({ escalationStep: 2, escalateTo: 'cio' });
    await recordIncidentFact(deps, { detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-1', acknowledgedBy: 'ops.li' } }, 'e2', at(35).toISOString(), at(35));
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised', 'Finding Raised', 'Finding Resolved']);
    // Redelivered: nothing more.
    await recordIncidentFact(deps, { detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-1', acknowledgedBy: 'ops.li' } }, 'e2', at(35).toISOString(), at(36));
    expect(published).toHaveLength(3);
  });

  it('a late acknowledgement no sweep saw is still a breach', async () => {
    const { deps, published } = setup();
    await recordIncidentFact(deps, { detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-2', severity: 'P2', title: 'Orders down', reportedBy: 'x' } }, 'e1', OPENED, at(0));
    await recordIncidentFact(deps, { detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-2', acknowledgedBy: 'y' } }, 'e2', at(45).toISOString(), at(45));
    expect(published.map((e) => e.detailType)).toEqual(['Finding Raised', 'Finding Resolved']);
    expect((published[0]?.detail as { evidence: { facts: Record<string, unknown> } }).evidence.facts).toMatchObject({ delayMinutes: 15 });
  });

  it('drills: RTO over target is a finding; a drill every quarter, else overdue', async () => {
    const { deps, titles } = setup();
    await checkContinuity(deps, at(0));
    expect(titles()).toContain('Finding Raised: No failure drill within 90 days');
    await recordDrill(deps, { schemaVersion: 1, drillId: 'D-1', scenario: 'DB lost', kind: 'failover', service: 'order-entry', startedAt: OPENED, finishedAt: at(300).toISOString(), recoveryTimeSeconds: 5 * 3600, outcome: 'passed' }, 'd1', at(300));
    expect(titles()).toContain('Finding Raised: Drill D-1 recovered in 300 min, over the 240 min RTO');
    const live = (await deps.findings.list()).filter((f) => f.finding.state !== 'resolved').map((f) => f.finding.rule).sort();
    expect(live).toEqual(['drill-rto-missed', 'offline-mode-undrilled', 'standby-untested']);
  });
});

describe('an incident record folded from its facts', () => {
  type Fact = Parameters<typeof applyFact>[1] & { eventId: string; time: string };
  const facts: Fact[] = [
    { eventId: 'e1', time: at(0).toISOString(), detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-9', severity: 'P2', title: 'Slow invoices', reportedBy: 'helpdesk' } },
    { eventId: 'e2', time: at(20).toISOString(), detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-9', acknowledgedBy: 'ops', severity: 'P3' } },
    { eventId: 'e3', time: at(50).toISOString(), detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-9', acknowledgedBy: 'late-shift' } },
    { eventId: 'e4', time: at(90).toISOString(), detailType: 'Incident Resolved', detail: { schemaVersion: 1, incidentId: 'INC-9', resolvedBy: 'ops', resolution: 'restarted', severity: 'P4' } },
  ];
  const fold = (order: readonly Fact[]) => order.reduce<IncidentRecord | undefined>((record, f) => applyFact(record, f, f.eventId, f.time), undefined);

  it('is the same in any order: the latest stated severity, the earliest acknowledgement and resolution', () => {
    const expected = fold(facts);
    expect(expected).toMatchObject({ severity: 'P4', openedAt: at(0).toISOString(), acknowledgedAt: at(20).toISOString(), acknowledgedBy: 'ops', resolvedAt: at(90).toISOString(), eventIds: ['e1', 'e2', 'e3', 'e4'] });
    for (const order of [[...facts].reverse(), [facts[3], facts[0], facts[2], facts[1]], [facts[2], facts[3], facts[1], facts[0], facts[3]]] as Fact[][]) expect(fold(order)).toEqual(expected);
  });

  it('is the same for any order of the facts, each delivered any number of times (property)', () => {
    const expected = fold(facts);
    const deliveries = fc.tuple(fc.shuffledSubarray(facts, { minLength: facts.length }), fc.array(fc.constantFrom(...facts), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }));
    fc.assert(
      fc.property(deliveries, ([order, extra, positions]) => {
        // Every fact once, in any order, and redeliveries spliced in anywhere.
        const delivered = [...order];
        extra.forEach((f, i) => delivered.splice((positions[i] ?? 0) % (delivered.length + 1), 0, f));
        expect(fold(delivered)).toEqual(expected);
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});
