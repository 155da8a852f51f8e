/**
 * backup-verification through the local runtime: AWS Backup and KMS events injected on the bus
 * as AWS sends them (odd ids and accounts, numbers and booleans as strings), an ERP restore
 * test put through PutEvents, and the sweep fired on the virtual schedule.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDays, addMinutes } from '../../functions/shared/time.ts';
import { readAwsEvent } from '../../functions/backup-verification/aws-events.ts';
import { parsePolicy, POLICY_FILE_ENV } from '../../schemas/policy-loader.ts';
import type { BusEvent } from '../../runtime/put-events.ts';
import { runReportCommand } from '../../cli/report.ts';
import { backupsPolicy, customers, CUSTOMER_DB, FINANCE_DB, financeHistory } from '../support/backup-catalogue.ts';
import { captureStdout } from '../support/capture-stdout.ts';
import { AWS_SAMPLES_DIR, awsSampleEvents, haveAwsSample } from '../support/aws-samples.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const document = { backups: backupsPolicy(financeHistory, customers) };

let h: PipelineHarness;
let policyDir: string;

beforeAll(async () => {
  policyDir = mkdtempSync(join(tmpdir(), 'erpgov-backup-policy-'));
  writeFileSync(join(policyDir, 'policy.json'), JSON.stringify(document));
  vi.stubEnv(POLICY_FILE_ENV, join(policyDir, 'policy.json'));
  h = await startPipelineHarness('backups');
});
afterAll(async () => {
  await h?.stop();
  vi.unstubAllEnvs();
  rmSync(policyDir, { recursive: true, force: true });
});

let seq = 0;
const awsEvent = (detailType: string, detail: Record<string, unknown>, at: Date, extra: Partial<BusEvent> = {}): BusEvent => ({
  version: '0', id: `aws-${++seq}-not-a-uuid`, 'detail-type': detailType, source: 'aws.backup', account: '1111222233334', time: at.toISOString().replace('.000', ''), region: 'eu-central-1', resources: [], detail, ...extra,
});
const raisedRules = async () => (await h.published<{ subject: { id: string }; severity: string; evidence: { facts: { rule: string } } }>('Finding Raised', 'erpgov.backup-verification')).map((e) => `${e.detail.evidence.facts.rule}:${e.detail.subject.id}`);
const resolvedRules = async () => (await h.published<{ subject: { id: string }; evidence: { facts: { rule: string } } }>('Finding Resolved', 'erpgov.backup-verification')).map((e) => `${e.detail.evidence.facts.rule}:${e.detail.subject.id}`);

describe('backup-verification through the runtime', () => {
  it('a failed AWS Backup job, an unencrypted sensitive recovery point, silence at the deadline, and their resolution', async () => {
    const now = new Date();
    await h.fireSchedule('backup-silence-sweep', now); // enrols the catalogue
    await h.inject([
      awsEvent('Backup Job State Change', { backupJobId: 'job-1', state: 'FAILED', statusMessage: 'Insufficient privileges', resourceArn: FINANCE_DB, resourceType: 'RDS', backupSizeInBytes: '0', creationDate: now.toISOString() }, now),
      awsEvent('Recovery Point State Change', { recoveryPointArn: 'arn:aws:backup:eu-central-1:111122223333:recovery-point:rp-1', resourceArn: CUSTOMER_DB, status: 'COMPLETED', isEncrypted: 'false', backupSizeInBytes: '7200', creationDate: now.toISOString() }, now),
      awsEvent('Backup Job State Change', { backupJobId: 'job-2', resourceArn: FINANCE_DB }, now), // neither state nor status
    ]);
    expect(await raisedRules()).toEqual(expect.arrayContaining(['backup-failed:finance-history', 'unencrypted-sensitive:customers']));
    expect((await raisedRules()).filter((r) => r.startsWith('malformed-aws-event'))).toHaveLength(1);

    // No good backup of finance within 7 days: one silence finding at the deadline, not one per sweep.
    const deadline = addDays(now, 7);
    await h.fireSchedule('backup-silence-sweep', addMinutes(deadline, 5));
    await h.fireSchedule('backup-silence-sweep', addMinutes(deadline, 10));
    expect((await raisedRules()).filter((r) => r === 'backup-silence:finance-history')).toHaveLength(1);

    const later = addMinutes(deadline, 15);
    await h.inject([
      awsEvent('Backup Job State Change', { backupJobId: 'job-3', state: 'COMPLETED', resourceArn: FINANCE_DB, backupSizeInBytes: '7200', isEncrypted: 'true', creationDate: later.toISOString(), completionDate: later.toISOString() }, later),
      awsEvent('Recovery Point State Change', { recoveryPointArn: 'arn:aws:backup:eu-central-1:111122223333:recovery-point:rp-2', resourceArn: CUSTOMER_DB, status: 'COMPLETED', isEncrypted: true, creationDate: later.toISOString() }, later),
    ]);
    expect(await resolvedRules()).toEqual(expect.arrayContaining(['backup-failed:finance-history', 'backup-silence:finance-history', 'unencrypted-sensitive:customers']));
  });

  it('an ERP restore test that shows mismatched counts is a finding; a passing one resolves it', async () => {
    const at = new Date();
    const test = (testId: string, recordsVerified: number) => h.entry('Restore Test Result', { testId, backupId: 'bk-1', system: 'crm-db', dataset: 'customers', restoredTo: 'restore-test-01', outcome: 'passed', startedAt: addMinutes(at, -20).toISOString(), finishedAt: at.toISOString(), testedBy: 'dba1', recordsVerified, expectedRecords: 100, sourceChecksum: 'sha256:a', restoredChecksum: 'sha256:a', applicationHealthy: true }, at);
    await h.put([test('rt-1', 99)]);
    expect(await raisedRules()).toContain('restore-test-failed:customers');
    await h.put([test('rt-2', 100)]);
    expect(await resolvedRules()).toContain('restore-test-failed:customers');
  });
});

describe('erpgov report backups', () => {
  it('prints the month per dataset and tier', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const { output: out } = await captureStdout(() => runReportCommand(['backups', '--month', month, '--format', 'csv', '--endpoint', h.runtime.dynamoDbUrl]));
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^month,dataset,system,tier,lastGoodBackup,worstGapHours/);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['finance-history', 'customers']);
  });
});

describe('the real AWS samples', () => {
  it.skipIf(!haveAwsSample('other.jsonl'))('every aws.kms / aws.backup sample reads without a malformed verdict', () => {
    const policy = parsePolicy(document).backups;
    const ours = awsSampleEvents('other.jsonl').filter((e) => e.source === 'aws.kms' || e.source === 'aws.backup');
    expect(ours.length).toBeGreaterThan(0);
    for (const event of ours) expect(readAwsEvent(event, policy).kind).not.toBe('malformed');
  });
  if (!haveAwsSample('other.jsonl')) console.warn(`skipped: ${AWS_SAMPLES_DIR}/other.jsonl is absent`);
});
