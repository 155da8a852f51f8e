/**
 * change-approvals through the local runtime: ERP facts put through the EventBridge endpoint,
 * approver roles held through access governance's own state, AWS's own deployment events
 * injected into the bus as AWS emits them, findings read back from the audit trail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clearPolicyCache, POLICY_FILE_ENV } from '../../schemas/policy-loader.ts';
import type { FindingRaised } from '../../schemas/registry.ts';
import { awsSampleEvents, haveAwsSample, prodStageSucceeded } from '../support/aws-samples.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const HOUR = 3_600_000;
let h: PipelineHarness;
const now = Date.now();
const at = (offsetMs: number) => new Date(now + offsetMs);
// A daily one-hour freeze that began 10 h ago (and next begins 14 h from now).
const lastFreezeStart = new Date(Math.floor((now - 10 * HOUR) / 1000) * 1000);
const icsTime = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
let policyDir = '';

beforeAll(async () => {
  const dir = (policyDir = mkdtempSync(join(tmpdir(), 'erpgov-change-policy-')));
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//erpgov//test//EN', 'BEGIN:VEVENT', 'UID:nightly', `DTSTART:${icsTime(new Date(lastFreezeStart.getTime() - 30 * 24 * HOUR))}`, `DTEND:${icsTime(new Date(lastFreezeStart.getTime() - 30 * 24 * HOUR + HOUR))}`, 'RRULE:FREQ=DAILY', 'SUMMARY:nightly batch freeze', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ change: { freeze: { calendars: [{ name: 'nightly', ics }] } } }));
  vi.stubEnv(POLICY_FILE_ENV, join(dir, 'policy.json'));
  clearPolicyCache();
  h = await startPipelineHarness('change-approvals');
  await h.put([
    h.entry('Role Assigned', { account: 'bob', person: 'E-2', role: 'department-head', modules: ['orders'], permissions: ['change.approve'], job: 'sales', grantedBy: 'admin' }, at(-240 * HOUR)),
    h.entry('Role Assigned', { account: 'carol', person: 'E-3', role: 'it-lead', modules: ['orders'], permissions: ['change.approve'], job: 'sales', grantedBy: 'admin' }, at(-240 * HOUR)),
    h.entry('Role Assigned', { account: 'alice', person: 'E-1', role: 'it-lead', modules: ['orders'], permissions: ['change.approve'], job: 'sales', grantedBy: 'admin' }, at(-240 * HOUR)),
  ]);
}, 60_000);

afterAll(async () => {
  await h?.stop();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  vi.unstubAllEnvs();
  clearPolicyCache();
});

const raised = async (subjectId: string) => (await h.published<FindingRaised>('Finding Raised', 'erpgov.change-approvals')).filter((f) => f.detail.subject.id === subjectId).map((f) => f.detail);
const rules = async (subjectId: string) => [...new Set((await raised(subjectId)).map((f) => String(f.evidence.facts?.rule ?? '')))];
const request = (changeId: string, requestedBy: string, extra: Record<string, unknown> = {}) => ({
  changeId,
  title: `change ${changeId}`,
  kind: 'patch',
  requestedBy,
  modules: ['orders'],
  targetEnvironment: 'production',
  rollbackPlan: 'revert the merge',
  codeVersion: 'git:v1',
  configuration: ['config/a.yaml@sha256:1'],
  databaseScripts: ['db/1.sql@sha256:2'],
  window: { start: at(-48 * HOUR).toISOString(), end: at(HOUR).toISOString() },
  risk: 'low',
  ...extra,
});
const deployed = (changeId: string, codeVersion: string) => ({ changeId, environment: 'production', deployedBy: 'pipeline', method: 'version-control', artefacts: { codeVersion, configuration: ['config/a.yaml@sha256:1'], databaseScripts: ['db/1.sql@sha256:2'] } });

describe('change-approvals through the runtime', () => {
  it('raises the 4.1 finding when the requester approves their own change', async () => {
    await h.put([
      h.entry('Change Requested', request('CHG-A', 'alice'), at(-30 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-A', approver: 'alice', role: 'it' }, at(-29 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-A', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
    ]);
    const findings = await raised('CHG-A');
    expect(findings.map((f) => f.control)).toContain('4.1');
    expect(await rules('CHG-A')).toContain('self-approval');
  });

  it('raises nothing for B (business) and C (IT lead), tested and deployed at the same version; another version is a 4.3 critical', async () => {
    await h.put([
      h.entry('Change Requested', request('CHG-B', 'alice', { window: { start: at(-8 * HOUR).toISOString(), end: at(HOUR).toISOString() } }), at(-30 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-B', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-B', approver: 'carol', role: 'it' }, at(-28 * HOUR)),
      h.entry('Change Tested', { changeId: 'CHG-B', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:v1' }, at(-27 * HOUR)),
    ]);
    await h.put([h.entry('Change Deployed', deployed('CHG-B', 'git:v1'), at(-2 * HOUR))]);
    expect(await raised('CHG-B')).toEqual([]);
    await h.put([h.entry('Change Deployed', deployed('CHG-B', 'git:v2'), at(-HOUR))]);
    const mismatch = (await raised('CHG-B')).find((f) => f.evidence.facts?.rule === 'version-mismatch');
    expect(mismatch).toMatchObject({ control: '4.3', severity: 'critical' });
  });

  it('raises the freeze finding for a deploy inside the recurring freeze', async () => {
    await h.put([
      h.entry('Change Requested', request('CHG-F', 'alice'), at(-30 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-F', approver: 'bob', role: 'business' }, at(-29 * HOUR)),
      h.entry('Change Approved', { changeId: 'CHG-F', approver: 'carol', role: 'it' }, at(-28 * HOUR)),
      h.entry('Change Tested', { changeId: 'CHG-F', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:v1' }, at(-27 * HOUR)),
      h.entry('Change Deployed', deployed('CHG-F', 'git:v1'), new Date(lastFreezeStart.getTime() + 30 * 60_000)),
    ]);
    expect(await rules('CHG-F')).toContain('deployed-in-freeze');
  });

  it.skipIf(!haveAwsSample('deploy.jsonl') || !haveAwsSample('cloudformation.jsonl'))('raises the 4.4 critical for AWS CodePipeline and CloudFormation production events with no request', async () => {
    const time = at(-HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
    const stage = prodStageSucceeded(time) as Record<string, unknown>;
    const stack = awsSampleEvents('cloudformation.jsonl').find((e) => e['detail-type'] === 'CloudFormation Stack Status Change') as Record<string, unknown>;
    await h.inject([
      { ...stage, id: 'aws-pipeline-1', detail: { ...(stage.detail as object), pipeline: 'erp-release', 'execution-id': 'exec-unmatched' } },
      { ...stack, id: 'aws-stack-1', time, detail: { ...(stack.detail as object), 'stack-id': 'arn:aws:cloudformation:us-west-1:111122223333:stack/erp-prod/1' } },
    ]);
    const gate = (await h.published<FindingRaised>('Finding Raised', 'erpgov.change-approvals')).map((f) => f.detail).filter((f) => f.subject.type === 'production-change' && f.evidence.facts?.rule === 'direct-production-edit');
    expect(gate.map((f) => f.subject.id).sort()).toEqual([expect.stringMatching(/^cloudformation:.*erp-prod/), 'codepipeline:erp-release:exec-unmatched']);
    expect(gate.every((f) => f.control === '4.4' && f.severity === 'critical')).toBe(true);
  });
});
