/**
 * Every finding kind backup-verification raises, produced and resolved through the local
 * runtime (issue 11, "Done when"): AWS Backup and KMS events injected on the bus as AWS emits
 * them (the real KMS samples of ../shared/aws-native-events where one exists), ERP facts put
 * through the door, the sweep fired on the driven clock, a catalogue change applied by a
 * restart. Each case reads the finding's state from the findings store the lifecycle keeps.
 * One runtime per describe; cases stay apart by dataset id.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDays, addMinutes } from '../../functions/shared/time.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';
import { stateTable } from '../../infra/state-table.ts';
import { clearPolicyCache, POLICY_FILE_ENV } from '../../schemas/policy-loader.ts';
import { AWS_SAMPLES_DIR, awsSampleEvents, haveAwsSample } from '../support/aws-samples.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const ACCOUNT = '111122223333';
const rds = (id: string) => `arn:aws:rds:eu-central-1:${ACCOUNT}:db:${id}`;
const vault = (region: string, name: string) => `arn:aws:backup:${region}:${ACCOUNT}:backup-vault:${name}`;
const recoveryPoint = (id: string) => `arn:aws:backup:eu-central-1:${ACCOUNT}:recovery-point:${id}`;
/** The key the real KMS samples name. */
const SAMPLE_KEY = `arn:aws:kms:us-west-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const EXPIRING_KEY = `arn:aws:kms:eu-central-1:${ACCOUNT}:key/erp-imported`;
const OTHER_KEY = `arn:aws:kms:eu-central-1:${ACCOUNT}:key/erp-backup-2`;

type Dataset = Record<string, unknown> & { id: string };
const cold = (id: string, extra: Partial<Dataset> = {}): Dataset => ({ id, system: `${id}-db`, kind: 'database', dataClasses: ['finance'], tier: 'cold', backupPlan: 'weekly-full', aws: { resourceArns: [rds(id)] }, ...extra });
const hot = (id: string, extra: Partial<Dataset> = {}): Dataset => ({ id, system: `${id}-db`, kind: 'database', dataClasses: ['orders'], tier: 'hot', backupPlan: 'continuous', ...extra });

/** Writes `document` as the policy file the runtime loads (ERPGOV_POLICY_FILE); returns what undoes it. */
function usePolicy(document: unknown): { write(next: unknown): void; undo(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'erpgov-backup-findings-'));
  const file = join(dir, 'policy.json');
  const write = (next: unknown) => {
    writeFileSync(file, JSON.stringify(next));
    clearPolicyCache();
  };
  write(document);
  vi.stubEnv(POLICY_FILE_ENV, file);
  return {
    write,
    undo() {
      vi.unstubAllEnvs();
      clearPolicyCache();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
/** An AWS service event as AWS puts it on the default bus: an id that is no UUID, numbers and booleans as strings where AWS sends them so. */
const awsEvent = (detailType: string, detail: Record<string, unknown>, at: Date, resources: string[] = [], extra: Record<string, unknown> = {}) => ({
  version: '0', id: `aws-${++seq}-not-a-uuid`, 'detail-type': detailType, source: 'aws.backup', account: ACCOUNT, time: at.toISOString().replace('.000', ''), region: 'eu-central-1', resources, detail, ...extra,
});
const backupJob = (dataset: string, state: string, at: Date, detail: Record<string, unknown> = {}) =>
  awsEvent('Backup Job State Change', { backupJobId: `job-${seq}`, backupVaultName: 'erp-vault', backupVaultArn: vault('eu-central-1', 'erp-vault'), state, resourceArn: rds(dataset), resourceType: 'RDS', backupSizeInBytes: '7200', percentDone: '100.0', creationDate: addMinutes(at, -10).toISOString(), completionDate: at.toISOString(), ...detail }, at, [rds(dataset)]);
const recoveryPointEvent = (dataset: string, rp: string, status: string, at: Date, detail: Record<string, unknown> = {}) =>
  awsEvent('Recovery Point State Change', { recoveryPointArn: recoveryPoint(rp), backupVaultName: 'erp-vault', resourceArn: rds(dataset), resourceType: 'RDS', status, isEncrypted: 'true', backupSizeInBytes: '7200', creationDate: at.toISOString(), ...detail }, at, [recoveryPoint(rp)]);
const copyJob = (dataset: string, state: string, at: Date, detail: Record<string, unknown> = {}) =>
  awsEvent('Copy Job State Change', { copyJobId: `copy-${seq}`, state, resourceArn: rds(dataset), resourceType: 'RDS', sourceBackupVaultArn: vault('eu-central-1', 'erp-vault'), destinationBackupVaultArn: vault('eu-west-1', 'erp-offsite'), creationDate: addMinutes(at, -10).toISOString(), completionDate: at.toISOString(), ...detail }, at, [rds(dataset)]);
/** KMS's "Imported Key Material Expiration" in the shape of the real sample, naming `key`. */
const keyMaterialExpired = (key: string, at: Date) => ({ version: '0', id: `kms-${++seq}`, 'detail-type': 'KMS Imported Key Material Expiration', source: 'aws.kms', account: ACCOUNT, time: at.toISOString().replace('.000', ''), region: 'eu-central-1', resources: [key], detail: { 'key-id': key.split('/').at(-1) } });

type Sent = object | PutEventsRequestEntry;
/** Sends one by one, in the order given (each after what the previous one caused was delivered), the clock at `at`. */
async function send(at: Date, items: readonly Sent[]): Promise<void> {
  h.clock.advanceTo(at);
  for (const item of items) {
    if ('DetailType' in item) await h.put([item as PutEventsRequestEntry]);
    else await h.inject([item]);
  }
}

const findingsOf = async () => (await dynamoFindingsStore(h.docs, stateTable.name).list()).map((r) => r.finding).filter((f) => f.detectedBy === 'backup-verification');
async function findingOf(rule: string, subject: string): Promise<StoredFinding | undefined> {
  const found = (await findingsOf()).filter((f) => f.rule === rule && f.raised.subject.id === subject);
  expect(found.length, `${rule} for ${subject}: one finding at most`).toBeLessThanOrEqual(1);
  return found[0];
}


// One runtime for the file: handlers wire their clients and read the policy once per process
// (as a Lambda container does), so the catalogue holds every case, each under its own id.
const configWithoutPlan = cold('prod-config', { kind: 'configuration', backupPlan: undefined, aws: { resourceArns: [] } });
const document = {
  backups: {
    tiers: { hot: { offsiteTarget: 'dr-site' } },
    catalogue: [
      cold('job-failed'), cold('copy-failed'), cold('short-retention'), cold('unencrypted-point', { dataClasses: ['customer'] }),
      hot('unencrypted-link', { dataClasses: ['customer'] }), cold('key-deleted', { aws: { resourceArns: [rds('key-deleted')], kmsKeyArns: [SAMPLE_KEY] } }),
      cold('key-expired', { aws: { resourceArns: [rds('key-expired')], kmsKeyArns: [EXPIRING_KEY] } }), hot('replica-lagging'), hot('replica-broken'),
      cold('restore-job-failed'), cold('restore-checksum'), cold('restore-slow', { rtoMinutes: 60 }), cold('resent'),
      cold('in-order', { dataClasses: ['customer'] }), cold('reversed', { dataClasses: ['customer'] }),
      cold('silent-cold'), hot('silent-hot'), cold('untested'), configWithoutPlan,
    ],
  },
};
let h: PipelineHarness;
let policy: ReturnType<typeof usePolicy>;
let enrolledAt: Date;
beforeAll(async () => {
  policy = usePolicy(document);
  h = await startPipelineHarness('backup-findings');
  enrolledAt = await h.fireSchedule('backup-silence-sweep', new Date()); // enrols the catalogue
});
afterAll(async () => {
  await h?.stop();
  policy?.undo();
});

// ---------------------------------------------------------------------------------------
describe('each finding kind raised by an event, resolved by a later good one', () => {

  const erp = (detailType: string, detail: Record<string, unknown>, at: Date) => h.entry(detailType, detail, at);
  const replication = (dataset: string, state: string, lagSeconds: number, at: Date, extra: Record<string, unknown> = {}) => erp('Replication Status', { system: `${dataset}-db`, dataset, replica: 'dr-site', state, lagSeconds, offsite: true, encryptedInTransit: true, ...extra }, at);
  const restoreTest = (dataset: string, testId: string, at: Date, extra: Record<string, unknown> = {}) =>
    erp('Restore Test Result', { testId, backupId: 'bk-1', system: `${dataset}-db`, dataset, restoredTo: 'restore-test-01 (isolated)', outcome: 'passed', startedAt: addMinutes(at, -30).toISOString(), finishedAt: at.toISOString(), testedBy: 'dba1', recordsVerified: 100, expectedRecords: 100, sourceChecksum: 'sha256:a', restoredChecksum: 'sha256:a', applicationHealthy: true, ...extra }, at);

  interface Case {
    readonly rule: string;
    readonly subject: string;
    readonly severity: string;
    readonly facts: Record<string, unknown>;
    readonly bad: (at: Date) => Sent[];
    readonly good: (at: Date) => Sent[];
  }
  const malformedId = 'aws-broken-then-resent';
  const cases: [string, Case][] = [
    ['backup-failed: an AWS Backup job FAILED (state); a later COMPLETED job', {
      rule: 'backup-failed', subject: 'job-failed', severity: 'high', facts: { status: 'FAILED', message: 'Insufficient privileges to perform this action.' },
      bad: (at) => [backupJob('job-failed', 'FAILED', at, { statusMessage: 'Insufficient privileges to perform this action.', backupSizeInBytes: '0' })],
      good: (at) => [backupJob('job-failed', 'COMPLETED', at, { isEncrypted: 'true' })],
    }],
    ['copy-not-offsite: an AWS Backup copy job FAILED; a later copy COMPLETED into another region', {
      rule: 'copy-not-offsite', subject: 'copy-failed', severity: 'high', facts: { detail: 'copy failed: Access denied to the destination vault' },
      bad: (at) => [copyJob('copy-failed', 'FAILED', at, { statusMessage: 'Access denied to the destination vault' })],
      good: (at) => [copyJob('copy-failed', 'COMPLETED', at)],
    }],
    ['retention-below-floor: a cold backup deleted after 30 days ("30" as a string); a later one kept 1,200 days', {
      rule: 'retention-below-floor', subject: 'short-retention', severity: 'high', facts: { minRetentionDays: 1095 },
      bad: (at) => [backupJob('short-retention', 'COMPLETED', at, { lifecycle: { deleteAfterDays: '30' } })],
      good: (at) => [backupJob('short-retention', 'COMPLETED', at, { calculatedLifecycle: { deleteAt: addDays(at, 1200).toISOString() } })],
    }],
    ['unencrypted-sensitive: an AWS recovery point of customer data with isEncrypted "false"; a later encrypted one', {
      rule: 'unencrypted-sensitive', subject: 'unencrypted-point', severity: 'critical', facts: { dataset: 'unencrypted-point' },
      bad: (at) => [recoveryPointEvent('unencrypted-point', 'rp-plain', 'COMPLETED', at, { isEncrypted: 'false' })],
      good: (at) => [recoveryPointEvent('unencrypted-point', 'rp-sealed', 'COMPLETED', at, { isEncrypted: true })],
    }],
    ['unencrypted-sensitive: an ERP replication of customer data not encrypted in transit; a later encrypted status', {
      rule: 'unencrypted-sensitive', subject: 'unencrypted-link', severity: 'critical', facts: { detail: 'replication to dr-site is not encrypted in transit' },
      bad: (at) => [replication('unencrypted-link', 'in-sync', 1, at, { encryptedInTransit: false })],
      good: (at) => [replication('unencrypted-link', 'in-sync', 1, at)],
    }],
    ['encryption-key-at-risk: imported key material expired (KMS); a later backup under the same key, re-imported', {
      rule: 'encryption-key-at-risk', subject: 'key-expired', severity: 'high', facts: { what: 'expiry', keyArn: EXPIRING_KEY },
      bad: (at) => [keyMaterialExpired(EXPIRING_KEY, at)],
      good: (at) => [backupJob('key-expired', 'COMPLETED', at, { isEncrypted: 'true', encryptionKeyArn: EXPIRING_KEY })],
    }],
    ['replication-lag: an ERP replica an hour behind; a later in-sync status', {
      rule: 'replication-lag', subject: 'replica-lagging', severity: 'high', facts: { state: 'lagging', lagSeconds: 3600, maxLagMinutes: 15 },
      bad: (at) => [replication('replica-lagging', 'lagging', 3600, at)],
      good: (at) => [replication('replica-lagging', 'in-sync', 2, at)],
    }],
    ['replication-lag: an ERP replica broken (critical); a later in-sync status', {
      rule: 'replication-lag', subject: 'replica-broken', severity: 'critical', facts: { state: 'broken' },
      bad: (at) => [replication('replica-broken', 'broken', 7200, at)],
      good: (at) => [replication('replica-broken', 'in-sync', 0, at)],
    }],
    ['restore-test-failed: an AWS restore job FAILED, mapped through its recovery point; a later passing ERP test', {
      rule: 'restore-test-failed', subject: 'restore-job-failed', severity: 'high', facts: { problems: expect.arrayContaining(['Snapshot is corrupt']) },
      bad: (at) => [
        recoveryPointEvent('restore-job-failed', 'rp-restore', 'COMPLETED', addMinutes(at, -1)),
        awsEvent('Restore Job State Change', { restoreJobId: 'restore-1', recoveryPointArn: recoveryPoint('rp-restore'), status: 'FAILED', statusMessage: 'Snapshot is corrupt', resourceType: 'RDS', creationDate: addMinutes(at, -20).toISOString(), completionDate: at.toISOString() }, at, [recoveryPoint('rp-restore')]),
      ],
      good: (at) => [restoreTest('restore-job-failed', 'rt-ok-1', at)],
    }],
    ['restore-test-failed: an ERP restore test whose checksums differ; a later passing test', {
      rule: 'restore-test-failed', subject: 'restore-checksum', severity: 'high', facts: { problems: ['checksums differ'] },
      bad: (at) => [restoreTest('restore-checksum', 'rt-bad-2', at, { restoredChecksum: 'sha256:b' })],
      good: (at) => [restoreTest('restore-checksum', 'rt-ok-2', at)],
    }],
    ['restore-over-rto: an ERP restore test of 90 min against an RTO of 60; a later passing test', {
      rule: 'restore-over-rto', subject: 'restore-slow', severity: 'high', facts: { durationMinutes: 90, rtoMinutes: 60 },
      bad: (at) => [restoreTest('restore-slow', 'rt-slow-3', at, { startedAt: addMinutes(at, -90).toISOString() })],
      good: (at) => [restoreTest('restore-slow', 'rt-ok-3', at)],
    }],
    ['malformed-aws-event: an AWS Backup job with neither state nor status; the same event resent readable', {
      rule: 'malformed-aws-event', subject: malformedId, severity: 'low', facts: { source: 'aws.backup', detailType: 'Backup Job State Change', problems: ['detail.state / detail.status: neither is present'] },
      bad: (at) => [backupJob('resent', 'COMPLETED', at, { state: undefined }), backupJob('resent', 'COMPLETED', at, { state: undefined })].map((e) => ({ ...e, id: malformedId })),
      good: (at) => [{ ...backupJob('resent', 'COMPLETED', at), id: malformedId }],
    }],
  ];

  it.each(cases)('%s', async (_name, c) => {
    const at = new Date(h.clock.now().getTime() + 1000);
    await send(at, c.bad(at));
    const raised = await findingOf(c.rule, c.subject);
    expect(raised, `${c.rule} raised for ${c.subject}`).toMatchObject({ state: 'open', raised: { severity: c.severity, evidence: { facts: { rule: c.rule, ...c.facts } } } });
    const later = new Date(at.getTime() + 1000);
    await send(later, c.good(later));
    expect(await findingOf(c.rule, c.subject)).toMatchObject({ findingId: raised!.findingId, state: 'resolved' });
  });

  it.runIf(haveAwsSample('other.jsonl'))('encryption-key-at-risk: the real "KMS CMK Deletion" sample, replayed unchanged; a later backup under another key', async () => {
    const sample = awsSampleEvents('other.jsonl').find((e) => e['detail-type'] === 'KMS CMK Deletion')!;
    await send(new Date(h.clock.now().getTime() + 1000), [sample]);
    const raised = await findingOf('encryption-key-at-risk', 'key-deleted');
    expect(raised).toMatchObject({ state: 'open', raised: { severity: 'high', control: '1.3', evidence: { facts: { what: 'deletion', keyArn: SAMPLE_KEY } } } });
    // A backup under the deleted key proves nothing; one under another key does.
    let at = new Date(h.clock.now().getTime() + 1000);
    await send(at, [backupJob('key-deleted', 'COMPLETED', at, { encryptionKeyArn: SAMPLE_KEY })]);
    expect((await findingOf('encryption-key-at-risk', 'key-deleted'))?.state).toBe('open');
    at = new Date(at.getTime() + 1000);
    await send(at, [backupJob('key-deleted', 'COMPLETED', at, { encryptionKeyArn: OTHER_KEY })]);
    expect((await findingOf('encryption-key-at-risk', 'key-deleted'))?.state).toBe('resolved');
  });
  if (!haveAwsSample('other.jsonl')) console.warn(`skipped the KMS sample case: ${AWS_SAMPLES_DIR}/other.jsonl is absent`);
});

// ---------------------------------------------------------------------------------------
describe('AWS events sent twice and in reverse order: the same final findings', () => {

  it('an unencrypted point, a good encrypted backup, a failed job, a failed copy', async () => {
    const t = new Date(h.clock.now().getTime() + 1000);
    const story = (dataset: string) => [
      recoveryPointEvent(dataset, `${dataset}-rp-1`, 'COMPLETED', addMinutes(t, 1), { isEncrypted: 'false' }),
      backupJob(dataset, 'COMPLETED', addMinutes(t, 2), { isEncrypted: 'true', encryptionKeyArn: OTHER_KEY }),
      backupJob(dataset, 'FAILED', addMinutes(t, 3), { statusMessage: 'Backup job expired before completion' }),
      copyJob(dataset, 'FAILED', addMinutes(t, 4), { statusMessage: 'Destination vault is locked' }),
    ];
    const inOrder = story('in-order');
    const reversed = story('reversed').reverse();
    await send(addMinutes(t, 5), [...inOrder, ...inOrder]);
    await send(addMinutes(t, 5), [...reversed, ...reversed]);

    const live = async (dataset: string) => (await findingsOf())
      .filter((f) => f.raised.subject.id === dataset && f.state !== 'resolved')
      .map((f) => ({ rule: f.rule, state: f.state, severity: f.raised.severity, title: f.raised.title, facts: { ...f.raised.evidence.facts, dataset: undefined } }))
      .sort((a, b) => a.rule.localeCompare(b.rule));
    const forward = await live('in-order');
    expect(forward.map((f) => f.rule)).toEqual(['backup-failed', 'copy-not-offsite']);
    expect(await live('reversed')).toEqual(forward);
  });
});

// ---------------------------------------------------------------------------------------
describe('silence and staleness through the sweep', () => {

  /** Fires the sweep 5 minutes before `deadline` (nothing) and at it (raised, due at the deadline), then once more (not raised again). */
  async function expectRaisedWithinOneSweep(rule: string, subject: string, deadline: Date): Promise<StoredFinding> {
    // The harness fires the first fire time strictly after what it catches up to: 1 ms earlier lands on the grid.
    const before = await h.fireSchedule('backup-silence-sweep', new Date(addMinutes(deadline, -5).getTime() - 1));
    expect(before.getTime()).toBe(addMinutes(deadline, -5).getTime());
    expect(await findingOf(rule, subject), `no ${rule} for ${subject} at ${before.toISOString()}, before the deadline`).toBeUndefined();
    const first = await h.fireSchedule('backup-silence-sweep', new Date(before.getTime() + 1));
    expect(first.getTime()).toBe(deadline.getTime());
    const raised = await findingOf(rule, subject);
    expect(raised, `${rule} for ${subject} at the first sweep after ${deadline.toISOString()}`).toMatchObject({ state: 'open', raised: { dueAt: deadline.toISOString() } });
    await h.fireSchedule('backup-silence-sweep', addMinutes(first, 1));
    expect((await findingOf(rule, subject))?.history.filter((e) => e.state === 'evidence-updated')).toHaveLength(0);
    return raised!;
  }

  it('backup-silence (hot): no replication heartbeat 15 min after enrolment; a heartbeat resolves it', async () => {
    const raised = await expectRaisedWithinOneSweep('backup-silence', 'silent-hot', addMinutes(enrolledAt, 15));
    expect(raised.raised.severity).toBe('high');
    const at = new Date(h.clock.now().getTime() + 1000);
    await send(at, [h.entry('Replication Status', { system: 'silent-hot-db', dataset: 'silent-hot', replica: 'dr-site', state: 'in-sync', lagSeconds: 1, offsite: true }, at)]);
    expect((await findingOf('backup-silence', 'silent-hot'))?.state).toBe('resolved');
  });

  it('backup-silence (cold): raised high at the 7-day deadline, critical a cadence later; a good full backup resolves it', async () => {
    const deadline = addDays(enrolledAt, 7);
    const raised = await expectRaisedWithinOneSweep('backup-silence', 'silent-cold', deadline);
    expect(raised.raised).toMatchObject({ severity: 'high', evidence: { facts: { tier: 'cold', lastGoodAt: null, deadline: deadline.toISOString() } } });
    await h.fireSchedule('backup-silence-sweep', addDays(deadline, 7));
    const louder = await findingOf('backup-silence', 'silent-cold');
    expect(louder).toMatchObject({ findingId: raised.findingId, state: 'open', raised: { severity: 'critical' } });
    const at = new Date(h.clock.now().getTime() + 1000);
    await send(at, [backupJob('silent-cold', 'COMPLETED', at, { isEncrypted: 'true' })]);
    expect((await findingOf('backup-silence', 'silent-cold'))?.state).toBe('resolved');
  });

  it('restore-test-stale: medium at the 30-day deadline, high 30 days later; a passing restore test resolves it', async () => {
    const deadline = addDays(enrolledAt, 30);
    const raised = await expectRaisedWithinOneSweep('restore-test-stale', 'untested', deadline);
    expect(raised.raised).toMatchObject({ severity: 'medium', evidence: { facts: { periodDays: 30, lastPassingAt: null } } });
    await h.fireSchedule('backup-silence-sweep', addDays(deadline, 30));
    expect(await findingOf('restore-test-stale', 'untested')).toMatchObject({ findingId: raised.findingId, state: 'open', raised: { severity: 'high' } });
    const at = new Date(h.clock.now().getTime() + 1000);
    await send(at, [h.entry('Restore Test Result', { testId: 'rt-1', backupId: 'bk-1', system: 'untested-db', dataset: 'untested', restoredTo: 'restore-test-01', outcome: 'passed', startedAt: addMinutes(at, -30).toISOString(), finishedAt: at.toISOString(), testedBy: 'dba1', recordsVerified: 5, expectedRecords: 5, sourceChecksum: 'sha256:a', restoredChecksum: 'sha256:a', applicationHealthy: true }, at)]);
    expect((await findingOf('restore-test-stale', 'untested'))?.state).toBe('resolved');
  });
});

// ---------------------------------------------------------------------------------------
describe('a catalogue change: the policy edited, the runtime restarted, the next sweep', () => {
  const after = {
    backups: { ...document.backups, catalogue: [...document.backups.catalogue.filter((d) => d.id !== 'prod-config'), { ...configWithoutPlan, backupPlan: 'config-nightly' }, cold('wms', { system: 'wms-db' })] },
  };

  it('no-backup-plan and dataset-not-in-catalogue (ERP fact and AWS event) resolve once the catalogue names the plan and the dataset', async () => {
    const at = new Date(h.clock.now().getTime() + 1000);
    await send(at, [
      h.entry('Backup Completed', { backupId: 'wms-1', system: 'wms-db', tier: 'cold', kind: 'full', sizeBytes: 10, startedAt: addMinutes(at, -5).toISOString(), finishedAt: at.toISOString(), location: 'offsite-dc-2:/vault', encrypted: true }, at),
      backupJob('wms', 'COMPLETED', at),
    ]);
    expect(await findingOf('no-backup-plan', 'prod-config')).toMatchObject({ state: 'open', raised: { severity: 'high', evidence: { facts: { kind: 'configuration' } } } });
    const uncatalogued = (await findingsOf()).filter((f) => f.rule === 'dataset-not-in-catalogue');
    expect(uncatalogued.map((f) => [f.state, f.raised.severity, (f.raised.evidence.facts as { key: unknown }).key])).toEqual(expect.arrayContaining([
      ['open', 'medium', { system: 'wms-db', tier: 'cold' }],
      ['open', 'medium', expect.objectContaining({ resourceArn: rds('wms') })],
    ]));

    policy.write(after);
    await h.restart();
    await h.fireSchedule('backup-silence-sweep', addMinutes(h.clock.now(), 1));
    expect((await findingOf('no-backup-plan', 'prod-config'))?.state).toBe('resolved');
    expect((await findingsOf()).filter((f) => f.rule === 'dataset-not-in-catalogue').map((f) => f.state)).toEqual(['resolved', 'resolved']);
  });
});

