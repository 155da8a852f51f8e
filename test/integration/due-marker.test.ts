/**
 * Due markers against dynalite: an idle sweep reads one item; a writer's item is never left
 * unseen by a sweep in flight; and the stores that use one (the threshold silence sweep, the
 * notifier's drain) still find what is due.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { dynamoDueMarker, isIdle } from '../../functions/shared/due-marker.ts';
import { dynamoThresholdStore } from '../../functions/threshold-alerts/threshold-state.ts';
import { dynamoDrainWake } from '../../functions/notifier/drain-wake.ts';
import { dynamoOutboxStore } from '../../functions/notifier/outbox-store.ts';
import { drainOutbox, type NotifierDeps } from '../../functions/notifier/flows.ts';
import { memoryDigestStore } from '../../functions/notifier/digest-store.ts';
import { memorySubjectStore } from '../../functions/notifier/subject-store.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let docs: DynamoDBDocumentClient;
let dir: string;
let seq = 0;
const HOUR = 3_600_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'erpgov-due-marker-'));
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }));
});
afterAll(async () => {
  docs.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function freshTable(): Promise<string> {
  const table = `due-${++seq}`;
  await ensureStateTable(new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), stateTable, table);
  return table;
}

it('lower keeps the earliest; settle moves it on only if no writer came in between, and never past the recheck', async () => {
  const table = await freshTable();
  const marker = dynamoDueMarker(docs, table, 'test', HOUR);
  const now = new Date('2026-03-01T10:00:00.000Z');
  const never = await marker.read();
  expect(isIdle(never, now)).toBe(false); // never written: a first sweep looks

  await marker.settle(never, undefined, now);
  const quiet = await marker.read();
  expect(quiet.earliest).toBe('2026-03-01T11:00:00.000Z'); // nothing left: look again after the recheck
  expect(isIdle(quiet, now)).toBe(true);

  await marker.lower('2026-03-01T10:30:00.000Z');
  await marker.lower('2026-03-01T10:45:00.000Z'); // later: keeps 10:30
  expect((await marker.read()).earliest).toBe('2026-03-01T10:30:00.000Z');

  // A sweep reads, a writer lowers (even to a time not earlier), the sweep's settle is refused: still due for the next sweep.
  const at1031 = new Date('2026-03-01T10:31:00.000Z');
  const reading = await marker.read();
  expect(isIdle(reading, at1031)).toBe(false);
  await marker.lower('2026-03-01T10:50:00.000Z');
  await marker.settle(reading, '2026-03-01T10:55:00.000Z', at1031);
  expect((await marker.read()).earliest).toBe('2026-03-01T10:30:00.000Z');
  // Without a writer in between the settle lands.
  await marker.settle(await marker.read(), '2026-03-01T10:50:00.000Z', at1031);
  expect((await marker.read()).earliest).toBe('2026-03-01T10:50:00.000Z');
});

it('the silence sweep still finds a silent host, and a quiet sweep finds nothing', async () => {
  const table = await freshTable();
  const store = dynamoThresholdStore(docs, table);
  expect(await store.silentBefore(new Date('2026-03-01T10:00:00.000Z'))).toEqual([]);
  expect(await store.silentBefore(new Date('2026-03-01T10:01:00.000Z'))).toEqual([]);
  expect(await store.save({ host: 'erp-db-1', version: 1, seenAt: '2026-03-01T10:01:00.000Z', series: {} }, '2026-03-01T10:20:00.000Z')).toBe(true);
  expect(await store.silentBefore(new Date('2026-03-01T10:19:00.000Z'))).toEqual([]);
  expect((await store.silentBefore(new Date('2026-03-01T10:21:00.000Z'))).map((h) => h.host)).toEqual(['erp-db-1']);
});

it('a heartbeat that moves a host\'s deadline later costs one marker write; a wrong marker is still put right by the next one', async () => {
  const table = await freshTable();
  let markerWrites = 0;
  const counting = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }));
  counting.middlewareStack.add(
    (next, context) => (args) => {
      const key = (args.input as { Key?: Record<string, { S?: string }> }).Key?.[stateTable.partitionKey];
      if (context.commandName === 'UpdateItemCommand' && String(key?.S ?? key).startsWith('DUE#')) markerWrites++;
      return next(args);
    },
    { step: 'initialize', name: 'countMarkerWrites' },
  );
  onTestFinished(() => counting.destroy());
  const store = dynamoThresholdStore(counting, table);
  const marker = dynamoDueMarker(docs, table, 'threshold-silence', HOUR);
  const beat = async (version: number, seenAt: string, dueAt: string) => {
    await store.get('erp-app-1');
    const before = markerWrites;
    expect(await store.save({ host: 'erp-app-1', version, seenAt, series: {} }, dueAt)).toBe(true);
    return markerWrites - before;
  };
  expect(await beat(1, '2026-03-01T10:00:00.000Z', '2026-03-01T10:20:00.000Z')).toBeGreaterThan(0);
  for (let i = 1; i <= 4; i++) expect(await beat(1 + i, `2026-03-01T10:0${i}:00.000Z`, `2026-03-01T10:2${i}:00.000Z`)).toBe(1);
  // A sweep settled the marker past the host (a stale index read, say): the next heartbeat lowers it back.
  await marker.settle(await marker.read(), '2026-03-01T10:50:00.000Z', new Date('2026-03-01T10:05:00.000Z'));
  expect((await marker.read()).earliest).toBe('2026-03-01T10:50:00.000Z');
  expect(await beat(6, '2026-03-01T10:06:00.000Z', '2026-03-01T10:26:00.000Z')).toBe(2);
  expect((await marker.read()).earliest).toBe('2026-03-01T10:26:00.000Z');
  // And the sweep finds the host at its stored deadline.
  expect((await store.silentBefore(new Date('2026-03-01T10:27:00.000Z'))).map((h) => h.host)).toEqual(['erp-app-1']);
});

it('an idle drain stops at the marker; a new message makes the next drain send it', async () => {
  const table = await freshTable();
  const wake = dynamoDrainWake(docs, table);
  const outbox = dynamoOutboxStore(docs, table, wake.marker);
  const sent: string[] = [];
  const deps: NotifierDeps = {
    outbox, digests: memoryDigestStore(), subjects: memorySubjectStore(), wake,
    slack: { send: async (m) => (sent.push(m.text), { ok: true }) },
    mail: { send: async () => ({ ok: true }) },
    policy: parsePolicy({}),
    log: { info: () => undefined, warn: () => undefined },
  };
  await drainOutbox(deps, new Date('2026-03-01T10:00:00.000Z'));
  expect(isIdle(await wake.read(), new Date('2026-03-01T10:01:00.000Z'))).toBe(true);
  await outbox.enqueue({ messageId: 'm1', dedupeKey: 'f#raised#slack#webhook', channel: 'slack', recipient: 'webhook', payload: { channel: 'slack', text: 'hello', blocks: [] }, about: 'f', createdAt: '2026-03-01T10:01:30.000Z', notBefore: '2026-03-01T10:05:00.000Z' });
  expect(await drainOutbox(deps, new Date('2026-03-01T10:02:00.000Z'))).toMatchObject({ attempted: 0 });
  expect(isIdle(await wake.read(), new Date('2026-03-01T10:04:00.000Z'))).toBe(true); // settled to the message's first attempt
  expect(await drainOutbox(deps, new Date('2026-03-01T10:05:00.000Z'))).toMatchObject({ attempted: 1, sent: 1 });
  expect(sent).toEqual(['hello']);
});
