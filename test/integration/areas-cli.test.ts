/**
 * The areas' Done-when scenarios through the real CLI (in-process `runCli`) against a started
 * runtime, as an operator would run them: events written to a file and sent with `erpgov
 * replay FILE` (ERP PutEvents entries with their own times, AWS events exactly as AWS emits
 * them), schedules fired with `erpgov schedule run ID --at T`, and the results read with
 * `erpgov findings list --json` and `erpgov report ...`.
 *   - issue 11: a failed AWS Backup job, a cold dataset whose job never ran (silence at the
 *     deadline), a sensitive dataset with an unencrypted recovery point;
 *   - issue 12: the CPU series (one finding, resolved; resent: nothing new), CloudWatch ALARM
 *     events, a P1 incident breach, an order-latency episode opening an incident, the
 *     operations report with MTTA/MTTR and the RTO trend;
 *   - issue 13: self-approval (4.1), a clean change, another version deployed (4.3), an AWS
 *     production event with no request (4.4), a deploy inside a recurring freeze, the change report.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/main.ts';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { clearPolicyCache, POLICY_FILE_ENV } from '../../schemas/policy-loader.ts';
import { awsSampleEvents, haveAwsSample } from '../support/aws-samples.ts';
import { backupsPolicy, coldDataset, customers, CUSTOMER_DB, FINANCE_DB, financeHistory } from '../support/backup-catalogue.ts';
import { captureStdout } from '../support/capture-stdout.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const now = Date.now();
const at = (offsetMs: number) => new Date(now + offsetMs);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const HR_FILES = 'arn:aws:elasticfilesystem:eu-central-1:111122223333:file-system/fs-payroll';
// A daily one-hour freeze that began 10 h ago.
const lastFreezeStart = new Date(Math.floor((now - 10 * HOUR) / 1000) * 1000);
const icsTime = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//erpgov//test//EN', 'BEGIN:VEVENT', 'UID:nightly', `DTSTART:${icsTime(new Date(lastFreezeStart.getTime() - 30 * DAY))}`, `DTEND:${icsTime(new Date(lastFreezeStart.getTime() - 30 * DAY + HOUR))}`, 'RRULE:FREQ=DAILY', 'SUMMARY:nightly batch freeze', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
const policy = {
  backups: backupsPolicy(financeHistory, customers, coldDataset('payroll-files', 'hr-files', 'file-set', 'payroll', HR_FILES)),
  change: { freeze: { calendars: [{ name: 'nightly', ics }] } },
  performance: { incidents: { openFromEpisodes: true } },
};

let dataDir: string;
let runtime: LocalRuntime;
let loud: () => void;

async function erpgov(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    const { code, output } = await captureStdout(() => runCli([...args, '--data-dir', dataDir]));
    return { code, out: output, err };
  } finally {
    spy.mockRestore();
  }
}

let fileCounter = 0;
/** Writes the events as JSON Lines and runs `erpgov replay FILE`; waits until the bus is idle. */
async function replay(events: readonly Record<string, unknown>[]): Promise<{ accepted: number; refused: number }> {
  const file = join(dataDir, `replay-${++fileCounter}.jsonl`);
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const run = await erpgov('replay', file, '--json');
  expect(run.code, run.err).toBe(0);
  await runtime.bus.whenIdle();
  return JSON.parse(run.out) as { accepted: number; refused: number };
}

/** A PutEvents entry as an ERP sends it, with its own time. */
const entry = (source: string, detailType: string, detail: Record<string, unknown>, time: Date) => ({ Source: source, DetailType: detailType, Detail: JSON.stringify({ schemaVersion: 1, ...detail }), Time: iso(time) });
let awsSeq = 0;
/** An AWS service event as AWS puts it on the default bus (odd id and account, strings for numbers and booleans). */
const awsEvent = (source: string, detailType: string, detail: Record<string, unknown>, time: Date, resources: string[] = []) => ({
  version: '0', id: `aws-${++awsSeq}-not-a-uuid`, 'detail-type': detailType, source, account: '111122223333', time: iso(time), region: 'eu-central-1', resources, detail,
});

interface StoredFinding { findingId: string; state: string; firstRaisedAt: string; resolvedAt?: string; raised: { control: string; title: string; severity: string; subject: { type: string; id: string; name?: string }; evidence: { facts?: Record<string, unknown> } } }
const findings = async (...filters: string[]) => {
  const run = await erpgov('findings', 'list', '--json', ...filters);
  expect(run.code, run.err).toBe(0);
  return JSON.parse(run.out) as StoredFinding[];
};
const ruleOf = (f: StoredFinding) => String(f.raised.evidence.facts?.rule ?? '');
const scheduleRun = async (id: string, when: Date) => {
  const run = await erpgov('schedule', 'run', id, '--at', iso(when), '--json');
  expect(run.code, run.err).toBe(0);
  return JSON.parse(run.out) as { delivery: { outcome: string; result: Record<string, unknown> }; published: { detailType: string; source: string; id: string }[] };
};

beforeAll(async () => {
  loud = quietFunctions();
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-areas-cli-'));
  writeFileSync(join(dataDir, 'policy.json'), JSON.stringify(policy));
  vi.stubEnv(POLICY_FILE_ENV, join(dataDir, 'policy.json'));
  // The runtime sets ERPGOV_DATA_DIR for its functions: claimed as it is, so unstubAllEnvs puts it back.
  vi.stubEnv('ERPGOV_DATA_DIR', process.env.ERPGOV_DATA_DIR);
  clearPolicyCache();
  runtime = await startLocalRuntime({ dataDir, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  loud(); // also unstubs the environment, before the policy cache is cleared
  clearPolicyCache();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('issue 11 (backups) through erpgov replay and erpgov schedule run', () => {
  it('a failed AWS Backup job, an unencrypted sensitive recovery point, and a cold dataset silent at its deadline', async () => {
    const start = at(-2 * HOUR);
    await scheduleRun('backup-silence-sweep', start); // enrols the catalogue
    const sent = await replay([
      awsEvent('aws.backup', 'Backup Job State Change', { backupJobId: 'job-1', backupVaultName: 'erp-vault', state: 'FAILED', statusMessage: 'Insufficient privileges to perform this action.', resourceArn: FINANCE_DB, resourceType: 'RDS', backupSizeInBytes: '0', creationDate: start.toISOString(), iamRoleArn: 'arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole', percentDone: '0.0' }, start, [FINANCE_DB]),
      awsEvent('aws.backup', 'Recovery Point State Change', { recoveryPointArn: 'arn:aws:backup:eu-central-1:111122223333:recovery-point:rp-1', backupVaultName: 'erp-vault', resourceArn: CUSTOMER_DB, resourceType: 'RDS', status: 'COMPLETED', isEncrypted: 'false', backupSizeInBytes: '7200', creationDate: start.toISOString() }, start, [CUSTOMER_DB]),
      awsEvent('aws.backup', 'Backup Job State Change', { backupJobId: 'job-2', backupVaultName: 'erp-vault', state: 'COMPLETED', resourceArn: CUSTOMER_DB, resourceType: 'RDS', backupSizeInBytes: '7200', isEncrypted: 'false', creationDate: start.toISOString(), completionDate: start.toISOString() }, start, [CUSTOMER_DB]),
    ]);
    expect(sent).toMatchObject({ accepted: 3, refused: 0 });
    const backup = (await findings('--area', 'backup')).filter((f) => f.state === 'open');
    expect(backup.map((f) => `${ruleOf(f)}:${f.raised.subject.id}`)).toEqual(expect.arrayContaining(['backup-failed:finance-history', 'unencrypted-sensitive:customers']));
    expect(backup.find((f) => ruleOf(f) === 'unencrypted-sensitive')?.raised.control).toBe('1.3');

    // payroll-files never had a job: one silence finding at the deadline (7 days), not one per sweep.
    const deadline = new Date(start.getTime() + 7 * DAY);
    const first = await scheduleRun('backup-silence-sweep', new Date(deadline.getTime() + 5 * MIN));
    expect(first.delivery.outcome).toBe('delivered');
    await scheduleRun('backup-silence-sweep', new Date(deadline.getTime() + 10 * MIN));
    const silence = (await findings('--area', 'backup')).filter((f) => ruleOf(f) === 'backup-silence');
    expect(silence.filter((f) => f.raised.subject.id === 'payroll-files')).toHaveLength(1);
    expect(silence.find((f) => f.raised.subject.id === 'payroll-files')?.state).toBe('open');
  });
});

describe('issue 12 (thresholds, incidents, drills) through the CLI', () => {
  const cpuSeries = [70, 80, 82, 85, 79, 81, 60, 55, 50, 50, 50];
  const cpuEntries = () => cpuSeries.map((value, i) => entry('erp.monitoring', 'Metric Sample', { host: 'erp-app-01', metric: 'cpu', value, unit: 'percent' }, at(-3 * HOUR + i * MIN)));

  it('the CPU series raises exactly one finding, resolved; the same series again changes nothing', async () => {
    expect(await replay(cpuEntries())).toMatchObject({ accepted: 11, refused: 0 });
    const cpu = (await findings('--area', 'performance')).filter((f) => f.raised.subject.id === 'erp-app-01');
    expect(cpu).toHaveLength(1);
    expect(cpu[0]).toMatchObject({ state: 'resolved', raised: { control: '3.1', title: 'CPU use above 75 % on erp-app-01' } });
    expect(await replay(cpuEntries())).toMatchObject({ accepted: 11, refused: 0 });
    const again = (await findings('--area', 'performance')).filter((f) => f.raised.subject.id === 'erp-app-01');
    expect(again).toEqual(cpu);
  });

  it.skipIf(!haveAwsSample('cloudwatch.jsonl'))('CloudWatch alarm events replayed as AWS sent them: each alarm in ALARM is a finding naming it', async () => {
    const events = awsSampleEvents('cloudwatch.jsonl') as unknown as { 'detail-type': string; detail: { alarmName: string; state: { value: string } } }[];
    const alarms = events.filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail.state?.value === 'ALARM');
    expect(alarms.length).toBeGreaterThan(0);
    expect(await replay(events as unknown as Record<string, unknown>[])).toMatchObject({ refused: 0 });
    const raised = (await findings()).filter((f) => f.raised.subject.type === 'cloudwatch-alarm');
    for (const alarm of alarms) expect(raised.map((f) => f.raised.title), alarm.detail.alarmName).toContain(`CloudWatch alarm "${alarm.detail.alarmName}" is in ALARM`);
  });

  it('a P1 incident not acknowledged within 15 minutes is a breach via erpgov schedule run incident-sla-sweep', async () => {
    const opened = at(-MIN);
    await replay([entry('erp.itsm', 'Incident Opened', { incidentId: 'INC-P1-1', severity: 'P1', title: 'ERP down for all users', reportedBy: 'monitoring' }, opened)]);
    const run = await scheduleRun('incident-sla-sweep', new Date(opened.getTime() + 20 * MIN));
    expect(run.published.map((p) => p.detailType)).toContain('Finding Raised');
    const breach = (await findings('--control', '5.1')).find((f) => f.raised.subject.id === 'INC-P1-1');
    expect(breach).toMatchObject({ state: 'open', raised: { severity: 'critical' } });
    expect(breach?.raised.title).toMatch(/INC-P1-1/);
  });

  it('a p95 order-latency episode of a module opens an incident (policy on) that resolves with the episode', async () => {
    const base = at(-90 * MIN);
    const start = new Date(Math.floor(base.getTime() / (5 * MIN)) * 5 * MIN);
    const minute = (m: number, latencies: number[]) => entry('erp.apm', 'Metric Sample', { host: 'erp-prd', datapoints: latencies.map((value) => ({ metric: 'order-latency', value, unit: 'seconds', module: 'orders' })) }, new Date(start.getTime() + m * MIN));
    await replay([0, 1, 2, 3, 4].map((m) => minute(m, [0.5, 2.8, 3.4, 0.6])));
    await replay([minute(5, [0.4, 0.4, 0.4, 0.4])]); // closes the slow window
    const episode = (await findings('--control', '3.2')).find((f) => f.raised.subject.id === 'erp-prd');
    expect(episode).toMatchObject({ state: 'open', raised: { title: 'p95 Order processing latency above 2 s on erp-prd (module orders)' } });
    const incidentBreachesBefore = (await findings('--control', '5.1')).filter((f) => f.raised.subject.id === episode?.findingId);
    expect(incidentBreachesBefore).toEqual([]);
    // The incident is on the incident clock from when it was opened (the episode's evaluation,
    // now): unacknowledged past P2's 30 minutes, it is a breach.
    await scheduleRun('incident-sla-sweep', new Date(Date.now() + 45 * MIN));
    expect((await findings('--control', '5.1')).filter((f) => f.raised.subject.id === episode?.findingId).map((f) => f.raised.severity)).toEqual(['high']);
    await replay([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map((m) => minute(m, [0.4, 0.5, 0.4, 0.3])));
    expect((await findings('--control', '3.2')).find((f) => f.findingId === episode?.findingId)?.state).toBe('resolved');
  });

  it('slow SQL replayed from the APM: one 3.3 finding for the module naming its worst statements; the sweep cools it after a quiet hour', async () => {
    const hour = new Date(Math.floor((now - 5 * HOUR) / HOUR) * HOUR);
    await replay(Array.from({ length: 12 }, (_, i) => entry('erp.apm', 'Slow Query', {
      system: 'sap-prd-hana', module: 'inventory', queryFingerprint: `apm-${i % 3}`, durationSeconds: 6 + i,
      statement: i % 3 === 0 ? `SELECT * FROM mard WHERE matnr = '${1000 + i}' AND werks IN ('1000', '2000')` : i % 3 === 1 ? `UPDATE mard SET labst = ${i} WHERE matnr = '${i}'` : `SELECT SUM(menge) FROM ekpo WHERE ebeln = ${i}`,
      tables: ['MARD'],
    }, new Date(hour.getTime() + i * 3 * MIN))));
    const [hot] = (await findings('--control', '3.3')).filter((f) => f.raised.subject.id === 'inventory');
    // Raised at the 10th slow execution (its evidence is refreshed at 10, 20, 40, ...: not at every execution).
    expect(hot).toMatchObject({ state: 'open', raised: { title: 'Slow SQL hot spot in module inventory', control: '3.3', subject: { type: 'erp-module', id: 'inventory' } } });
    expect(hot?.raised.evidence.facts).toMatchObject({ module: 'inventory', windowStart: hour.toISOString(), executions: 10, statements: 3 });
    const worst = hot?.raised.evidence.facts?.worstStatements as { statement: string; executions: number; totalSeconds: number }[];
    expect(worst.map((w) => [w.statement, w.executions, w.totalSeconds])).toEqual([
      ['SELECT * FROM mard WHERE matnr = ? AND werks IN (?)', 4, 42],
      ['SELECT SUM(menge) FROM ekpo WHERE ebeln = ?', 3, 33],
      ['UPDATE mard SET labst = ? WHERE matnr = ?', 3, 30],
    ]);
    const sweep = await scheduleRun('threshold-silence-sweep', new Date(hour.getTime() + 2 * HOUR + MIN));
    expect(sweep.delivery.result).toMatchObject({ slowSqlCooled: 1 });
    expect((await findings('--control', '3.3')).find((f) => f.findingId === hot?.findingId)?.state).toBe('resolved');
  });

  it('erpgov report operations shows MTTA/MTTR against targets and the drill RTO trend quarter by quarter', async () => {
    const t = at(-2 * DAY);
    const lastQuarter = new Date(now - 95 * DAY);
    await replay([
      entry('erp.itsm', 'Incident Opened', { incidentId: 'INC-P2-7', severity: 'P2', title: 'Payment module down', reportedBy: 'monitoring' }, t),
      entry('erp.itsm', 'Incident Acknowledged', { incidentId: 'INC-P2-7', acknowledgedBy: 'oncall.li' }, new Date(t.getTime() + 10 * MIN)),
      entry('erp.itsm', 'Incident Resolved', { incidentId: 'INC-P2-7', resolvedBy: 'oncall.li', resolution: 'restarted the payment gateway' }, new Date(t.getTime() + 70 * MIN)),
      entry('erp.drills', 'Drill Completed', { drillId: 'DR-1', scenario: 'primary database lost', kind: 'failover', startedAt: iso(lastQuarter), finishedAt: iso(new Date(lastQuarter.getTime() + 4 * HOUR)), recoveryTimeSeconds: 3 * 3600, outcome: 'passed', service: 'order-entry' }, new Date(lastQuarter.getTime() + 4 * HOUR)),
      entry('erp.drills', 'Drill Completed', { drillId: 'DR-2', scenario: 'primary database lost', kind: 'failover', startedAt: iso(t), finishedAt: iso(new Date(t.getTime() + HOUR)), recoveryTimeSeconds: 1800, outcome: 'passed', service: 'order-entry' }, new Date(t.getTime() + HOUR)),
    ]);
    const quarter = `${new Date(now).getUTCFullYear()}-Q${Math.floor(new Date(now).getUTCMonth() / 3) + 1}`;
    const md = await erpgov('report', 'operations', '--quarter', quarter, '--format', 'md');
    expect(md.code, md.err).toBe(0);
    expect(md.out).toContain('| severity | incidents | MTTA min (target) | MTTR min (target) | ack breaches | resolve breaches |');
    // P2: the payment incident (acknowledged after 10 min, resolved after 70) and the one the
    // order-latency episode opened (resolved by the episode, never acknowledged).
    expect(md.out).toMatch(/\| P2 \| 2 \| 10 \(30\) \| \d+ \(480\) \| 1 \| 0 \|/);
    expect(md.out).toMatch(/\| P1 \| 1 \| — \(15\) \| — \(240\) \| 1 \| 0 \|/);
    const json = JSON.parse((await erpgov('report', 'operations', '--quarter', quarter, '--format', 'json')).out) as { rtoTrend: { quarter: string; drills: number; bestRtoMinutes: number | null }[] };
    const trend = json.rtoTrend.filter((q) => q.drills > 0);
    expect(trend.map((q) => q.bestRtoMinutes)).toEqual([180, 30]);
    expect(trend.at(-1)?.quarter).toBe(quarter);
  });
});

describe('issue 13 (change approvals) through erpgov replay and erpgov report changes', () => {
  const request = (changeId: string, requestedBy: string, extra: Record<string, unknown> = {}) => ({
    changeId, title: `change ${changeId}`, kind: 'patch', requestedBy, modules: ['orders'], targetEnvironment: 'production', rollbackPlan: 'revert the merge', codeVersion: 'git:v1',
    configuration: ['config/a.yaml@sha256:1'], databaseScripts: ['db/1.sql@sha256:2'], window: { start: iso(at(-48 * HOUR)), end: iso(at(HOUR)) }, risk: 'low', ...extra,
  });
  const deployed = (changeId: string, codeVersion: string) => ({ changeId, environment: 'production', deployedBy: 'pipeline', method: 'version-control', artefacts: { codeVersion, configuration: ['config/a.yaml@sha256:1'], databaseScripts: ['db/1.sql@sha256:2'] } });
  const changeFindings = async (changeId: string) => (await findings('--area', 'change')).filter((f) => f.raised.subject.id === changeId);

  beforeAll(async () => {
    await replay(['bob:department-head', 'carol:it-lead', 'alice:it-lead'].map((s, i) => {
      const [account, role] = s.split(':') as [string, string];
      return entry('erp.sap', 'Role Assigned', { account, person: `E-${i}`, role, modules: ['orders'], permissions: ['change.approve'], job: 'sales', grantedBy: 'admin' }, at(-240 * HOUR));
    }));
  });

  it('requested by A, approved by A and B: the 4.1 finding', async () => {
    await replay([
      entry('erp.sap', 'Change Requested', request('CHG-A', 'alice'), at(-30 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-A', approver: 'alice', role: 'it' }, at(-29 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-A', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
    ]);
    const found = await changeFindings('CHG-A');
    expect(found.some((f) => f.raised.control === '4.1' && ruleOf(f) === 'self-approval')).toBe(true);
  });

  it('approved by B (business) and C (IT lead), tested and deployed at that version: none; another version: the 4.3 critical', async () => {
    await replay([
      entry('erp.sap', 'Change Requested', request('CHG-B', 'alice', { window: { start: iso(at(-8 * HOUR)), end: iso(at(HOUR)) } }), at(-30 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-B', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-B', approver: 'carol', role: 'it' }, at(-28 * HOUR)),
      entry('erp.sap', 'Change Tested', { changeId: 'CHG-B', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:v1' }, at(-27 * HOUR)),
      entry('erp.sap', 'Change Deployed', deployed('CHG-B', 'git:v1'), at(-2 * HOUR)),
    ]);
    expect(await changeFindings('CHG-B')).toEqual([]);
    await replay([entry('erp.sap', 'Change Deployed', deployed('CHG-B', 'git:v2'), at(-HOUR))]);
    expect((await changeFindings('CHG-B')).find((f) => ruleOf(f) === 'version-mismatch')?.raised).toMatchObject({ control: '4.3', severity: 'critical' });
  });

  it('a deploy inside the recurring freeze: the freeze finding', async () => {
    await replay([
      entry('erp.sap', 'Change Requested', request('CHG-F', 'alice'), at(-30 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-F', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
      entry('erp.sap', 'Change Approved', { changeId: 'CHG-F', approver: 'carol', role: 'it' }, at(-28 * HOUR)),
      entry('erp.sap', 'Change Tested', { changeId: 'CHG-F', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:v1' }, at(-27 * HOUR)),
      entry('erp.sap', 'Change Deployed', deployed('CHG-F', 'git:v1'), new Date(lastFreezeStart.getTime() + 30 * MIN)),
    ]);
    expect((await changeFindings('CHG-F')).map(ruleOf)).toContain('deployed-in-freeze');
  });

  it('a CloudFormation production stack update with no request: the 4.4 critical "direct production edit"', async () => {
    const stackId = 'arn:aws:cloudformation:eu-central-1:111122223333:stack/erp-prod/6d1b4d50-0000-11ef-8f3b-0a1b2c3d4e5f';
    expect(await replay([awsEvent('aws.cloudformation', 'CloudFormation Stack Status Change', { 'stack-id': stackId, 'status-details': { status: 'UPDATE_COMPLETE', 'status-reason': '' } }, at(-HOUR), [stackId])])).toMatchObject({ accepted: 1, refused: 0 });
    const gate = (await findings('--control', '4.4')).filter((f) => f.raised.subject.type === 'production-change' && ruleOf(f) === 'direct-production-edit');
    expect(gate.map((f) => f.raised.subject.id)).toEqual([expect.stringMatching(/^cloudformation:.*erp-prod/)]);
    expect(gate[0]?.raised.severity).toBe('critical');
  });

  it('erpgov report changes prints the month: requester, approvers, test evidence, versions, unmatched production edits', async () => {
    const month = new Date(now - HOUR).toISOString().slice(0, 7);
    const md = await erpgov('report', 'changes', '--month', month, '--format', 'md');
    expect(md.code, md.err).toBe(0);
    expect(md.out).toContain('CHG-B');
    expect(md.out).toMatch(/bob/);
    expect(md.out).toMatch(/carol/);
    expect(md.out).toMatch(/erp-prod/);
  });
});
