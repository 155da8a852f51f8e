/**
 * Redelivery ×10 and random reordering for backups, thresholds (with incident-response) and
 * changes (issue 15, class 6), like redelivery-reorder.test.ts for access and audit: the same
 * facts, in order, shuffled with a seeded shuffle, and each delivered up to ten times, end with
 * the same live findings (state and evidence) and the same report bytes. In-process over the
 * in-memory stores; each fact is handled at its own time, and the schedules fire at the end.
 */
import { describe, expect, it } from 'vitest';
import { memoryBackupStore } from '../../functions/backup-verification/backup-store.ts';
import { buildBackupReport, renderCsv as backupCsv, renderMarkdown as backupMarkdown } from '../../functions/backup-verification/backup-report.ts';
import { retentionFloor } from '../../functions/backup-verification/catalogue.ts';
import { recordObservation, sweep as sweepBackups } from '../../functions/backup-verification/flows.ts';
import type { Keyed, Observation } from '../../functions/backup-verification/observations.ts';
import { changeStore, memoryChangeItems, roleHoldingsReader } from '../../functions/change-approvals/change-store.ts';
import { renderCsv as changeCsv, renderMarkdown as changeMarkdown } from '../../functions/change-approvals/change-report.ts';
import { freezeCalendars, judgeAwsEvent, monthlyChangeReport, recordChangeFact, sweepEmergencies, type ChangeDeps, type ChangeFactInput } from '../../functions/change-approvals/flows.ts';
import { memoryDrillStore } from '../../functions/incident-response/drill-store.ts';
import { recordIncidentFact, sweepIncidents, type IncidentDeps } from '../../functions/incident-response/flows.ts';
import { memoryIncidentStore } from '../../functions/incident-response/incident-store.ts';
import { buildOperationsReport, OPERATIONS_FORMATS } from '../../functions/incident-response/operations-report.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { addMinutes } from '../../functions/shared/time.ts';
import { recordSample, sweepSilentHosts } from '../../functions/threshold-alerts/flows.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { interleaved, liveFindings, random, redelivered, redeliveredAfter, shuffled } from '../support/redelivery.ts';
import { prodStageSucceeded } from '../support/aws-samples.ts';
import { series } from '../support/series.ts';
import { memoryThresholdDeps } from '../support/threshold-deps.ts';

const SEEDS = [1, 2, 3, 4, 5, 6];
const recorder = () => {
  const published: OutgoingEvent[] = [];
  return { published, publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) } };
};

/**
 * Runs `scenario` over the facts in order, then per seed reordered once (each fact once) and
 * reordered with redelivery (each fact up to ten times); every run must end the same.
 */
async function expectSameOutcome<T, R>(
  facts: readonly T[],
  scenario: (order: readonly T[]) => Promise<R>,
  reorder: (facts: readonly T[], next: () => number) => T[] = shuffled,
  redeliver: (order: readonly T[], next: () => number) => T[] = redelivered,
): Promise<R> {
  const expected = await scenario(facts);
  for (const seed of SEEDS) {
    const next = random(seed);
    const order = reorder(facts, next);
    expect(await scenario(order), `seed ${seed}, each once`).toEqual(expected);
    expect(await scenario(redeliver(order, next)), `seed ${seed}, redelivered`).toEqual(expected);
  }
  return expected;
}

describe('the backup scenario', () => {
  const policy = parsePolicy({
    backups: {
      tiers: { hot: { offsiteTarget: 'dr-site' } },
      catalogue: [
        { id: 'finance-history', system: 'kingdee-finance-db', kind: 'database', dataClasses: ['finance'], tier: 'cold', backupPlan: 'weekly-full', rtoMinutes: 120 },
        { id: 'orders-live', system: 'sap-prd-hana', kind: 'database', dataClasses: ['orders'], tier: 'hot', backupPlan: 'hana-replication' },
        { id: 'prod-config', system: 'erp-config', kind: 'configuration', tier: 'cold' },
      ],
    },
  });
  const T0 = new Date('2026-03-02T00:00:00Z');
  const at = (minutes: number) => addMinutes(T0, minutes);
  let n = 0;
  const obs = (dataset: string, o: Record<string, unknown> & Pick<Observation, 'kind'>, when: Date): Keyed => ({ key: { dataset }, observation: { eventId: `b${String(++n).padStart(2, '0')}`, origin: 'erp', at: when.toISOString(), ...o } as Observation });
  const good = (when: Date, extra: Record<string, unknown> = {}) => obs('finance-history', { kind: 'backup', ref: `bk-${n}`, full: true, offsite: true, encrypted: true, retainUntil: retentionFloor(when, 1095).toISOString(), ...extra }, when);
  const restore = (when: Date, extra: Record<string, unknown> = {}) => obs('finance-history', { kind: 'restore-test', testId: `rt-${n}`, outcome: 'passed', startedAt: addMinutes(when, -30).toISOString(), finishedAt: when.toISOString(), recordsVerified: 10, expectedRecords: 10, sourceChecksum: 'sha256:a', restoredChecksum: 'sha256:a', applicationHealthy: true, ...extra }, when);
  const replication = (when: Date, state: string, lagSeconds: number) => obs('orders-live', { kind: 'replication', replica: 'dr', state, lagSeconds, offsite: true }, when);
  const facts: Keyed[] = [
    obs('finance-history', { kind: 'backup-failed', status: 'FAILED', message: 'disk full' }, at(0)),
    good(at(60)),
    restore(at(120), { recordsVerified: 9 }),
    restore(at(300)),
    good(at(360), { retainUntil: addMinutes(at(360), 60 * 24 * 30).toISOString() }),
    good(at(400), { encrypted: false }),
    replication(at(0), 'lagging', 3600),
    replication(at(5), 'in-sync', 2),
    replication(at(10), 'lagging', 900),
    obs('mystery-db', { kind: 'backup', ref: 'x', full: true }, at(30)),
  ];
  const END = at(420);

  async function run(order: readonly Keyed[]) {
    const { published, publisher } = recorder();
    const store = memoryBackupStore();
    const deps = { store, publisher, policy };
    await sweepBackups(deps, T0);
    for (const fact of order) await recordObservation(deps, fact, new Date(fact.observation.at));
    await sweepBackups(deps, END);
    const report = await buildBackupReport(store, policy, '2026-03', END);
    return { findings: liveFindings(published), markdown: backupMarkdown(report), csv: backupCsv(report) };
  }

  it('gives identical findings, evidence and report bytes in any order, each fact delivered up to ten times', async () => {
    const expected = await expectSameOutcome(facts, run);
    expect(expected.findings.length).toBeGreaterThan(2);
  });
});

describe('the threshold and incident scenario', () => {
  const START = '2026-03-02T09:00:00.000Z';
  type Sample = { host: string; metric: 'cpu' | 'memory' | 'disk-free'; value: number; at: string; eventId: string };
  const stream = (host: string, metric: Sample['metric'], notation: string): Sample[] =>
    series(notation, START).map((p, i) => ({ host, metric, value: p.value, at: p.at, eventId: `${host}-${metric}-${i}` }));
  // Each host's series is ordered (a sample older than the newest one taken in is skipped, by
  // design: a series is judged in time order); hosts and metrics interleave at random.
  const streams = [
    stream('erp-app-01', 'cpu', '70 80 82 85 79 81 60 55 50 50 50'),
    stream('erp-app-02', 'cpu', '40 90 95 96 97 98 99 99 99'),
    stream('erp-db-01', 'memory', '50 60 70 91 92 93 94 70 60 50 50'),
    stream('erp-db-01', 'disk-free', '30 20 8 7 6 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5 5'),
  ];

  async function runThresholds(order: readonly Sample[]) {
    const { published, publisher } = recorder();
    const deps = memoryThresholdDeps({ publisher });
    for (const s of order) await recordSample(deps, { schemaVersion: 1, host: s.host, metric: s.metric, value: s.value, unit: 'percent' }, s.eventId, s.at);
    await sweepSilentHosts(deps, new Date('2026-03-02T09:30:00Z'));
    const incidents = published.filter((e) => e.detailType.startsWith('Incident ')).map((e) => JSON.stringify(e.detail));
    return { findings: liveFindings(published), incidents: [...new Set(incidents)].sort() };
  }

  it('gives identical threshold findings and incidents however the hosts interleave, each sample delivered up to ten times', async () => {
    const expected = await expectSameOutcome(streams.flat(), runThresholds, (_, next) => interleaved(streams, next), redeliveredAfter);
    expect(expected.findings.length).toBeGreaterThan(1);
  });

  type IncidentFact = Parameters<typeof recordIncidentFact>[1] & { eventId: string; time: string };
  const minutes = (m: number) => addMinutes(new Date(START), m).toISOString();
  const incidentFacts: IncidentFact[] = [
    { eventId: 'i1', time: minutes(0), detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-1', severity: 'P1', title: 'ERP down', reportedBy: 'monitoring' } },
    { eventId: 'i2', time: minutes(40), detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-1', acknowledgedBy: 'ops' } },
    { eventId: 'i8', time: minutes(55), detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-1', acknowledgedBy: 'second-shift' } },
    { eventId: 'i3', time: minutes(300), detailType: 'Incident Resolved', detail: { schemaVersion: 1, incidentId: 'INC-1', resolvedBy: 'ops', resolution: 'restarted' } },
    { eventId: 'i4', time: minutes(10), detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-2', severity: 'P2', title: 'Slow invoices', reportedBy: 'helpdesk' } },
    { eventId: 'i5', time: minutes(20), detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-2', acknowledgedBy: 'ops', severity: 'P3' } },
    { eventId: 'i6', time: minutes(90), detailType: 'Incident Resolved', detail: { schemaVersion: 1, incidentId: 'INC-2', resolvedBy: 'ops', resolution: 'restarted', severity: 'P4' } },
    { eventId: 'i7', time: minutes(30), detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-3', severity: 'P2', title: 'Printing', reportedBy: 'helpdesk' } },
  ];

  async function runIncidents(order: readonly IncidentFact[]) {
    const { published, publisher } = recorder();
    const deps: IncidentDeps = { incidents: memoryIncidentStore(), drills: memoryDrillStore(), findings: memoryFindingsStore(), publisher, policy: defaultPolicy };
    for (const f of order) await recordIncidentFact(deps, { detailType: f.detailType, detail: f.detail } as Parameters<typeof recordIncidentFact>[1], f.eventId, f.time, new Date(f.time));
    await sweepIncidents(deps, new Date(minutes(600)));
    const report = await buildOperationsReport(deps, defaultPolicy, '2026-Q1');
    return { findings: liveFindings(published), markdown: OPERATIONS_FORMATS.md.render(report), csv: OPERATIONS_FORMATS.csv.render(report) };
  }

  it('gives identical incident findings and operations report bytes in any order, each fact delivered up to ten times', async () => {
    const expected = await expectSameOutcome(incidentFacts, runIncidents);
    expect(expected.findings.length).toBeGreaterThan(0);
  });
});

describe('the change scenario', () => {
  const policy = parsePolicy({});
  const request = (changeId: string, extra: Record<string, unknown> = {}) => ({
    changeId, title: `Change ${changeId}`, kind: 'patch', requestedBy: 'alice', modules: ['orders'], targetEnvironment: 'production', rollbackPlan: 'roll back',
    codeVersion: 'git:abc123', configuration: ['config/orders.yaml@sha256:11'], databaseScripts: ['db/add-index.sql@sha256:22'], window: { start: '2026-03-10T00:00:00Z', end: '2026-03-12T00:00:00Z' }, risk: 'low', ...extra,
  });
  const deployed = (changeId: string, codeVersion = 'git:abc123') => ({ changeId, environment: 'production', deployedBy: 'pipeline', method: 'version-control', artefacts: { codeVersion, configuration: ['config/orders.yaml@sha256:11'], databaseScripts: ['db/add-index.sql@sha256:22'] } });
  let n = 0;
  const fact = (detailType: string, time: string, detail: Record<string, unknown>): ChangeFactInput => ({ eventId: `c${String(++n).padStart(2, '0')}`, detailType, time, detail: { schemaVersion: 1, ...detail } });
  const facts: ChangeFactInput[] = [
    // CHG-1: requested, signed off by business and IT, tested, deployed at the tested version.
    fact('Change Requested', '2026-03-09T08:00:00Z', request('CHG-1', { deploymentTargets: ['myPipeline'] })),
    fact('Change Approved', '2026-03-09T09:00:00Z', { changeId: 'CHG-1', approver: 'bob', role: 'business' }),
    fact('Change Approved', '2026-03-09T10:00:00Z', { changeId: 'CHG-1', approver: 'carol', role: 'it' }),
    fact('Change Tested', '2026-03-09T12:00:00Z', { changeId: 'CHG-1', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:abc123' }),
    fact('Change Deployed', '2026-03-10T22:00:00Z', deployed('CHG-1')),
    // CHG-2: one sign-off only, deployed at another version than tested.
    fact('Change Requested', '2026-03-09T08:30:00Z', request('CHG-2', { modules: ['finance'], codeVersion: 'git:def456' })),
    fact('Change Approved', '2026-03-09T09:30:00Z', { changeId: 'CHG-2', approver: 'bob', role: 'business' }),
    fact('Change Tested', '2026-03-09T12:30:00Z', { changeId: 'CHG-2', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:def456' }),
    fact('Change Deployed', '2026-03-10T23:00:00Z', deployed('CHG-2', 'git:zzz999')),
    // A production configuration edit that names no change.
    fact('Configuration Modified', '2026-03-11T07:00:00Z', { configKey: 'orders.maxLines', module: 'orders', environment: 'production', modifiedBy: 'eve', channel: 'ui' }),
  ];

  /** A production deploy AWS reports on its own (CodePipeline), covered by CHG-1: a fact of the gate, not of a change. */
  type Delivery = ChangeFactInput | { readonly aws: Record<string, unknown> };
  const awsDeploy = prodStageSucceeded('2026-03-10T22:30:00Z');

  async function run(order: readonly Delivery[]) {
    const { published, publisher } = recorder();
    const items = memoryChangeItems();
    for (const [account, role] of [['bob', 'department-head'], ['carol', 'it-lead']] as const) {
      await items.put(`ACCESS#ACCT#${account}`, `ROLE#${role}#standing`, { account, role, grantKey: 'standing', state: 'assigned', eventTime: '2026-01-01T00:00:00Z', eventId: `${account}-${role}` });
    }
    const deps: ChangeDeps = {
      store: changeStore(items),
      roles: roleHoldingsReader(items),
      findings: memoryFindingsStore(), publisher, policy, calendars: freezeCalendars(policy),
    };
    for (const f of order) {
      if ('aws' in f) await judgeAwsEvent(deps, f.aws, new Date(String(f.aws.time)));
      else await recordChangeFact(deps, f, new Date(f.time));
    }
    await sweepEmergencies(deps, new Date('2026-03-31T00:00:00Z'));
    const report = await monthlyChangeReport(deps, '2026-03');
    return { findings: liveFindings(published), markdown: changeMarkdown(report), csv: changeCsv(report) };
  }

  it('gives identical findings, evidence and report bytes in any order, each fact delivered up to ten times', async () => {
    const expected = await expectSameOutcome<Delivery, Awaited<ReturnType<typeof run>>>(facts, run);
    expect(expected.findings.length).toBeGreaterThan(1);
  });

  it.skipIf(awsDeploy === undefined)('…with a production deploy AWS reports on its own, matched to the change that covers it', async () => {
    const expected = await expectSameOutcome<Delivery, Awaited<ReturnType<typeof run>>>([...facts, { aws: awsDeploy as Record<string, unknown> }], run);
    expect(expected.markdown).not.toContain('myPipeline');
  });
});
