/**
 * The local runtime end to end, with real AWS SDK clients over loopback:
 * PutEvents → journal → routing table → handler (in-process, as Lambda) → DynamoDB (dynalite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListRulesCommand, PutEventsCommand, TestEventPatternCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoutingTable, functionDefinitions, routingTable } from '../../infra/routes.ts';
import { stateTable } from '../../infra/state-table.ts';
import { dynamoAuditTrailStore, recordsOf } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { deadLetterStore } from '../../runtime/event-bus.ts';
import { rejectedStore, startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { exampleEvent } from '../../schemas/index.ts';
import { exampleEntry } from '../support/erp-entry.ts';
import { SOLE_INSTANCE_VARIABLE } from '../../functions/shared/sole-instance.ts';

const probe = {
  name: 'probe',
  description: 'test probe',
  entry: 'test/fixtures/probe-handler.ts',
  rules: [{ id: 'probe-test-source', description: 'events from erp.test', eventPattern: { source: ['erp.test'] } }],
  schedules: [{ id: 'probe-hourly', description: 'hourly', expression: 'rate(1 hour)' }],
  stateAccess: 'read-write' as const,
  publishesEvents: false,
  archiveAccess: 'none' as const,
  readsSecrets: false,
  sendsEmail: false,
  timeoutSeconds: 5,
  memoryMb: 128,
};
const routes = buildRoutingTable([...functionDefinitions, probe]);

let dataDir: string;
let runtime: LocalRuntime;
let events: EventBridgeClient;
let docs: DynamoDBDocumentClient;


async function start(): Promise<void> {
  runtime = await startLocalRuntime({ dataDir, routes, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  events = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
}

async function stop(): Promise<void> {
  events.destroy();
  docs.destroy();
  await runtime.stop();
}

const auditRecord = async (eventId: string) => (await dynamoAuditTrailStore(docs, stateTable.name).get(eventId))?.record;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-it-'));
  await start();
});
afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PutEvents through the local runtime', () => {
  it('routes an accepted event to log-archiving, which records it in DynamoDB', async () => {
    const entry = exampleEvent('Operation Audited', 'erp.sap');
    const out = await events.send(new PutEventsCommand({ Entries: [entry] }));
    expect(out.FailedEntryCount).toBe(0);
    const id = out.Entries?.[0]?.EventId as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await runtime.bus.whenIdle();
    const record = await auditRecord(id);
    expect(record).toMatchObject({ eventId: id, source: 'erp.sap', detailType: 'Operation Audited', valid: true });
    expect(JSON.parse(record?.originalEvent as string).detail).toEqual(JSON.parse(entry.Detail as string));
  });

  it('answers per entry: good entries accepted and delivered, bad ones refused with the field and reason, and kept', async () => {
    const good = exampleEvent('Login', 'erp.odoo');
    const entries: PutEventsRequestEntry[] = [
      good,
      { ...good, Detail: '[1,2]' },
      { ...good, Detail: '{not json' },
      { ...good, DetailType: 'Coffee Brewed' },
      { ...good, Detail: JSON.stringify({ ...JSON.parse(good.Detail as string), schemaVersion: 99 }) },
      { ...good, EventBusName: 'someone-elses-bus' },
      { ...good, Source: undefined },
    ];
    const before = rejectedStore(dataDir).readAll().length;
    const out = await events.send(new PutEventsCommand({ Entries: entries }));
    expect(out.FailedEntryCount).toBe(6);
    const [ok, array, notJson, unknownType, badSchema, otherBus, noSource] = out.Entries ?? [];
    expect(ok?.EventId).toBeTruthy();
    expect(array).toMatchObject({ ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringMatching(/JSON object, got an array/) });
    expect(notJson).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(unknownType).toMatchObject({ ErrorCode: 'UnknownDetailType', ErrorMessage: expect.stringContaining('Coffee Brewed') });
    expect(badSchema).toMatchObject({ ErrorCode: 'InvalidDetail', ErrorMessage: expect.stringContaining('schemaVersion') });
    expect(otherBus).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
    expect(noSource).toMatchObject({ ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringContaining('Source') });
    const kept = rejectedStore(dataDir).readAll().slice(before);
    expect(kept.map((r) => r.errorCode)).toEqual(['MalformedDetail', 'MalformedDetail', 'UnknownDetailType', 'InvalidDetail', 'ResourceNotFoundException', 'InvalidArgument']);
    await runtime.bus.whenIdle();
    expect(await auditRecord(ok?.EventId as string)).toBeDefined();
    // The audit trail keeps the refused entries too: raw, flagged invalid, with the reason.
    const trail = dynamoAuditTrailStore(docs, stateTable.name);
    const today = new Date().toISOString().slice(0, 10);
    const invalid = recordsOf(await trail.storedRecordsOccurredOn(today)).filter((r) => !r.valid);
    const coffee = invalid.find((r) => r.detailType === 'Coffee Brewed');
    expect(coffee).toMatchObject({ source: 'erp.odoo', invalidReason: expect.stringContaining('UnknownDetailType') });
    expect(JSON.parse(coffee?.originalEvent as string).detail.entry.DetailType).toBe('Coffee Brewed');
    expect(invalid.find((r) => r.invalidReason?.includes('not JSON'))).toMatchObject({ detailType: 'Login', source: 'erp.odoo' });
    expect(invalid.find((r) => r.source === '(missing source)')).toBeDefined();
  });

  it('refuses more than 10 entries and more than 256 KB as the whole request, like EventBridge', async () => {
    const entry = exampleEvent('Operation Audited', 'erp.sap');
    await expect(events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/between 1 and 10/),
    });
    const detail = JSON.parse(entry.Detail as string);
    const big = { ...entry, Detail: JSON.stringify({ ...detail, padding: 'x'.repeat(140_000) }) };
    await expect(events.send(new PutEventsCommand({ Entries: [big, big] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/over the limit/),
    });
  });

  it('answers wrong targets and malformed JSON with AWS-shaped errors', async () => {
    const post = (target: string, body: string) =>
      fetch(runtime.eventBridgeUrl, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body });
    const wrong = await post('AWSEvents.DeleteEverything', '{}');
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await wrong.json()).toMatchObject({ __type: 'UnknownOperationException', message: expect.stringContaining('AWSEvents.PutEvents') });
    const malformed = await post('AWSEvents.PutEvents', '{"Entries": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
  });

  it('serves TestEventPattern and ListRules from the routing table', async () => {
    const event = JSON.stringify({ id: '1', account: '000000000000', source: 'erp.sap', time: '2026-11-29T00:00:00Z', region: 'us-east-1', 'detail-type': 'Role Assigned', resources: [], detail: { role: 'ADMIN_FI' } });
    const yes = await events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ detail: { role: [{ prefix: 'ADMIN' }] } }), Event: event }));
    expect(yes.Result).toBe(true);
    const no = await events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: ['erp.odoo'] }), Event: event }));
    expect(no.Result).toBe(false);
    await expect(events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: [{ contains: 'x' }] }), Event: event }))).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
    const rules = await events.send(new ListRulesCommand({}));
    expect(rules.Rules?.map((r) => r.Name).sort()).toEqual(routes.flatMap((f) => f.rules.map((r) => r.id)).sort());
  });
});

describe('delivery guarantees', () => {
  it('records a duplicated delivery once (idempotent on the event id)', async () => {
    const out = await events.send(new PutEventsCommand({ Entries: [exampleEvent('Role Assigned', 'erp.sap')] }));
    const id = out.Entries?.[0]?.EventId as string;
    await runtime.bus.whenIdle();
    const original = await auditRecord(id);
    // EventBridge may deliver the same event twice: replay it straight to the function.
    const replay = JSON.parse(original?.originalEvent as string);
    runtime.bus.acceptFor(replay, 'log-archiving');
    runtime.bus.acceptFor(replay, 'log-archiving');
    await runtime.bus.whenIdle();
    expect(await auditRecord(id)).toEqual(original);
  });

  it('retries a failing handler and then delivers; dead-letters one that keeps failing', async () => {
    const flaky = exampleEntry('Module Error', { probeFailTimes: 2 }, 'erp.test');
    const broken = exampleEntry('Module Error', { probeFailTimes: 99 }, 'erp.test');
    const out = await events.send(new PutEventsCommand({ Entries: [flaky, broken] }));
    const [flakyId, brokenId] = (out.Entries ?? []).map((e) => e.EventId as string);
    await runtime.bus.whenIdle();
    const seen = await docs.send(new GetCommand({ TableName: stateTable.name, Key: { pk: `PROBE#${flakyId}`, sk: 'SEEN' } }));
    expect(seen.Item).toMatchObject({ attempts: 3 });
    const letters = deadLetterStore(dataDir).readAll();
    expect(letters.find((l) => l.event.id === brokenId)).toMatchObject({ target: 'probe', attempts: 3, lastError: { message: expect.stringContaining('on purpose') } });
    // The audit trail still got both: one target failing does not hold back another.
    expect(await auditRecord(brokenId as string)).toBeDefined();
  });

  it('fires schedules as EventBridge "Scheduled Event"s to their function', async () => {
    const [next] = runtime.scheduler.upcoming().filter((s) => s.functionName === 'probe');
    expect(next?.expression).toBe('rate(1 hour)');
    // Other functions' schedules due by then fire too; the probe's must be among them.
    const dueBy = (at: Date) => runtime.scheduler.upcoming().filter((s) => s.next !== null && Date.parse(s.next) <= at.getTime()).length;
    const tickAt = new Date(Date.parse(next?.next as string) + 1000);
    const due = dueBy(tickAt);
    expect(runtime.scheduler.tick(tickAt)).toBe(due);
    await runtime.bus.whenIdle();
    const stats = runtime.bus.stats;
    expect(stats.delivered).toBeGreaterThan(0);
    expect(runtime.scheduler.upcoming().find((s) => s.functionName === 'probe')?.next).not.toBe(next?.next);
  });

  it('keeps state across a restart (dynalite data on disk)', async () => {
    const out = await events.send(new PutEventsCommand({ Entries: [exampleEvent('Backup Completed', 'erp.kingdee')] }));
    const id = out.Entries?.[0]?.EventId as string;
    await runtime.bus.whenIdle();
    await stop();
    await start();
    expect(await auditRecord(id)).toMatchObject({ eventId: id, detailType: 'Backup Completed' });
    expect(routingTable.length).toBeGreaterThan(0);
  });

  it('names each start as a new instance of the functions, and the name goes with the stop', async () => {
    // What a function remembers under that name (access governance's accounts) never outlives the runtime it learnt it from.
    const before = process.env[SOLE_INSTANCE_VARIABLE];
    expect(before).toMatch(/^[0-9a-f-]{36}$/);
    await stop();
    expect(process.env[SOLE_INSTANCE_VARIABLE]).toBeUndefined();
    await start();
    expect(process.env[SOLE_INSTANCE_VARIABLE]).toMatch(/^[0-9a-f-]{36}$/);
    expect(process.env[SOLE_INSTANCE_VARIABLE]).not.toBe(before);
  });
});
