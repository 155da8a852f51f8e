import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { addDays, addMinutes } from '../../functions/shared/time.ts';
import { memoryBackupStore } from '../../functions/backup-verification/backup-store.ts';
import { recordAwsReading, recordObservation, sweep, type BackupDeps } from '../../functions/backup-verification/flows.ts';
import { readAwsEvent } from '../../functions/backup-verification/aws-events.ts';
import { retentionFloor } from '../../functions/backup-verification/catalogue.ts';
import { keyRiskCleared } from '../../functions/backup-verification/backup-checks.ts';
import { buildBackupReport, renderCsv, renderMarkdown } from '../../functions/backup-verification/backup-report.ts';
import type { Keyed, Observation } from '../../functions/backup-verification/observations.ts';

const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/finance-key';
const policy = parsePolicy({
  backups: {
    tiers: { hot: { offsiteTarget: 'dr-site-shenzhen' } },
    aws: { offsiteVaultArns: ['arn:aws:backup:eu-west-1:111122223333:backup-vault:offsite'] },
    catalogue: [
      { id: 'finance-history', system: 'kingdee-finance-db', kind: 'database', dataClasses: ['finance', 'customer'], tier: 'cold', backupPlan: 'weekly-full', rtoMinutes: 120, aws: { resourceArns: ['arn:aws:rds:eu-central-1:111122223333:db:finance'], kmsKeyArns: [KEY] } },
      { id: 'orders-live', system: 'sap-prd-hana', kind: 'database', dataClasses: ['orders'], tier: 'hot', backupPlan: 'hana-replication' },
      { id: 'prod-config', system: 'erp-config', kind: 'configuration', tier: 'cold' },
    ],
  },
});

const T0 = new Date('2026-03-02T00:00:00Z');
let n = 0;
function setup() {
  const store = memoryBackupStore();
  const published: OutgoingEvent[] = [];
  const deps: BackupDeps = { store, publisher: { publish: async (events) => void published.push(...events) }, policy };
  const raised = (rule: string) => published.filter((e) => e.detailType === 'Finding Raised' && (e.detail as { evidence: { facts: { rule: string } } }).evidence.facts.rule === rule);
  const resolved = (rule: string) => published.filter((e) => e.detailType === 'Finding Resolved' && (e.detail as { evidence: { facts: { rule: string } } }).evidence.facts.rule === rule);
  return { store, deps, published, raised, resolved };
}
const obs = (dataset: string, o: Partial<Observation> & Pick<Observation, 'kind'> & Record<string, unknown>, at: Date): Keyed => ({ key: { dataset }, observation: { eventId: `ev-${++n}`, origin: 'erp', at: at.toISOString(), ...o } as Observation });
const goodCold = (at: Date, extra: Record<string, unknown> = {}) => obs('finance-history', { kind: 'backup', ref: `bk-${n}`, full: true, offsite: true, encrypted: true, keyArn: 'other-key', retainUntil: retentionFloor(at, 1095).toISOString(), ...extra }, at);
const passingTest = (dataset: string, at: Date, extra: Record<string, unknown> = {}) => obs(dataset, { kind: 'restore-test', testId: `rt-${n}`, outcome: 'passed', startedAt: addMinutes(at, -30).toISOString(), finishedAt: at.toISOString(), recordsVerified: 10, expectedRecords: 10, sourceChecksum: 'sha256:a', restoredChecksum: 'sha256:a', applicationHealthy: true, ...extra }, at);

describe('backup-verification flows: each finding kind is raised and resolves by itself', () => {
  it.each([
    ['backup-failed', obs('finance-history', { kind: 'backup-failed', status: 'FAILED', message: 'disk full' }, T0), goodCold(addMinutes(T0, 60))],
    ['copy-not-offsite', obs('finance-history', { kind: 'copy', ok: false, offsite: false, status: 'FAILED' }, T0), obs('finance-history', { kind: 'copy', ok: true, offsite: true, status: 'COMPLETED' }, addMinutes(T0, 60))],
    ['retention-below-floor', goodCold(T0, { retainUntil: addDays(T0, 30).toISOString() }), goodCold(addMinutes(T0, 60))],
    ['unencrypted-sensitive', goodCold(T0, { encrypted: false }), goodCold(addMinutes(T0, 60))],
    ['restore-test-failed', passingTest('finance-history', T0, { recordsVerified: 9 }), passingTest('finance-history', addMinutes(T0, 60))],
    ['restore-over-rto', passingTest('finance-history', T0, { startedAt: addMinutes(T0, -300).toISOString() }), passingTest('finance-history', addMinutes(T0, 60))],
    ['replication-lag', obs('orders-live', { kind: 'replication', replica: 'dr', state: 'lagging', lagSeconds: 3600, offsite: true }, T0), obs('orders-live', { kind: 'replication', replica: 'dr', state: 'in-sync', lagSeconds: 2, offsite: true }, addMinutes(T0, 5))],
  ])('%s', async (rule, bad, good) => {
    const { deps, raised, resolved } = setup();
    await recordObservation(deps, bad, bad.observation.at > T0.toISOString() ? new Date(bad.observation.at) : T0);
    expect(raised(rule)).toHaveLength(1);
    await recordObservation(deps, good, new Date(good.observation.at));
    expect(resolved(rule)).toHaveLength(1);
  });

  it('a late-delivered failure older than the last good backup raises nothing', async () => {
    const { deps, raised } = setup();
    await recordObservation(deps, goodCold(addMinutes(T0, 60)), addMinutes(T0, 60));
    await recordObservation(deps, obs('finance-history', { kind: 'backup-failed', status: 'FAILED' }, T0), addMinutes(T0, 61));
    expect(raised('backup-failed')).toHaveLength(0);
  });

  it('encryption-key-at-risk: a KMS deletion naming the dataset\'s key; resolved by a backup under another key', async () => {
    const { deps, raised, resolved } = setup();
    await recordObservation(deps, goodCold(T0, { keyArn: KEY }), T0);
    const reading = readAwsEvent({ version: '0', id: 'kms-1', 'detail-type': 'KMS CMK Deletion', source: 'aws.kms', account: '111122223333', time: addMinutes(T0, 10).toISOString(), region: 'eu-central-1', resources: [KEY], detail: { 'key-id': 'finance-key' } }, policy.backups);
    await recordAwsReading(deps, reading, addMinutes(T0, 10));
    expect(raised('encryption-key-at-risk')).toHaveLength(1);
    await recordObservation(deps, goodCold(addMinutes(T0, 60), { keyArn: 'arn:aws:kms:eu-central-1:111122223333:key/new' }), addMinutes(T0, 60));
    expect(resolved('encryption-key-at-risk')).toHaveLength(1);
  });

  it('silence: a cold dataset that never backs up raises exactly one finding at its deadline, louder a period later, and resolves on a good backup', async () => {
    const { deps, raised, resolved } = setup();
    const finance = () => raised('backup-silence').filter((e) => (e.detail as { subject: { id: string } }).subject.id === 'finance-history');
    await sweep(deps, T0); // enrols the catalogue
    for (let m = 5; m < 7 * 24 * 60; m += 5 * 60) await sweep(deps, addMinutes(T0, m));
    expect(finance()).toHaveLength(0);
    const deadline = addDays(T0, 7);
    for (let m = 0; m < 60; m += 5) await sweep(deps, addMinutes(deadline, m));
    expect(finance()).toHaveLength(1);
    expect((finance()[0]!.detail as { severity: string; dueAt: string }).severity).toBe('high');
    expect((finance()[0]!.detail as { dueAt: string }).dueAt).toBe(deadline.toISOString());
    await sweep(deps, addDays(deadline, 7));
    expect(finance().map((e) => (e.detail as { severity: string }).severity)).toEqual(['high', 'critical']);
    await recordObservation(deps, goodCold(addDays(deadline, 7)), addDays(deadline, 7));
    expect(resolved('backup-silence').filter((e) => (e.detail as { subject: { id: string } }).subject.id === 'finance-history')).toHaveLength(1);
  });

  it('silence of a hot dataset: no heartbeat within 15 minutes', async () => {
    const { deps, raised, resolved } = setup();
    await sweep(deps, T0);
    await sweep(deps, addMinutes(T0, 10));
    expect(raised('backup-silence')).toHaveLength(0);
    await sweep(deps, addMinutes(T0, 15));
    await sweep(deps, addMinutes(T0, 20));
    expect(raised('backup-silence').map((e) => (e.detail as { subject: { id: string } }).subject.id)).toEqual(['orders-live']);
    await recordObservation(deps, obs('orders-live', { kind: 'replication', replica: 'dr', state: 'in-sync', lagSeconds: 1, offsite: true }, addMinutes(T0, 21)), addMinutes(T0, 21));
    expect(resolved('backup-silence')).toHaveLength(1);
  });

  it('restore-test-stale: severity rises with age; a passing test resolves it; an inconclusive one does not', async () => {
    const { deps, raised, resolved } = setup();
    await sweep(deps, T0);
    await recordObservation(deps, goodCold(addDays(T0, 29)), addDays(T0, 29));
    await sweep(deps, addDays(T0, 30));
    await sweep(deps, addDays(T0, 30.5));
    await recordObservation(deps, goodCold(addDays(T0, 36)), addDays(T0, 36));
    await sweep(deps, addDays(T0, 60));
    await recordObservation(deps, goodCold(addDays(T0, 61)), addDays(T0, 61));
    expect(raised('restore-test-stale').filter((e) => (e.detail as { subject: { id: string } }).subject.id === 'finance-history').map((e) => (e.detail as { severity: string }).severity)).toEqual(['medium', 'high']);
    await recordObservation(deps, passingTest('finance-history', addDays(T0, 62), { sourceChecksum: undefined }), addDays(T0, 62));
    expect(resolved('restore-test-stale')).toHaveLength(0);
    await recordObservation(deps, passingTest('finance-history', addDays(T0, 63)), addDays(T0, 63));
    expect(resolved('restore-test-stale').map((e) => (e.detail as { subject: { id: string } }).subject.id)).toContain('finance-history');
  });

  it('no-backup-plan: raised for a catalogued dataset without a plan; resolved once the policy names one', async () => {
    const { deps, raised, resolved, store } = setup();
    await sweep(deps, T0);
    expect(raised('no-backup-plan').map((e) => (e.detail as { subject: { id: string } }).subject.id)).toEqual(['prod-config']);
    const fixed = parsePolicy({ backups: { ...policy.backups, catalogue: policy.backups.catalogue.map((d) => (d.id === 'prod-config' ? { ...d, backupPlan: 'config-nightly' } : d)) } });
    await sweep({ ...deps, policy: fixed, store }, addMinutes(T0, 5));
    expect(resolved('no-backup-plan')).toHaveLength(1);
  });

  it('dataset-not-in-catalogue: raised for unknown evidence; resolved once the catalogue lists it', async () => {
    const { deps, raised, resolved, store } = setup();
    await recordObservation(deps, { key: { system: 'wms-db', tier: 'cold' }, observation: { eventId: 'x1', origin: 'erp', at: T0.toISOString(), kind: 'backup', ref: 'b', full: true } }, T0);
    expect(raised('dataset-not-in-catalogue')).toHaveLength(1);
    const listed = parsePolicy({ backups: { ...policy.backups, catalogue: [...policy.backups.catalogue, { id: 'wms', system: 'wms-db', kind: 'database', tier: 'cold', backupPlan: 'p' }] } });
    await sweep({ ...deps, policy: listed, store }, addMinutes(T0, 5));
    expect(resolved('dataset-not-in-catalogue')).toHaveLength(1);
  });

  it('malformed-aws-event: flagged once (sticky), not an error; the same event resent readable resolves it, for good', async () => {
    const { deps, raised, resolved } = setup();
    const bad = { id: 'weird-1', source: 'aws.backup', 'detail-type': 'Backup Job State Change', time: T0.toISOString(), detail: { backupJobId: 'j1', resourceArn: 'arn:x' } };
    await recordAwsReading(deps, readAwsEvent(bad, policy.backups), T0);
    await recordAwsReading(deps, readAwsEvent(bad, policy.backups), T0);
    expect(raised('malformed-aws-event')).toHaveLength(1);
    // Another readable event does not clear it; the same one (source and id) resent readable does.
    await recordAwsReading(deps, readAwsEvent({ ...bad, id: 'other-1', detail: { ...bad.detail, state: 'FAILED' } }, policy.backups), addMinutes(T0, 1));
    expect(resolved('malformed-aws-event')).toHaveLength(0);
    const fixed = await recordAwsReading(deps, readAwsEvent({ ...bad, detail: { ...bad.detail, state: 'FAILED' } }, policy.backups), addMinutes(T0, 2));
    expect(resolved('malformed-aws-event')).toHaveLength(1);
    expect(fixed.resolved).toHaveLength(1);
    await recordAwsReading(deps, readAwsEvent(bad, policy.backups), addMinutes(T0, 3));
    expect(raised('malformed-aws-event')).toHaveLength(1);
  });

  it('the report lists every dataset with its figures', async () => {
    const { deps } = setup();
    await sweep(deps, T0);
    await recordObservation(deps, goodCold(addDays(T0, 1)), addDays(T0, 1));
    await recordObservation(deps, passingTest('finance-history', addDays(T0, 2)), addDays(T0, 2));
    const report = await buildBackupReport(deps.store, policy, '2026-03');
    const finance = report.rows.find((r) => r.dataset === 'finance-history')!;
    expect(finance).toMatchObject({ tier: 'cold', offsite: 'yes', retention: 'ok', encryption: 'encrypted', restoreTestsRun: 1, restoreTestsPassed: 1 });
    expect(report.rows.find((r) => r.dataset === 'prod-config')!.openFindings).toContain('no-backup-plan');
    expect(renderMarkdown(report)).toContain('# Backup report 2026-03');
    expect(renderCsv(report).split('\n')[0]).toContain('worstGapHours');
  });
});

describe('keyRiskCleared: what a later encrypted backup proves about a key at risk', () => {
  const risk = (what: 'deletion' | 'expiry') => ({ at: '2026-03-02T00:00:00.000Z', eventId: 'kms-1', keyArn: KEY, what });
  const backup = (at: string, keyArn?: string) => ({ at, eventId: 'b-1', ...(keyArn ? { keyArn } : {}) });
  it.each([
    ['deletion', 'no backup since', undefined, false],
    ['deletion', 'a backup under the deleted key', backup('2026-03-03T00:00:00.000Z', KEY), false],
    ['deletion', 'a backup under another key', backup('2026-03-03T00:00:00.000Z', 'other'), true],
    ['deletion', 'a backup under another key, before the deletion', backup('2026-03-01T00:00:00.000Z', 'other'), false],
    ['expiry', 'a backup under the same key (material re-imported)', backup('2026-03-03T00:00:00.000Z', KEY), true],
    ['expiry', 'a backup under another key', backup('2026-03-03T00:00:00.000Z', 'other'), true],
    ['expiry', 'an encrypted backup naming no key', backup('2026-03-03T00:00:00.000Z'), false],
    ['expiry', 'a backup under the same key at the same instant', backup('2026-03-02T00:00:00.000Z', KEY), false],
  ] as const)('%s, %s: %s', (what, _case, encrypted, cleared) => {
    expect(keyRiskCleared(risk(what), encrypted)).toBe(cleared);
  });
});

describe('retention floor is leap-aware', () => {
  it('1,095 days from 2027-03-01 spans 29 February 2028: the floor is 2030-03-01', () => {
    expect(retentionFloor('2027-03-01T00:00:00Z', 1095).toISOString()).toBe('2030-03-01T00:00:00.000Z');
  });
});
