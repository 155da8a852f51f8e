/**
 * The sealed audit trail against a real dynalite: idempotency, batches, concurrency, crashes
 * at every step between the record writes and the seal, and `verifyTrail` catching each kind of tampering done straight in the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { blockItem, chainIdFor, dynamoAuditTrailStore, recordItem, type AuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { recordHash, type BlockBody } from '../../functions/shared/audit-trail/audit-block.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { searchTrail, verifyTrail } from '../../functions/shared/audit-trail/audit-queries.ts';
import { linkHash, nextLink } from '../../functions/shared/audit-trail/hash-chain.ts';
import { anchorHeads, sealCheckAndAnchor } from '../../functions/audit-archive/flows.ts';
import { anchoredHeadsFrom } from '../../functions/shared/audit-trail/head-anchors.ts';
import { folderArchiveStore } from '../../functions/shared/archive-store.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let docs: DynamoDBDocumentClient;
let tableSeq = 0;

async function freshStore(): Promise<{ store: AuditTrailStore; table: string }> {
  const table = `audit-${++tableSeq}`;
  const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await ensureStateTable(client, stateTable, table);
  return { store: dynamoAuditTrailStore(docs, table), table };
}

function record(i: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    eventId: `evt-${i}`,
    source: 'erp.sap',
    detailType: 'Operation Audited',
    occurredAt: `2026-11-29T0${i % 10}:00:00Z`,
    recordedAt: '2026-11-29T10:00:00.000Z',
    actor: i % 2 ? 'u1001' : 'u2002',
    action: i % 3 ? 'update' : 'delete',
    target: `order-${i}`,
    module: i % 2 ? 'sales' : 'inventory',
    deviceId: 'dev-1',
    recordCount: i,
    valid: true,
    invalidReason: null,
    originalEvent: JSON.stringify({ id: `evt-${i}`, detail: { note: i === 7 ? 'month-end purge' : 'routine' } }),
    ...overrides,
  };
}

const now = new Date('2026-11-29T10:00:00Z');
const day = '2026-11-29';

beforeAll(async () => {
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }));
});
afterAll(async () => {
  docs.destroy();
  await server.close();
});

/** The store's client, failing (as a crash would) at the first command `crashAt` picks; later commands pass. */
function crashingClient(crashAt: (command: { constructor: { name: string }; input: Record<string, unknown> }) => boolean): DynamoDBDocumentClient {
  let crashed = false;
  return spyingClient((command) => {
    if (!crashed && crashAt(command)) {
      crashed = true;
      return Promise.reject(new Error('the container died here'));
    }
    return undefined;
  });
}

/**
 * The shared client with `intercept` shown every command first (a promise it returns answers
 * instead); still a DynamoDBDocumentClient, as the SDK's paginators require.
 */
function spyingClient(intercept: (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<never> | undefined): DynamoDBDocumentClient {
  return Object.assign(Object.create(docs) as DynamoDBDocumentClient, {
    send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => intercept(command) ?? docs.send(command as never),
  });
}
const itemSk = (command: { input: Record<string, unknown> }) => String((command.input.Item as { sk?: unknown } | undefined)?.sk ?? '');

/** `n` events sealed, each exactly once, no intent left open, and the day verifies clean. */
async function expectEachSealedOnce(store: AuditTrailStore, n: number): Promise<void> {
  expect(await store.openSeals(day)).toEqual([]);
  const counts = await sealedCounts(store);
  expect(counts.size).toBe(n);
  expect([...counts.values()].every((times) => times === 1)).toBe(true);
  expect(await verifyTrail(store, day, day)).toMatchObject({ records: n, broken: [] });
}

/** Every event sealed exactly once across the day's chains. */
async function sealedCounts(store: AuditTrailStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const chainId of await store.chainsOfDay(day)) for (const block of await store.readChain(chainId)) for (const e of block.record.entries) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1);
  return counts;
}

describe('audit trail store', () => {
  it('records a duplicate delivery once', async () => {
    const { store } = await freshStore();
    expect(await store.append(record(1), now)).toBe('appended');
    expect(await store.append(record(1), now)).toBe('duplicate');
    const report = await verifyTrail(store, day, day);
    expect(report).toMatchObject({ records: 1, broken: [] });
  });

  it('writes a batch in one BatchWriteItem and seals it with one block and one head write', async () => {
    const { table } = await freshStore();
    const sent: string[] = [];
    const store = dynamoAuditTrailStore(spyingClient((command) => (sent.push(command.constructor.name), undefined)), table);
    const batch = Array.from({ length: 25 }, (_, i) => record(i));
    expect(await store.appendBatch([...batch, record(3)], now)).toEqual([...batch.map(() => 'appended'), 'duplicate']);
    // the seal intent (a plain PutItem), read the batch's ids, the records, the head (cold), the block, the head, close the intent
    expect(sent).toEqual(['PutItemCommand', 'BatchGetCommand', 'BatchWriteCommand', 'GetCommand', 'PutCommand', 'PutCommand', 'BatchWriteCommand']);
    expect(await store.appendBatch(batch, now)).toEqual(batch.map(() => 'duplicate'));
    expect(await verifyTrail(dynamoAuditTrailStore(docs, table), day, day)).toMatchObject({ chains: 1, records: 25, broken: [] });
  });

  it('accepts a batch with one write, and the seal pass writes and seals it', async () => {
    const { table } = await freshStore();
    const sent: string[] = [];
    const store = dynamoAuditTrailStore(spyingClient((command) => (sent.push(command.constructor.name), undefined)), table);
    const batch = Array.from({ length: 100 }, (_, i) => record(200 + i));
    await store.accept([...batch, record(200)], now);
    expect(sent).toEqual(['PutItemCommand']);
    // Accepted, not sealed yet: verify counts it as a seal in progress, not as tampering.
    expect(await store.openSeals(day)).toEqual([expect.objectContaining({ records: batch })]);
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 0, broken: [] });
    sent.length = 0;
    expect(await store.sealPending(now)).toBe(1);
    // anything open yesterday or today, the pass's lock, yesterday's and today's intents, the lock naming the one it seals, read its ids, 4 record writes, the head (cold), the block, the head, close it, unlock
    expect(sent).toEqual(['QueryCommand', 'QueryCommand', 'PutCommand', 'QueryCommand', 'QueryCommand', 'PutCommand', 'BatchGetCommand', ...Array(4).fill('BatchWriteCommand'), 'GetCommand', 'PutCommand', 'PutCommand', 'BatchWriteCommand', 'DeleteCommand']);
    sent.length = 0;
    expect(await store.sealPending(now)).toBe(0);
    // Nothing open: two small reads, no lock.
    expect(sent).toEqual(['QueryCommand', 'QueryCommand']);
    // A resent batch is accepted again and found duplicate by the pass: nothing written twice.
    await store.accept(batch.slice(0, 10), now);
    expect(await store.sealPending(now)).toBe(1);
    expect(await sealedCounts(store)).toEqual(new Map(batch.map((r) => [r.eventId, 1])));
    expect(await verifyTrail(store, day, day)).toMatchObject({ chains: 1, records: 100, broken: [] });
  });

  it('seals every open batch in one pass: one block per chain; of two batches bringing the same event, the older records it', async () => {
    const { store } = await freshStore();
    const older = Array.from({ length: 20 }, (_, i) => record(400 + i));
    const newer = Array.from({ length: 20 }, (_, i) => record(415 + i, { actor: 'resent' }));
    const other = Array.from({ length: 5 }, (_, i) => record(450 + i, { source: 'erp.odoo' }));
    await store.accept(older, now);
    await store.accept(newer, new Date(now.getTime() + 1));
    await store.accept(other, new Date(now.getTime() + 2));
    expect(await store.sealPending(new Date(now.getTime() + 3))).toBe(3);
    expect((await store.get('evt-415'))?.record.actor).toBe(older[15]?.actor);
    expect((await store.get('evt-434'))?.record.actor).toBe('resent');
    const chains = await store.chainsOfDay(day);
    const blocks = (await Promise.all(chains.map((c) => store.readChain(c)))).flat();
    expect(blocks).toHaveLength(chains.length);
    expect(await sealedCounts(store)).toEqual(new Map([...older, ...newer.slice(5), ...other].map((r) => [r.eventId, 1])));
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 40, broken: [] });
  });

  it('a pass that dies after sealing one chain of several: the next pass seals the others and not that one again', async () => {
    const { table } = await freshStore();
    const sap = Array.from({ length: 10 }, (_, i) => record(500 + i));
    const odoo = Array.from({ length: 10 }, (_, i) => record(520 + i, { source: 'erp.odoo' }));
    const writer = dynamoAuditTrailStore(docs, table);
    await writer.accept(sap, now);
    await writer.accept(odoo, now);
    let blocksPut = 0;
    const dying = spyingClient((c) => (c.constructor.name === 'PutCommand' && itemSk(c).startsWith('BLOCK#') && ++blocksPut === 2 ? Promise.reject(new Error('the container died here')) : undefined));
    await expect(dynamoAuditTrailStore(dying, table).sealPending(now)).rejects.toThrow('the container died here');
    const store = dynamoAuditTrailStore(docs, table);
    // Within the dead pass's lease its intents are still in progress: verify does not call its block a forgery.
    expect((await verifyTrail(store, day, day)).broken).toEqual([]);
    expect(await store.sealPending(new Date(now.getTime() + 120_000))).toBe(2);
    expect(await store.openSeals(day)).toEqual([]);
    expect(await sealedCounts(store)).toEqual(new Map([...sap, ...odoo].map((r) => [r.eventId, 1])));
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 20, broken: [] });
  });

  it('writes the records of the ids read so far while later ids are still read, deciding each record in order across reads', async () => {
    const { table } = await freshStore();
    const writer = dynamoAuditTrailStore(docs, table);
    // Sealed before: two events the pass will find in the table, one in its first read and one in its last.
    expect(await writer.appendBatch([record(6005), record(6590)], now)).toEqual(['appended', 'appended']);
    const older = Array.from({ length: 600 }, (_, i) => record(6000 + i));
    // Resent later with other content: one event of the first read and one of the last; the older intent records both.
    const newer = [record(6001, { actor: 'resent' }), record(6599, { actor: 'resent' }), record(6700, { actor: 'resent' })];
    for (let b = 0; b < 600; b += 100) await writer.accept(older.slice(b, b + 100), new Date(now.getTime() + b));
    await writer.accept(newer, new Date(now.getTime() + 1000));
    const sent: string[] = [];
    const store = dynamoAuditTrailStore(spyingClient((command) => (sent.push(command.constructor.name), undefined)), table);
    expect(await store.sealPending(new Date(now.getTime() + 2000))).toBe(7);
    // Six reads of 100 ids, four in flight: the first read's records are on their way before the last two reads go.
    const reads = sent.flatMap((name, i) => (name === 'BatchGetCommand' ? [i] : []));
    expect(reads).toHaveLength(7);
    expect(sent.indexOf('BatchWriteCommand')).toBeLessThan(reads[5] as number);
    expect((await store.get('evt-6001'))?.record.actor).toBe(older[1]?.actor);
    expect((await store.get('evt-6599'))?.record.actor).toBe(older[599]?.actor);
    expect((await store.get('evt-6700'))?.record.actor).toBe('resent');
    await expectEachSealedOnce(store, 601);
  });

  it('a pass that dies on a later read, its first records already written: the next pass seals every record once', async () => {
    const { table } = await freshStore();
    const batch = Array.from({ length: 600 }, (_, i) => record(7000 + i));
    for (let b = 0; b < 600; b += 100) await dynamoAuditTrailStore(docs, table).accept(batch.slice(b, b + 100), now);
    let reads = 0;
    const dying = spyingClient((c) => (c.constructor.name === 'BatchGetCommand' && ++reads === 6 ? Promise.reject(new Error('the container died here')) : undefined));
    await expect(dynamoAuditTrailStore(dying, table).sealPending(now)).rejects.toThrow('the container died here');
    const store = dynamoAuditTrailStore(docs, table);
    expect((await store.readRecords(batch.map((r) => r.eventId))).size).toBeGreaterThan(0);
    expect(await store.sealPending(now)).toBe(6);
    await expectEachSealedOnce(store, 600);
  });

  it('takes round after round while more intents are open: a backlog larger than a round is sealed by one pass', async () => {
    const { store } = await freshStore();
    // 230 batches accepted while no pass ran (a round takes 200).
    for (let b = 0; b < 230; b += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => store.accept([record(5000 + b + k)], now)));
    expect(await store.sealPending(now)).toBe(230);
    expect(await store.openSeals(day)).toEqual([]);
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 230, broken: [] });
  });

  it('seals a round while the next round reads its intents and ids; a pass that dies in the next round leaves the first sealed and the next pass finishes the rest once', async () => {
    const { table } = await freshStore();
    const writer = dynamoAuditTrailStore(docs, table);
    const batches = Array.from({ length: 230 }, (_, b) => [record(8000 + b)]);
    for (let b = 0; b < 230; b += 10) await Promise.all(batches.slice(b, b + 10).map((batch) => writer.accept(batch, now)));
    const sent: string[] = [];
    let reads = 0;
    const dying = spyingClient((c) => {
      const isDelete = c.constructor.name === 'BatchWriteCommand' && JSON.stringify(c.input).includes('DeleteRequest');
      sent.push(isDelete ? 'close' : c.constructor.name);
      // The first round reads 200 ids in two requests; the third read is the second round's.
      return c.constructor.name === 'BatchGetCommand' && ++reads === 3 ? Promise.reject(new Error('the container died here')) : undefined;
    });
    await expect(dynamoAuditTrailStore(dying, table).sealPending(now)).rejects.toThrow('the container died here');
    // The second round's read went out before the first round closed its intents, and the first round was still sealed in full.
    expect(sent.lastIndexOf('BatchGetCommand')).toBeLessThan(sent.indexOf('close'));
    const store = dynamoAuditTrailStore(docs, table);
    expect(await store.openSeals(day)).toHaveLength(30);
    expect(await store.sealPending(now)).toBe(30);
    await expectEachSealedOnce(store, 230);
  });

  it('seals a pass larger than one item as several blocks of the chain', async () => {
    const { store } = await freshStore();
    // 30 batches of 100 from one source, accepted while no pass ran: one pass, 3,000 entries with long ids, more than one block of a chain holds.
    const ids = Array.from({ length: 3000 }, (_, i) => `month-end-${String(i).padStart(5, '0')}-${'x'.repeat(900)}`);
    for (let b = 0; b < 30; b++) await store.accept(ids.slice(b * 100, b * 100 + 100).map((eventId, i) => record(b * 100 + i, { eventId })), now);
    expect(await store.sealPending(now)).toBe(30);
    const chains = await store.chainsOfDay(day);
    const blocks = (await Promise.all(chains.map((c) => store.readChain(c)))).flat();
    expect(blocks.length).toBeGreaterThan(chains.length);
    expect([...(await sealedCounts(store)).values()]).toEqual(ids.map(() => 1));
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 3000, broken: [] });
  });

  it('runs one pass at a time: a pass waits while another holds the lock, and a dead pass\'s lock lapses with its short lease', async () => {
    const { table } = await freshStore();
    const store = dynamoAuditTrailStore(docs, table);
    await store.accept([record(600), record(601)], now);
    // Another pass holds the lock, and dies holding it: its lease runs out half a second on.
    await docs.send(new PutCommand({ TableName: table, Item: { pk: 'SEALS#PASS', sk: 'LOCK', holder: 'a dead pass', leaseUntil: new Date(now.getTime() + 500).toISOString() } }));
    const t0 = performance.now();
    expect(await store.sealPending(now)).toBe(1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 2, broken: [] });
    expect((await docs.send(new GetCommand({ TableName: table, Key: { pk: 'SEALS#PASS', sk: 'LOCK' } }))).Item).toBeUndefined();
  });

  it('keeps an intent\'s records deflated in one binary attribute, one event\'s as JSON text, and seals both and one a data folder kept as text', async () => {
    const { table } = await freshStore();
    // Intents put as the trail's function puts them: through the plain client that resolves each command's middleware once.
    const plain = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, cacheMiddleware: true });
    onTestFinished(() => plain.destroy());
    const store = dynamoAuditTrailStore(docs, table, { intentWriter: plain });
    const batch = Array.from({ length: 100 }, (_, i) => record(400 + i));
    await store.accept(batch, now);
    const single = record(399);
    await store.accept([single], now);
    const intents = await store.openSeals(day);
    const stored = new Map<number, unknown>();
    for (const intent of intents) {
      const item = (await docs.send(new GetCommand({ TableName: table, Key: { pk: `SEALS#${day}`, sk: `BATCH#${intent.batchId}` } }))).Item;
      stored.set(intent.records.length, item?.records);
    }
    expect(stored.get(100)).toBeInstanceOf(Uint8Array);
    // Routine records share their shape: the packed batch is a small fraction of their JSON.
    expect((stored.get(100) as Uint8Array).byteLength).toBeLessThan(JSON.stringify(batch).length / 5);
    expect(stored.get(1)).toBe(JSON.stringify([single]));
    expect(intents.find((i) => i.records.length === 100)?.records).toEqual(batch);
    const older = Array.from({ length: 3 }, (_, i) => record(500 + i));
    await docs.send(new PutCommand({ TableName: table, Item: { pk: `SEALS#${day}`, sk: 'BATCH#from-an-older-folder', batchId: 'from-an-older-folder', day, createdAt: now.toISOString(), leaseUntil: now.toISOString(), records: JSON.stringify(older) } }));
    expect(await store.sealPending(now)).toBe(3);
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 104, broken: [] });
  });

  it('an intent that can no longer be read is left open and reported by verify; every other batch is still sealed', async () => {
    const { store, table } = await freshStore();
    await store.accept([record(600), record(601)], now);
    await store.accept([record(602)], now);
    const [damaged, intact] = await store.openSeals(day);
    // Damaged (or tampered with) after it was accepted: the bytes are no longer deflated JSON.
    await docs.send(new UpdateCommand({ TableName: table, Key: { pk: `SEALS#${day}`, sk: `BATCH#${damaged?.batchId}` }, UpdateExpression: 'SET #r = :junk', ExpressionAttributeNames: { '#r': 'records' }, ExpressionAttributeValues: { ':junk': new Uint8Array([1, 2, 3, 250, 251]) } }));
    expect(await store.sealPending(now)).toBe(1);
    expect(await store.sealPending(now)).toBe(0);
    const open = await store.openSeals(day);
    expect(open).toEqual([expect.objectContaining({ batchId: damaged?.batchId, records: [], unreadable: expect.stringContaining(`seal intent ${damaged?.batchId}: records cannot be read`) })]);
    const report = await verifyTrail(store, day, day);
    expect(report.records).toBe(intact?.records.length);
    expect(report.broken).toEqual([expect.objectContaining({ chainId: `SEALS#${day}/BATCH#${damaged?.batchId}`, kind: 'unreadable-intent', message: expect.stringContaining('can be neither sealed nor checked') })]);
    // The hourly check reports it too, as a 6.1 finding.
    const folder = mkdtempSync(join(tmpdir(), 'erpgov-anchors-'));
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    const published: OutgoingEvent[] = [];
    const findings = findingLifecycle({ store: memoryFindingsStore(), publisher: { publish: async (events) => void published.push(...events) } }, 'audit-archive');
    const run = await sealCheckAndAnchor({ trail: store, archive: folderArchiveStore(folder), findings, mode: 'enforce' }, now);
    expect(run.broken).toEqual([expect.objectContaining({ kind: 'unreadable-intent' })]);
    expect(published).toEqual([expect.objectContaining({ detailType: 'Finding Raised', detail: expect.objectContaining({ control: '6.1', severity: 'critical' }) })]);
  });

  it('splits a batch of large events across intents that each fit in an item', async () => {
    const { store } = await freshStore();
    // Ten events of ~120 KB (Chinese text: three bytes a character in UTF-8).
    const big = Array.from({ length: 10 }, (_, i) => record(300 + i, { originalEvent: JSON.stringify({ id: `evt-${300 + i}`, detail: { note: '审计'.repeat(20_000) } }) }));
    await store.accept(big, now);
    const intents = await store.openSeals(day);
    expect(intents.length).toBeGreaterThan(1);
    expect(intents.flatMap((i) => i.records.map((r) => r.eventId)).sort()).toEqual(big.map((r) => r.eventId).sort());
    expect(await store.sealPending(now)).toBe(intents.length);
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 10, broken: [] });
  });

  it('keeps every chain intact under concurrent appends', async () => {
    const { store } = await freshStore();
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => store.append(record(i), now)));
    expect(outcomes.every((o) => o === 'appended')).toBe(true);
    const report = await verifyTrail(store, day, day);
    expect(report.records).toBe(60);
    expect(report.broken).toEqual([]);
  });

  describe('a crash anywhere between the record writes and the seal loses or doubles nothing', () => {
    const batch = Array.from({ length: 30 }, (_, i) => record(100 + i));
    const later = new Date(now.getTime() + 120_000);
    const points: [string, (c: { constructor: { name: string }; input: Record<string, unknown> }) => boolean][] = [
      ['after the seal intent, before the id read', (c) => c.constructor.name === 'BatchGetCommand'],
      ['after the id read, before the records', (c) => c.constructor.name === 'BatchWriteCommand'],
      ['between two record writes', (c) => c.constructor.name === 'BatchWriteCommand' && (c.input.RequestItems as Record<string, unknown[]>)[Object.keys(c.input.RequestItems as object)[0] as string]?.length === 5],
      ['after the records, before the block', (c) => c.constructor.name === 'PutCommand' && itemSk(c).startsWith('BLOCK#')],
      ['after the block, before the head', (c) => c.constructor.name === 'PutCommand' && itemSk(c) === 'HEAD'],
      ['after the head, before the intent is closed', (c) => c.constructor.name === 'BatchWriteCommand' && JSON.stringify(c.input).includes('DeleteRequest')],
    ];
    for (const [where, crashAt] of points) {
      it(`${where}: a redelivery records the rest, and the next pass seals what the dead writer wrote`, async () => {
        const { table } = await freshStore();
        await expect(dynamoAuditTrailStore(crashingClient(crashAt), table).appendBatch(batch, now)).rejects.toThrow('the container died here');
        const store = dynamoAuditTrailStore(docs, table);
        // Within the dead writer's lease: what it wrote is its batch's, the rest the redelivery's.
        const early = await store.appendBatch(batch, now);
        expect(early.every((o) => o === 'duplicate' || o === 'appended')).toBe(true);
        expect(await store.sealPending(now)).toBe(0);
        // After the lease the pass takes the dead writer's intent over and finishes it.
        expect(await store.sealPending(later)).toBe(1);
        expect(await store.openSeals(day)).toEqual([]);
        expect(await store.appendBatch(batch, later)).toEqual(batch.map(() => 'duplicate'));
        const counts = await sealedCounts(store);
        expect([...counts.keys()].sort()).toEqual(batch.map((r) => r.eventId).sort());
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(await verifyTrail(store, day, day)).toMatchObject({ records: 30, broken: [] });
      });

      it(`${where}: the pass alone finishes the whole batch from its intent`, async () => {
        const { table } = await freshStore();
        await expect(dynamoAuditTrailStore(crashingClient(crashAt), table).appendBatch(batch, now)).rejects.toThrow('the container died here');
        const store = dynamoAuditTrailStore(docs, table);
        expect(await store.sealPending(later)).toBe(1);
        expect(await store.openSeals(day)).toEqual([]);
        expect((await store.readRecords(batch.map((r) => r.eventId))).size).toBe(30);
        expect(await verifyTrail(store, day, day)).toMatchObject({ records: 30, broken: [] });
        expect(await store.appendBatch(batch, later)).toEqual(batch.map(() => 'duplicate'));
        const counts = await sealedCounts(store);
        expect(counts.size).toBe(30);
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
      });

      it(`${where}, in a seal pass: the next pass finishes it at once (the dead pass's lock names what it was sealing)`, async () => {
        const { table } = await freshStore();
        await dynamoAuditTrailStore(docs, table).accept(batch, now);
        await expect(dynamoAuditTrailStore(crashingClient(crashAt), table).sealPending(now)).rejects.toThrow('the container died here');
        const store = dynamoAuditTrailStore(docs, table);
        expect(await store.sealPending(now)).toBe(1);
        expect(await store.openSeals(day)).toEqual([]);
        const counts = await sealedCounts(store);
        expect(counts.size).toBe(30);
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(await verifyTrail(store, day, day)).toMatchObject({ records: 30, broken: [] });
      });
    }
  });

  it('keeps chains intact when several writers (Lambda containers) with stale head caches interleave', async () => {
    const { table } = await freshStore();
    const writers = [dynamoAuditTrailStore(docs, table), dynamoAuditTrailStore(docs, table), dynamoAuditTrailStore(docs, table)];
    for (let round = 0; round < 4; round++) {
      await Promise.all(writers.map((w, k) => Promise.all(Array.from({ length: 4 }, (_, j) => w.appendBatch([record(1000 + round * 100 + k * 10 + j * 2), record(1001 + round * 100 + k * 10 + j * 2)], now)))));
    }
    expect(await verifyTrail(writers[0] as AuditTrailStore, day, day)).toMatchObject({ records: 96, broken: [] });
  });

  describe('verify catches tampering', () => {
    /** `n` blocks of one record each, all in one chain (ids picked from one shard). */
    async function trailOf(n: number) {
      const { store, table } = await freshStore();
      const ids: number[] = [];
      for (let i = 0; ids.length < n; i++) if (chainIdFor(record(i), now) === chainIdFor(record(0), now)) ids.push(i);
      for (const i of ids) await store.append(record(i), now);
      const chainId = chainIdFor(record(0), now);
      const key = (seq: number) => ({ pk: `CHAIN#${chainId}`, sk: `BLOCK#${String(seq).padStart(12, '0')}` });
      const get = async (seq: number) => (await docs.send(new GetCommand({ TableName: table, Key: key(seq) }))).Item as Record<string, unknown> & { record: BlockBody };
      const recordKeyOf = (seq: number) => ({ pk: `AUDIT#evt-${ids[seq - 1]}`, sk: 'RECORD' });
      return { store, table, chainId, key, get, recordKeyOf, ids };
    }

    type Trail = Awaited<ReturnType<typeof trailOf>>;
    const remove = (table: string, Key: Record<string, string>) => docs.send(new DeleteCommand({ TableName: table, Key }));
    const setInRecord = (table: string, Key: Record<string, string>, field: string, value: string) =>
      docs.send(new UpdateCommand({ TableName: table, Key, UpdateExpression: `SET #r.${field} = :a`, ExpressionAttributeNames: { '#r': 'record' }, ExpressionAttributeValues: { ':a': value } }));

    // Each tampering of a 4-block chain, and the one break verify must report.
    it.each<[string, (trail: Trail) => Promise<unknown>, { kind: string; seq: number }]>([
      ['an edited record', ({ table, recordKeyOf }) => setInRecord(table, recordKeyOf(2), 'actor', 'someone-else'), { kind: 'edited', seq: 2 }],
      ['an edited block', ({ table, key }) => setInRecord(table, key(2), 'sealedAt', '2026-11-29T11:00:00.000Z'), { kind: 'edited', seq: 2 }],
      ['a deleted record', ({ table, recordKeyOf }) => remove(table, recordKeyOf(3)), { kind: 'deleted', seq: 3 }],
      ['a deleted block', async ({ table, key, recordKeyOf }) => [await remove(table, key(3)), await remove(table, recordKeyOf(3))], { kind: 'deleted', seq: 3 }],
      ['a deleted tail', ({ table, key }) => remove(table, key(4)), { kind: 'truncated', seq: 4 }],
    ])('%s', async (_, tamper, expected) => {
      const trail = await trailOf(4);
      await tamper(trail);
      expect((await verifyTrail(trail.store, day, day)).broken).toEqual([expect.objectContaining(expected)]);
    });

    it('an inserted block', async () => {
      const { store, table, key, get } = await trailOf(3);
      // Shift block 3 to 4 and put a forged block at 3 that carries a self-consistent hash.
      const third = await get(3);
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(4), seq: 4 } }));
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(3), seq: 3, prevHash: 'f'.repeat(64), record: { ...third.record, batchId: 'forged' } } }));
      const broken = (await verifyTrail(store, day, day)).broken;
      expect(broken).toHaveLength(1);
      expect(['inserted', 'edited']).toContain(broken[0]?.kind);
      expect(broken[0]?.seq).toBe(3);
    });

    it('a record put straight into the table, sealed by no block', async () => {
      const { store, table, chainId } = await trailOf(3);
      await docs.send(new PutCommand({ TableName: table, Item: recordItem({ chainId, batchId: 'forged', record: record(777, { eventId: 'forged' }) }) }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ chainId, kind: 'inserted' })]);
    });

    it('a record put under an id an open seal names, but not as that seal\'s batch, is still caught', async () => {
      const { store, table, chainId } = await trailOf(3);
      // A batch dies after its intent, before its records: the intent stays open until the sweep.
      const fresh = record(900, { eventId: 'evt-new-in-crashed-batch' });
      await expect(dynamoAuditTrailStore(crashingClient((c) => c.constructor.name === 'BatchWriteCommand'), table).appendBatch([fresh], now)).rejects.toThrow('the container died here');
      expect((await store.openSeals(day)).flatMap((i) => i.records.map((r) => r.eventId))).toContain(fresh.eventId);
      // Forged straight into the table under that id, as some other batch: the open seal does not excuse it.
      await docs.send(new PutCommand({ TableName: table, Item: recordItem({ chainId, batchId: 'forged', record: fresh }) }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ chainId, kind: 'inserted' })]);
    });

    it('a correctly hashed block appended after the stored head, sealing a forged record, the head left alone', async () => {
      const { store, table, chainId, get } = await trailOf(3);
      const forged = record(778, { eventId: 'forged-appended' });
      await docs.send(new PutCommand({ TableName: table, Item: recordItem({ chainId, batchId: 'forged', record: forged }) }));
      const third = await get(3);
      const block = nextLink(chainId, { chainId, seq: 3, hash: String(third.hash) }, { sealedAt: now.toISOString(), batchIds: ['forged'], entries: [{ eventId: forged.eventId, recordHash: recordHash(chainId, forged) }] });
      await docs.send(new PutCommand({ TableName: table, Item: blockItem(block) }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ chainId, kind: 'inserted', seq: 4 })]);
    });

    describe('what only the anchored heads reveal', () => {
      async function anchored(n: number) {
        const trail = await trailOf(n);
        const folder = mkdtempSync(join(tmpdir(), 'erpgov-anchors-'));
        onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
        const archive = folderArchiveStore(folder);
        expect(await anchorHeads(trail.store, archive, now)).toMatchObject([{ day, heads: [{ chainId: trail.chainId, seq: n }] }]);
        return { ...trail, anchors: anchoredHeadsFrom(archive) };
      }
      const headKey = (chainId: string) => ({ pk: `HEAD#${chainId}`, sk: 'HEAD' });

      it('a whole chain deleted together with its head and its records', async () => {
        const { store, table, key, chainId, anchors, recordKeyOf } = await anchored(3);
        for (const seq of [1, 2, 3]) await docs.send(new DeleteCommand({ TableName: table, Key: key(seq) }));
        for (const seq of [1, 2, 3]) await docs.send(new DeleteCommand({ TableName: table, Key: recordKeyOf(seq) }));
        await docs.send(new DeleteCommand({ TableName: table, Key: headKey(chainId) }));
        expect((await verifyTrail(store, day, day)).broken).toEqual([]);
        expect((await verifyTrail(store, day, day, anchors)).broken).toEqual([expect.objectContaining({ chainId, kind: 'chain-deleted' })]);
      });

      it('a tail cut together with the head', async () => {
        const { store, table, key, chainId, get, anchors, recordKeyOf } = await anchored(4);
        const third = await get(3);
        await docs.send(new DeleteCommand({ TableName: table, Key: key(4) }));
        await docs.send(new DeleteCommand({ TableName: table, Key: recordKeyOf(4) }));
        await docs.send(new UpdateCommand({ TableName: table, Key: headKey(chainId), UpdateExpression: 'SET seq = :s, #h = :h', ExpressionAttributeNames: { '#h': 'hash' }, ExpressionAttributeValues: { ':s': 3, ':h': third.hash } }));
        expect((await verifyTrail(store, day, day)).broken).toEqual([]);
        expect((await verifyTrail(store, day, day, anchors)).broken).toEqual([expect.objectContaining({ kind: 'truncated', seq: 4 })]);
      });

      it('an edit with its block, every later block and the head re-hashed', async () => {
        const { store, table, key, chainId, get, anchors, recordKeyOf } = await anchored(3);
        const stored = (await docs.send(new GetCommand({ TableName: table, Key: recordKeyOf(2) }))).Item as { record: AuditRecord };
        const edited = { ...stored.record, actor: 'someone-else' };
        await docs.send(new PutCommand({ TableName: table, Item: { ...stored, record: edited } }));
        let prevHash = String((await get(1)).hash);
        for (const seq of [2, 3]) {
          const block = await get(seq);
          const body: BlockBody = seq === 2 ? { ...block.record, entries: [{ eventId: edited.eventId, recordHash: recordHash(chainId, edited) }] } : block.record;
          const hash = linkHash(chainId, seq, prevHash, body);
          await docs.send(new PutCommand({ TableName: table, Item: { ...block, ...key(seq), prevHash, hash, record: body } }));
          prevHash = hash;
        }
        await docs.send(new UpdateCommand({ TableName: table, Key: headKey(chainId), UpdateExpression: 'SET #h = :h', ExpressionAttributeNames: { '#h': 'hash' }, ExpressionAttributeValues: { ':h': prevHash } }));
        expect((await verifyTrail(store, day, day)).broken).toEqual([]);
        expect((await verifyTrail(store, day, day, anchors)).broken).toEqual([expect.objectContaining({ kind: 'rewritten', seq: 3 })]);
      });

      it('an intact chain that grew after the anchor', async () => {
        const { store, anchors } = await anchored(2);
        await store.append(record(9_999), now);
        expect(await verifyTrail(store, day, day, anchors)).toMatchObject({ anchored: 1, broken: [] });
      });
    });

    it('reordered blocks', async () => {
      const { store, table, key, get } = await trailOf(4);
      const [second, third] = [await get(2), await get(3)];
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(2) } }));
      await docs.send(new PutCommand({ TableName: table, Item: { ...second, ...key(3) } }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ kind: 'reordered', seq: 2 })]);
    });

    it('a chain found broken while the runtime runs is a 6.1 finding at the next anchor', async () => {
      const { store, table, recordKeyOf, chainId } = await trailOf(3);
      await docs.send(new UpdateCommand({ TableName: table, Key: recordKeyOf(1), UpdateExpression: 'SET #r.actor = :a', ExpressionAttributeNames: { '#r': 'record' }, ExpressionAttributeValues: { ':a': 'intruder' } }));
      const folder = mkdtempSync(join(tmpdir(), 'erpgov-anchors-'));
      onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
      const published: OutgoingEvent[] = [];
      const findings = findingLifecycle({ store: memoryFindingsStore(), publisher: { publish: async (events) => void published.push(...events) } }, 'audit-archive');
      const run = await sealCheckAndAnchor({ trail: store, archive: folderArchiveStore(folder), findings, mode: 'enforce' }, now);
      expect(run.broken).toEqual([expect.objectContaining({ chainId, kind: 'edited', seq: 1 })]);
      expect(published).toEqual([expect.objectContaining({ detailType: 'Finding Raised', detail: expect.objectContaining({ control: '6.1', subject: expect.objectContaining({ id: chainId }) }) })]);
    });
  });

  it('searches by keyword and fields over a time range', async () => {
    const { store } = await freshStore();
    for (let i = 0; i < 10; i++) await store.append(record(i), now);
    await new Promise((r) => setTimeout(r, 50)); // the time index is eventually consistent on AWS
    const all = await searchTrail(store, { from: day, to: day });
    expect(all).toHaveLength(10);
    expect((await searchTrail(store, { from: day, to: day, keyword: 'MONTH-END' })).map((r) => r.eventId)).toEqual(['evt-7']);
    const deletes = await searchTrail(store, { from: day, to: day, action: 'delete', actor: 'u2002' });
    expect(deletes.map((r) => r.eventId).sort()).toEqual(['evt-0', 'evt-6']);
    expect((await searchTrail(store, { from: '2026-11-29T03:00:00Z', to: '2026-11-29T05:00:00Z', module: 'sales' })).map((r) => r.eventId).sort()).toEqual(['evt-3', 'evt-5']);
    expect(await searchTrail(store, { from: '2026-11-30', to: '2026-12-01' })).toEqual([]);
  });

  it('reads records by time range, bounds included, whether or not times carry milliseconds', async () => {
    const { store } = await freshStore();
    // record(i) happens at 0i:00:00Z; one more at 04:00:00.500Z, and one the next day.
    for (let i = 0; i < 10; i++) await store.append(record(i), now);
    await store.append(record(20, { eventId: 'evt-half', occurredAt: '2026-11-29T04:00:00.500Z' }), now);
    await store.append(record(21, { eventId: 'evt-next-day', occurredAt: '2026-11-30T00:30:00Z' }), now);
    const ids = async (from: string, to: string) => (await store.recordsOccurredBetween(from, to)).map((r) => r.eventId).sort();
    expect(await ids('2026-11-29T03:00:00.000Z', '2026-11-29T04:00:00.000Z')).toEqual(['evt-3', 'evt-4']);
    expect(await ids('2026-11-29T04:00:00.001Z', '2026-11-29T05:00:00Z')).toEqual(['evt-5', 'evt-half']);
    expect(await ids('2026-11-29T09:00:00Z', '2026-11-30T01:00:00Z')).toEqual(['evt-9', 'evt-next-day']);
  });

  it('a pass takes yesterday\'s and today\'s intents; a sweep reaches further back and seals an old one into its own day', async () => {
    const { store } = await freshStore();
    const fiveDaysAgo = new Date(now.getTime() - 5 * 86_400_000);
    await store.accept([record(1)], fiveDaysAgo);
    await store.accept([record(2)], now);
    expect(await store.sealPending(now)).toBe(1);
    expect(await store.sealPending(now, { lookBackDays: 4 })).toBe(0);
    expect(await store.sealPending(now, { lookBackDays: 14 })).toBe(1);
    expect((await store.get('evt-1'))?.chainId).toBe(chainIdFor(record(1), fiveDaysAgo));
    expect(await verifyTrail(store, '2026-11-24', '2026-11-29')).toMatchObject({ broken: [] });
  });

  it('reads, when asked, the records still waiting for their seal too: a sealed record wins over an intent, an older intent over a newer one', async () => {
    const { store } = await freshStore();
    await store.append(record(1), now);
    // Accepted, not sealed: the pass has not run yet.
    await store.accept([record(1, { action: 'resent' }), record(2), record(3, { occurredAt: '2026-11-29T23:59:59Z' })], now);
    await store.accept([record(2, { action: 'later copy' }), record(4, { occurredAt: '2026-11-30T00:00:01Z' })], new Date(now.getTime() + 1000));
    const between = async (unsealed: boolean) => (await store.recordsOccurredBetween('2026-11-29T00:00:00Z', '2026-11-29T23:59:59Z', unsealed ? { unsealedAsOf: new Date('2026-11-30T08:00:00Z') } : {})).map((r) => `${r.eventId}:${r.action}`).sort();
    expect(await between(false)).toEqual(['evt-1:update']);
    expect(await between(true)).toEqual(['evt-1:update', 'evt-2:update', 'evt-3:delete']);
    await store.sealPending(new Date(now.getTime() + 2000));
    expect(await between(false)).toEqual(['evt-1:update', 'evt-2:update', 'evt-3:delete']);
    expect(await between(true)).toEqual(['evt-1:update', 'evt-2:update', 'evt-3:delete']);
  });
});
