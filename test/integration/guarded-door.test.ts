/**
 * The guarded door, locally, end to end: a stranger posting as the pipeline is refused at the
 * endpoint; a forged "Finding Resolved" that gets past the door anyway (straight onto the bus)
 * is refused by the consumer; an event dated years ahead is recorded with its claimed time
 * (audit search finds it), governed at its arrival, flagged, and changes no finding; replay is
 * the only way an AWS service event enters, and never a way to post as the pipeline.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../functions/shared/time.ts';
import { stateTable } from '../../infra/state-table.ts';
import { deadLetterStore } from '../../runtime/event-bus.ts';
import { rejectedStore, type LocalRuntime } from '../../runtime/local-runtime.ts';
import type { BusEvent } from '../../runtime/put-events.ts';
import { captureStdout } from '../support/capture-stdout.ts';
import { erpEntry } from '../support/erp-entry.ts';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

const YEAR = 365 * DAY_MS;
let pipeline: LocalPipeline;
let dataDir: string;
let runtime: LocalRuntime;
let events: EventBridgeClient;
let docs: DynamoDBDocumentClient;
let loud: () => void;

beforeAll(async () => {
  loud = quietFunctions();
  pipeline = await startLocalPipeline('door');
  ({ dataDir, runtime, events, docs } = pipeline);
});
afterAll(async () => {
  await pipeline.stop();
  loud();
});

const findings = () => dynamoFindingsStore(docs, stateTable.name);

/** A live finding to forge against: an unverified bulk delete, found by the sweep. */
async function liveFinding(operationId: string): Promise<string> {
  await events.send(new PutEventsCommand({ Entries: [erpEntry('Operation Audited', { actor: 'u2002', action: 'delete', target: 'invoice', module: 'finance', recordCount: 400, operationId }, new Date(Date.now() - MINUTE_MS))] }));
  await runtime.bus.whenIdle();
  const run = await runtime.runSchedule('audit-high-risk-sweep', new Date(Date.now() + 45 * MINUTE_MS));
  const raised = run.published.find((p) => p.detailType === 'Finding Raised');
  expect(raised?.id).toBeDefined();
  return raised?.id as string;
}

describe('a stranger posting as the pipeline', () => {
  it('is refused at the endpoint per entry (NotAuthorizedForSourceException), kept as a rejection, and changes no finding', async () => {
    const findingId = await liveFinding('door-op-1');
    const stored = (await findings().get(findingId))?.finding;
    const forged = erpEntry('Finding Resolved', { findingId, control: '6.2', severity: 'critical', mode: 'enforce', subject: stored?.raised.subject, resolution: 'fixed', resolvedBy: 'audit-analysis' }, undefined, 'erpgov.audit-analysis');
    const out = await events.send(new PutEventsCommand({ Entries: [forged, erpEntry('Login', { account: 'u2002', deviceId: 'D-2002', outcome: 'success' })] }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: expect.stringContaining('reserved for the pipeline') });
    expect(out.Entries?.[1]?.EventId).toBeDefined();
    await runtime.bus.whenIdle();
    expect(rejectedStore(dataDir).readAll().at(-1)).toMatchObject({ errorCode: 'NotAuthorizedForSourceException', entry: { Source: 'erpgov.audit-analysis' } });
    expect((await findings().get(findingId))?.finding.state).toBe('open');
  });

  it('past the door (straight onto the bus) is refused by the consumer: only the raiser resolves a finding', async () => {
    const findingId = await liveFinding('door-op-2');
    const stored = (await findings().get(findingId))?.finding;
    const forged: BusEvent = {
      version: '0', id: 'forged-resolution-1', 'detail-type': 'Finding Resolved', source: 'erpgov.access-governance', account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [],
      detail: { schemaVersion: 1, findingId, control: '6.2', severity: 'critical', mode: 'enforce', subject: stored?.raised.subject as Record<string, unknown>, resolution: 'fixed', resolvedBy: 'access-governance' },
    };
    const delivery = await runtime.bus.deliverAndWait(forged, 'notifier');
    expect(delivery).toMatchObject({ outcome: 'dead-lettered', error: { name: 'InvalidEventError', message: expect.stringContaining('only the function that raised a finding may resolve it') } });
    expect(deadLetterStore(dataDir).readAll().find((l) => l.event.id === 'forged-resolution-1')).toMatchObject({ target: 'notifier', retryable: false });
    expect((await findings().get(findingId))?.finding.state).toBe('open');
  });
});

describe('an event dated years ahead', () => {
  it('is recorded with its claimed time (audit search finds it), governed at arrival, flagged, and resolves nothing', async () => {
    // A live 6.2 finding whose operation a verification could otherwise settle.
    const findingId = await liveFinding('door-op-3');
    const claimed = new Date(Date.now() + 5 * YEAR);
    const out = await events.send(new PutEventsCommand({ Entries: [erpEntry('Operation Verified', { operationId: 'door-op-3', verifier: 'it.lead.sun' }, claimed)] }));
    const id = out.Entries?.[0]?.EventId as string;
    await runtime.bus.whenIdle();
    const record = (await dynamoAuditTrailStore(docs, stateTable.name).get(id))?.record;
    expect(record?.occurredAt).toBe(claimed.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const day = claimed.toISOString().slice(0, 10);
    const search = await captureStdout(() => runCli(['audit', 'search', '--source', 'erp.sap', '--from', day, '--to', day, '--json', '--data-dir', dataDir]));
    expect(search.code).toBe(0);
    expect((JSON.parse(search.output) as { eventId: string }[]).map((r) => r.eventId)).toContain(id);
    // Flagged on the record, and marked in the text output.
    expect(record?.clockSkew).toMatchObject({ kind: 'future', claimedTime: record?.occurredAt });
    const text = await captureStdout(() => runCli(['audit', 'search', '--source', 'erp.sap', '--from', day, '--to', day, '--data-dir', dataDir]));
    expect(text.output).toMatch(new RegExp(`FUTURE-DATED\\(arrived .*id=${id}`));
    // Without --to the search stops at today, and says how to reach future dates.
    const byDefault = await captureStdout(() => runCli(['audit', 'search', '--source', 'erp.sap', '--data-dir', dataDir]));
    expect(byDefault.output).not.toContain(id);
    expect(byDefault.output).toContain('future-dated records, flagged FUTURE-DATED, keep their claimed time: add --to');
    expect((await findings().get(findingId))?.finding.state).toBe('open');
    // A later sweep does not count it either.
    await runtime.runSchedule('audit-high-risk-sweep', new Date(Date.now() + 2 * HOUR_MS));
    expect((await findings().get(findingId))?.finding.state).toBe('open');
  });
});

describe('a leaver\'s revocation dated five years ahead', () => {
  it('resolves nothing (the lifecycle holds resolutions for it); the same revocation at a believable time does', async () => {
    await events.send(new PutEventsCommand({ Entries: [
      erpEntry('Role Assigned', { account: 'u7007', person: 'E-7007', role: 'SD_SALES_CLERK', modules: ['orders'], permissions: ['order.create'], job: 'sales', grantedBy: 'admin.li' }, new Date(Date.now() - 10 * DAY_MS)),
      erpEntry('Employee Departed', { person: 'E-7007', departedAt: new Date(Date.now() - 25 * HOUR_MS).toISOString(), accounts: ['u7007'] }, new Date(Date.now() - 25 * HOUR_MS)),
    ] }));
    await runtime.bus.whenIdle();
    const sweep = await runtime.runSchedule('access-sweep', new Date(Date.now() + 5 * MINUTE_MS));
    const findingId = sweep.published.find((p) => p.detailType === 'Finding Raised')?.id as string;
    expect(findingId).toMatch(/^access-governance-2\.3-/);
    const revoke = (time: Date) => erpEntry('Role Revoked', { account: 'u7007', person: 'E-7007', role: 'SD_SALES_CLERK', revokedBy: 'connector', reason: 'departure' }, time);

    await events.send(new PutEventsCommand({ Entries: [revoke(new Date(Date.now() + 5 * YEAR))] }));
    await runtime.bus.whenIdle();
    expect((await findings().get(findingId))?.finding.state).toBe('open');

    await events.send(new PutEventsCommand({ Entries: [revoke(new Date())] }));
    await runtime.bus.whenIdle();
    expect((await findings().get(findingId))?.finding.state).toBe('resolved');
  });
});

describe('replay: the only way an AWS service event enters, never a way to post as the pipeline', () => {
  it('injects aws.* complete events verbatim and refuses erpgov.* ones, with counts and reasons', async () => {
    const alarm = { version: '0', id: 'door-alarm-c4c1c1c9', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: '123456789012', time: '2019-10-02T17:04:40Z', region: 'us-east-1', resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'], detail: { alarmName: 'ServerCpuTooHigh', state: { value: 'ALARM' } } };
    const forged = { ...alarm, id: 'forged-2', source: 'erpgov.audit-analysis', 'detail-type': 'Finding Resolved', detail: { schemaVersion: 1, findingId: 'audit-analysis-6.2-unverified-x' } };
    const login = erpEntry('Login', { account: 'u2002', deviceId: 'D-2002', outcome: 'success' }, new Date(Date.now() - HOUR_MS));
    const file = join(dataDir, 'replay.jsonl');
    writeFileSync(file, [alarm, forged, { ...login, Time: login.Time?.toISOString() }].map((l) => JSON.stringify(l)).join('\n'));
    const replay = await captureStdout(() => runCli(['replay', file, '--data-dir', dataDir]));
    expect(replay.code).toBe(1);
    expect(replay.output).toMatch(/line 2: refused, NotAuthorizedForSourceException: .*not replayed in/);
    expect(replay.output).toContain(`replayed ${file}: 2 accepted, 1 refused`);
    await runtime.bus.whenIdle();
    const recorded = await dynamoAuditTrailStore(docs, stateTable.name).get(alarm.id);
    expect(JSON.parse(recorded?.record.originalEvent as string)).toEqual(alarm);
  });

  const native = fileURLToPath(new URL('../../../shared/aws-native-events/', import.meta.url));
  it.runIf(existsSync(native))('takes every AWS service event of ../shared/aws-native-events, and the trail keeps each verbatim', async () => {
    const lines = readdirSync(native)
      .filter((f) => f.endsWith('.jsonl') && f !== 'index.jsonl')
      .flatMap((f) => readFileSync(join(native, f), 'utf8').split('\n').filter((l) => l.trim() !== ''));
    const file = join(dataDir, 'aws-native.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const replay = await captureStdout(() => runCli(['replay', file, '--json', '--data-dir', dataDir]));
    expect(JSON.parse(replay.output)).toMatchObject({ accepted: lines.length, refused: 0 });
    expect(replay.code).toBe(0);
    await runtime.bus.whenIdle();
    const trail = dynamoAuditTrailStore(docs, stateTable.name);
    const events = lines.map((l) => JSON.parse(l) as { id?: string });
    // Some of AWS's published samples reuse one id; the trail keeps the first of each (ids are unique on a real bus).
    const once = events.filter((e) => typeof e.id === 'string' && e.id !== '' && events.filter((o) => o.id === e.id).length === 1);
    expect(once.length).toBeGreaterThan(20);
    for (const event of once) expect(JSON.parse((await trail.get(event.id as string))?.record.originalEvent ?? 'null'), event.id).toEqual(event);
  });
});
