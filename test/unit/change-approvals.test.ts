/**
 * change-approvals' rules over the in-memory stores: 4.1 dual sign-off (self-approval, same
 * person twice, an approver who lost the role before approving, approvals before the request),
 * 4.2 tested first, 4.3 versions recorded, 4.4 direct edits and AWS's own deployment events,
 * freeze calendars (RRULE + EXDATE across a DST change) with and without emergency sign-off.
 */
import { describe, expect, it } from 'vitest';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { changeStore, memoryChangeItems } from '../../functions/change-approvals/change-store.ts';
import { freezeCalendars, judgeAwsEvent, monthlyChangeReport, recordChangeFact, sweepEmergencies, type ChangeDeps } from '../../functions/change-approvals/flows.ts';
import { readAwsGateEvent } from '../../functions/change-approvals/aws-events.ts';
import { awsGateRecordsCoveredBy, pipelineGateRecords, summariseChange } from '../../functions/change-approvals/change-decisions.ts';
import { awsSampleEvents, haveAwsSample, prodStageSucceeded } from '../support/aws-samples.ts';
import { renderCsv, renderMarkdown } from '../../functions/change-approvals/change-report.ts';
import { parseFreezeCalendar } from '../../schemas/freeze-calendar.ts';
import { parseWholePolicy } from '../../schemas/policy-checks.ts';
import { parsePolicy, PolicyError } from '../../schemas/policy-loader.ts';
import type { Policy } from '../../schemas/policy.ts';

const WEEKLY_FREEZE = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//erpgov//test//EN',
  'BEGIN:VEVENT',
  'UID:friday-night-freeze',
  'DTSTART;TZID=Europe/Berlin:20260320T220000',
  'DTEND;TZID=Europe/Berlin:20260321T020000',
  'RRULE:FREQ=WEEKLY;BYDAY=FR',
  'EXDATE;TZID=Europe/Berlin:20260403T220000',
  'SUMMARY:Friday night freeze',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

function setup(policyDoc: Record<string, unknown> = {}) {
  const policy: Policy = parsePolicy(policyDoc);
  const items = memoryChangeItems();
  const published: OutgoingEvent[] = [];
  const findings = memoryFindingsStore();
  const deps: ChangeDeps = {
    store: changeStore(items),
    roles: {
      async holdings(account, role) {
        return (await items.query(`ACCESS#ACCT#${account}`, `ROLE#${role}#`)).map((i) => ({ state: i.state as 'assigned' | 'revoked', eventTime: String(i.eventTime), grantKey: 'standing' }));
      },
    },
    findings,
    publisher: { publish: async (events) => void published.push(...events) },
    policy,
    calendars: freezeCalendars(policy),
  };
  const grant = (account: string, role: string, eventTime: string, state: 'assigned' | 'revoked' = 'assigned') => items.put(`ACCESS#ACCT#${account}`, `ROLE#${role}#standing`, { account, role, grantKey: 'standing', state, eventTime, eventId: `${account}-${role}-${state}` });
  let n = 0;
  const fact = (detailType: string, time: string, detail: Record<string, unknown>) => recordChangeFact(deps, { eventId: `ev-${++n}`, detailType, time, detail: { schemaVersion: 1, ...detail } }, new Date(time));
  /** CHG-1 approved by `approver` in the capacity `role`. */
  const approve = (time: string, approver: string, role: 'business' | 'it') => fact('Change Approved', time, { changeId: 'CHG-1', approver, role });
  /** CHG-1's tests passed in QAS, by dave, at `codeVersion`. */
  const testsPassed = (time: string, codeVersion = 'git:abc123') => fact('Change Tested', time, { changeId: 'CHG-1', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion });
  /** CHG-1 requested at 08:00 on 9 March, then approved at 09:00 and 10:00 by the two signers, in order. */
  type Signer = readonly [approver: string, role: 'business' | 'it'];
  const requestSignedOff = async (first: Signer, second: Signer) => {
    await fact('Change Requested', '2026-03-09T08:00:00Z', request());
    await approve('2026-03-09T09:00:00Z', ...first);
    await approve('2026-03-09T10:00:00Z', ...second);
  };
  const live = () => [...findings.records.values()].filter((r) => r.finding.state !== 'resolved').map((r) => r.finding.rule);
  const liveFindings = () => [...findings.records.values()].filter((r) => r.finding.state !== 'resolved').map((r) => r.finding);
  return { deps, policy, items, grant, fact, approve, testsPassed, requestSignedOff, live, liveFindings, published };
}

const request = (overrides: Record<string, unknown> = {}) => ({
  changeId: 'CHG-1',
  title: 'Index on order date',
  kind: 'patch',
  requestedBy: 'alice',
  modules: ['orders'],
  targetEnvironment: 'production',
  rollbackPlan: 'drop the index',
  codeVersion: 'git:abc123',
  configuration: ['config/orders.yaml@sha256:11'],
  databaseScripts: ['db/add-index.sql@sha256:22'],
  window: { start: '2026-03-10T00:00:00Z', end: '2026-03-12T00:00:00Z' },
  risk: 'low',
  ...overrides,
});
const deployed = (codeVersion = 'git:abc123', extra: Record<string, unknown> = {}) => ({
  changeId: 'CHG-1',
  environment: 'production',
  deployedBy: 'pipeline',
  method: 'version-control',
  artefacts: { codeVersion, configuration: ['config/orders.yaml@sha256:11'], databaseScripts: ['db/add-index.sql@sha256:22'] },
  ...extra,
});

async function approvers(s: ReturnType<typeof setup>) {
  await s.grant('bob', 'department-head', '2026-01-01T00:00:00Z');
  await s.grant('carol', 'it-lead', '2026-01-01T00:00:00Z');
}

describe('4.1 dual sign-off', () => {
  it('raises nothing for a change approved by business and IT, tested and deployed at the same version', async () => {
    const s = setup();
    await approvers(s);
    await s.requestSignedOff(['bob', 'business'], ['carol', 'it']);
    await s.testsPassed('2026-03-09T12:00:00Z');
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed());
    expect(s.live()).toEqual([]);
  });

  it('flags self-approval, and the deploy without a valid second sign-off', async () => {
    const s = setup();
    await s.grant('alice', 'it-lead', '2026-01-01T00:00:00Z');
    await s.grant('bob', 'department-head', '2026-01-01T00:00:00Z');
    await s.requestSignedOff(['alice', 'it'], ['bob', 'business']);
    expect(s.live()).toEqual(['self-approval']);
    await s.testsPassed('2026-03-09T12:00:00Z');
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed());
    expect(s.live().sort()).toEqual(['deployed-without-sign-off', 'self-approval']);
  });

  interface SignOffCase {
    what: string;
    grants: Parameters<ReturnType<typeof setup>['grant']>[];
    signers: Parameters<ReturnType<typeof setup>['requestSignedOff']>;
    raised: string;
  }
  const signOffCases: SignOffCase[] = [
    {
      what: 'the same person signing in both capacities',
      grants: [['bob', 'department-head', '2026-01-01T00:00:00Z'], ['bob', 'it-lead', '2026-01-01T00:00:00Z']],
      signers: [['bob', 'business'], ['bob', 'it']],
      raised: 'same-approver-twice',
    },
    {
      what: 'an approver who lost the role before approving, but not one who lost it after',
      grants: [['bob', 'department-head', '2026-03-01T00:00:00Z', 'revoked'], ['carol', 'it-lead', '2026-03-20T00:00:00Z', 'revoked']],
      signers: [['bob', 'business'], ['carol', 'it']],
      raised: 'approver-lacks-role',
    },
  ];
  for (const { what, grants, signers, raised } of signOffCases) {
    it(`flags ${what}`, async () => {
      const s = setup();
      for (const grant of grants) await s.grant(...grant);
      await s.requestSignedOff(...signers);
      expect(s.live()).toEqual([raised]);
    });
  }

  it('keeps an approval that arrives before its request and applies it when the request comes', async () => {
    const s = setup();
    await approvers(s);
    await s.approve('2026-03-09T09:00:00Z', 'bob', 'business');
    expect(s.live()).toEqual(['approval-without-request']);
    await s.approve('2026-03-09T10:00:00Z', 'carol', 'it');
    await s.fact('Change Requested', '2026-03-09T08:00:00Z', request());
    expect(s.live()).toEqual([]);
  });

  it('asks for re-approval when the request changes after sign-off, and a rejection ends the request', async () => {
    const s = setup();
    await approvers(s);
    await s.fact('Change Requested', '2026-03-09T08:00:00Z', request());
    await s.approve('2026-03-09T09:00:00Z', 'bob', 'business');
    await s.fact('Change Requested', '2026-03-09T09:30:00Z', request({ codeVersion: 'git:def456' }));
    expect(s.live()).toEqual(['re-approval-needed']);
    await s.fact('Change Rejected', '2026-03-09T11:00:00Z', { changeId: 'CHG-1', approver: 'carol', role: 'it', reason: 'too risky' });
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed('git:def456'));
    expect(s.live()).toContain('deployed-after-rejection');
  });

  it('names the missing request fields', async () => {
    const s = setup();
    await s.fact('Change Requested', '2026-03-09T08:00:00Z', request({ rollbackPlan: undefined, window: undefined, risk: undefined }));
    const [finding] = s.liveFindings();
    expect(finding?.rule).toBe('request-incomplete');
    expect(finding?.raised.evidence.facts).toMatchObject({ missing: ['rollbackPlan', 'window', 'risk'] });
  });
});

describe('4.2 tested first, 4.3 versions recorded, 4.4 direct edits', () => {
  async function signedOff(s: ReturnType<typeof setup>) {
    await approvers(s);
    await s.requestSignedOff(['bob', 'business'], ['carol', 'it']);
  }

  it('flags a deploy of an untested version (a test of another version does not count)', async () => {
    const s = setup();
    await signedOff(s);
    await s.testsPassed('2026-03-09T12:00:00Z', 'git:other');
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed());
    expect(s.live()).toEqual(['untested-version']);
  });

  it('flags a deployed version that differs from the approved one as critical', async () => {
    const s = setup();
    await signedOff(s);
    await s.testsPassed('2026-03-09T12:00:00Z');
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed('git:zzz999'));
    const mismatch = s.liveFindings().find((f) => f.rule === 'version-mismatch');
    expect(mismatch?.raised.severity).toBe('critical');
    expect(mismatch?.raised.control).toBe('4.3');
  });

  it('flags a deploy with no request, and a production configuration edit with no change, as direct production edits', async () => {
    const s = setup();
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed());
    await s.fact('Configuration Modified', '2026-03-10T23:00:00Z', { configKey: 'pricing.max', module: 'orders', environment: 'PRD', modifiedBy: 'eve', channel: 'console' });
    const edits = s.liveFindings().filter((f) => f.rule === 'direct-production-edit');
    expect(edits).toHaveLength(2);
    expect(edits.every((f) => f.raised.severity === 'critical')).toBe(true);
  });
});

describe('the production gate\'s record of a change\'s own deploy', () => {
  it('is matched once the change has a request, whichever arrived first', () => {
    const policy = parsePolicy({});
    const inputs = { policy, roleHeld: new Map<string, boolean>(), freezeAt: new Map<string, string | undefined>() };
    const deploy = { eventId: 'd1', detailType: 'Change Deployed', time: '2026-03-10T22:00:00.000Z', detail: { schemaVersion: 1, ...deployed() } };
    const requested = { eventId: 'r1', detailType: 'Change Requested', time: '2026-03-09T08:00:00.000Z', detail: { schemaVersion: 1, ...request() } };
    expect(pipelineGateRecords(summariseChange('CHG-1', [deploy], inputs))).toEqual([
      { changeKey: 'pipeline:d1', time: '2026-03-10T22:00:00.000Z', eventIds: ['d1'], origin: 'pipeline', summary: 'Change Deployed CHG-1 to production', resource: 'CHG-1' },
    ]);
    expect(pipelineGateRecords(summariseChange('CHG-1', [deploy, requested], inputs))).toMatchObject([{ changeKey: 'pipeline:d1', matchedChangeId: 'CHG-1' }]);
  });

  it('an unmatched AWS production change on a declared target is covered once the change is signed off and tested before it', () => {
    const policy = parsePolicy({});
    const inputs = { policy, roleHeld: new Map<string, boolean>([['a1', true], ['a2', true]]), freezeAt: new Map<string, string | undefined>() };
    const aws = { changeKey: 'aws:x', time: '2026-03-10T22:00:00.000Z', eventIds: ['x'], origin: 'aws' as const, summary: 'CodePipeline myPipeline Prod SUCCEEDED', resource: 'myPipeline' };
    const facts = [
      { eventId: 'r1', detailType: 'Change Requested', time: '2026-03-09T08:00:00.000Z', detail: { schemaVersion: 1, ...request({ deploymentTargets: ['myPipeline'] }) } },
      { eventId: 'a1', detailType: 'Change Approved', time: '2026-03-09T09:00:00.000Z', detail: { schemaVersion: 1, changeId: 'CHG-1', approver: 'bob', role: 'business' } },
      { eventId: 'a2', detailType: 'Change Approved', time: '2026-03-09T10:00:00.000Z', detail: { schemaVersion: 1, changeId: 'CHG-1', approver: 'carol', role: 'it' } },
    ];
    const tested = { eventId: 't1', detailType: 'Change Tested', time: '2026-03-09T12:00:00.000Z', detail: { schemaVersion: 1, changeId: 'CHG-1', environment: 'qas', outcome: 'passed', testedBy: 'dave', codeVersion: 'git:abc123' } };
    expect(awsGateRecordsCoveredBy(summariseChange('CHG-1', facts, inputs), policy, [aws])).toEqual([]);
    const covering = summariseChange('CHG-1', [...facts, tested], inputs);
    expect(awsGateRecordsCoveredBy(covering, policy, [aws, { ...aws, changeKey: 'aws:other', resource: 'otherPipeline' }, { ...aws, changeKey: 'aws:done', matchedChangeId: 'CHG-0' }])).toEqual([{ ...aws, matchedChangeId: 'CHG-1' }]);
  });

  it('leaves the monthly report once the request of a deploy handled before it arrives', async () => {
    const s = setup();
    await s.fact('Change Deployed', '2026-03-10T22:00:00Z', deployed());
    expect((await monthlyChangeReport(s.deps, '2026-03')).unmatchedProductionEdits).toHaveLength(1);
    await s.fact('Change Requested', '2026-03-09T08:00:00Z', request());
    expect((await monthlyChangeReport(s.deps, '2026-03')).unmatchedProductionEdits).toEqual([]);
  });
});

describe('freeze calendars', () => {
  it('expands RRULE with EXDATE in the TZID across a daylight-saving change', () => {
    const calendar = parseFreezeCalendar('weekly', WEEKLY_FREEZE, 'UTC');
    const starts = calendar.windowsOverlapping(new Date('2026-03-19T00:00:00Z'), new Date('2026-04-12T00:00:00Z')).map((w) => w.start.toISOString());
    // 22:00 Berlin: CET (UTC+1) before 29 March, CEST (UTC+2) after; 3 April excluded.
    expect(starts).toEqual(['2026-03-20T21:00:00.000Z', '2026-03-27T21:00:00.000Z', '2026-04-10T20:00:00.000Z']);
    expect(calendar.windowsOverlapping(new Date('2026-04-03T21:00:00Z'), new Date('2026-04-03T21:00:00Z'))).toEqual([]);
    expect(calendar.windowsOverlapping(new Date('2026-04-10T23:59:00Z'), new Date('2026-04-10T23:59:00Z'))).toHaveLength(1);
  });

  it('refuses an unparseable calendar, and fewer than two approver roles in enforce mode, with the key path', () => {
    expect(() => parseWholePolicy({ change: { freeze: { calendars: [{ name: 'broken', ics: 'not a calendar' }] } } })).toThrow(/change\.freeze\.calendars\[0\]\.ics.*invalid line/s);
    // The functions that never read calendars take the baked policy without parsing them (synth already did).
    expect(() => parsePolicy({ change: { freeze: { calendars: [{ name: 'broken', ics: 'not a calendar' }] } } })).not.toThrow();
    expect(() => parsePolicy({ change: { signOff: { requiredRoles: ['it'] } } })).toThrow(PolicyError);
    expect(() => parsePolicy({ change: { signOff: { requiredRoles: ['it'] } } })).toThrow(/change\.signOff\.requiredRoles/);
  });

  async function freezeScenario(emergency: boolean, signOffAt: string | undefined, now?: Date) {
    const s = setup({ change: { freeze: { calendars: [{ name: 'weekly', ics: WEEKLY_FREEZE }] } } });
    await approvers(s);
    await s.fact('Change Requested', '2026-03-26T08:00:00Z', request({ emergency, window: { start: '2026-03-27T00:00:00Z', end: '2026-03-28T00:00:00Z' } }));
    await s.testsPassed('2026-03-26T12:00:00Z');
    if (!emergency) {
      await s.approve('2026-03-26T09:00:00Z', 'bob', 'business');
      await s.approve('2026-03-26T10:00:00Z', 'carol', 'it');
    }
    await s.fact('Change Deployed', '2026-03-27T22:00:00Z', deployed());
    if (signOffAt) {
      await s.approve(signOffAt, 'bob', 'business');
      await s.approve(signOffAt, 'carol', 'it');
    }
    if (now) await sweepEmergencies(s.deps, now);
    return s;
  }

  it('flags a normal deploy inside a recurring freeze', async () => {
    const s = await freezeScenario(false, undefined);
    expect(s.live()).toContain('deployed-in-freeze');
  });

  it('reports an emergency deploy signed off within the hours, without a freeze finding', async () => {
    const s = await freezeScenario(true, '2026-03-28T08:00:00Z');
    expect(s.live()).toEqual(['emergency-change']);
    expect(s.liveFindings()[0]?.raised.evidence.facts).toMatchObject({ signedOffInTime: true });
  });

  it('flags an emergency deploy not signed off within the hours once the sweep passes the deadline', async () => {
    const s = await freezeScenario(true, undefined, new Date('2026-03-29T00:00:00Z'));
    expect(s.live().sort()).toEqual(['emergency-change', 'emergency-sign-off-late']);
  });
});

const awsEvents = awsSampleEvents;
const GATE_SAMPLES = ['deploy.jsonl', 'cloudformation.jsonl', 'ssm.jsonl', 'rds.jsonl'];

describe('AWS deployment and configuration events at the production gate', () => {
  it.skipIf(!GATE_SAMPLES.every(haveAwsSample))('reads every AWS sample of the governed services without throwing', () => {
    const policy = parsePolicy({});
    for (const file of GATE_SAMPLES) {
      for (const event of awsEvents(file).filter((e) => String(e.source).startsWith('aws.'))) expect(() => readAwsGateEvent(event, policy)).not.toThrow();
    }
  });

  it.skipIf(!haveAwsSample('deploy.jsonl'))('replays AWS samples: a production CodePipeline stage with no request is a critical direct edit; an approved, tested request in its window covers it', async () => {
    const event = prodStageSucceeded('2026-03-10T22:00:00Z');
    expect(event).toBeDefined();
    const s = setup();
    const unmatched = await judgeAwsEvent(s.deps, event, new Date('2026-03-10T22:00:01Z'));
    expect(unmatched.raised).toHaveLength(1);
    expect(s.liveFindings()[0]?.raised).toMatchObject({ control: '4.4', severity: 'critical' });

    const t = setup();
    await approvers(t);
    await t.fact('Change Requested', '2026-03-09T08:00:00Z', request({ deploymentTargets: ['myPipeline'] }));
    await t.approve('2026-03-09T09:00:00Z', 'bob', 'business');
    await t.approve('2026-03-09T10:00:00Z', 'carol', 'it');
    await t.testsPassed('2026-03-09T12:00:00Z');
    const matched = await judgeAwsEvent(t.deps, event, new Date('2026-03-10T22:00:01Z'));
    expect(matched).toMatchObject({ matched: 'CHG-1', raised: [] });
    const report = await monthlyChangeReport(t.deps, '2026-03');
    expect(report.changes[0]).toMatchObject({ changeId: 'CHG-1', requestedBy: 'alice', rollbackPlan: true });
    expect(renderMarkdown(report)).toContain('CHG-1');
    expect(renderCsv(report).split('\n')[0]).toContain('changeId');
  });

  it.skipIf(!haveAwsSample('deploy.jsonl'))('an AWS production deploy judged before its request is matched, and its direct-edit finding resolved, once the request, sign-offs and test arrive', async () => {
    const t = setup();
    await approvers(t);
    await judgeAwsEvent(t.deps, prodStageSucceeded('2026-03-10T22:00:00Z'), new Date('2026-03-10T22:00:01Z'));
    expect(t.live()).toEqual(['direct-production-edit']);
    await t.fact('Change Requested', '2026-03-09T08:00:00Z', request({ deploymentTargets: ['myPipeline'] }));
    await t.approve('2026-03-09T09:00:00Z', 'bob', 'business');
    expect(t.live()).toEqual(['direct-production-edit']); // one sign-off, untested: not covered yet
    await t.approve('2026-03-09T10:00:00Z', 'carol', 'it');
    await t.testsPassed('2026-03-09T12:00:00Z');
    expect(t.live()).toEqual([]);
    expect((await monthlyChangeReport(t.deps, '2026-03')).unmatchedProductionEdits).toEqual([]);
  });

  it.skipIf(!['cloudformation.jsonl', 'ssm.jsonl', 'rds.jsonl'].every(haveAwsSample))('CloudFormation, Parameter Store and RDS parameter-group events on production names; SSM Change Calendar CLOSED is a freeze', async () => {
    const s = setup();
    const stack = awsEvents('cloudformation.jsonl').find((e) => e['detail-type'] === 'CloudFormation Stack Status Change') as Record<string, unknown>;
    const prodStack = { ...stack, time: '2026-03-10T22:00:00Z', detail: { ...(stack.detail as object), 'stack-id': 'arn:aws:cloudformation:us-west-1:111122223333:stack/erp-prod/6a7e' } };
    const calendar = awsEvents('ssm.jsonl').find((e) => e['detail-type'] === 'Calendar State Change' && (e.detail as { state: string }).state === 'CLOSED');
    if (calendar) await judgeAwsEvent(s.deps, { ...calendar, time: '2026-03-10T00:00:00Z', detail: { ...(calendar.detail as object), atTime: '2026-03-10T00:00:00Z' } }, new Date('2026-03-10T00:00:00Z'));
    await judgeAwsEvent(s.deps, prodStack, new Date('2026-03-10T22:00:01Z'));
    const rules = s.live();
    expect(rules).toContain('direct-production-edit');
    if (calendar) expect(rules).toContain('deployed-in-freeze');

    const param = awsEvents('ssm.jsonl').find((e) => e['detail-type'] === 'Parameter Store Change') as Record<string, unknown>;
    expect(readAwsGateEvent(param, s.policy).kind).toBe('ignored'); // "MyExampleParameter" is not a production name
    expect(readAwsGateEvent({ ...param, detail: { ...(param.detail as object), name: '/erp/prod/db-url' } }, s.policy).kind).toBe('production-change');
    const rds = awsEvents('rds.jsonl').find((e) => e['detail-type'] === 'RDS DB Parameter Group Event') as Record<string, unknown>;
    expect(readAwsGateEvent({ ...rds, detail: { ...(rds.detail as object), SourceArn: 'arn:aws:rds:us-east-1:123456789012:pg:erp-prod-params' } }, s.policy).kind).toBe('production-change');
  });
});
