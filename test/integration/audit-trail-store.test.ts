/**
 * The hash-chained audit trail against a real dynalite: idempotency, concurrency, crash
 * recovery, and `verifyTrail` catching each kind of tampering done straight in the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { chainIdFor, dynamoAuditTrailStore, type AuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { searchTrail, verifyTrail } from '../../functions/shared/audit-trail/audit-queries.ts';
import { linkHash } from '../../functions/shared/audit-trail/hash-chain.ts';
import { anchorHeads } from '../../functions/audit-archive/flows.ts';
import { anchoredHeadsFrom } from '../../functions/audit-archive/head-anchors.ts';
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
  await new Promise((r) => server.server.close(r));
});

describe('audit trail store', () => {
  it('records a duplicate delivery once', async () => {
    const { store } = await freshStore();
    expect(await store.append(record(1), now)).toBe('appended');
    expect(await store.append(record(1), now)).toBe('duplicate');
    const report = await verifyTrail(store, day, day);
    expect(report).toMatchObject({ records: 1, broken: [] });
  });

  it('keeps every chain intact under concurrent appends', async () => {
    const { store } = await freshStore();
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => store.append(record(i), now)));
    expect(outcomes.every((o) => o === 'appended')).toBe(true);
    const report = await verifyTrail(store, day, day);
    expect(report.records).toBe(60);
    expect(report.broken).toEqual([]);
  });

  it('finishes an append that crashed after the link was written (no loss, no duplicate)', async () => {
    const { store, table } = await freshStore();
    await store.append(record(1), now);
    await store.append(record(2), now);
    // Simulate a crash of event 2's delivery after its link was put: claim not yet linked, head behind.
    await docs.send(new UpdateCommand({ TableName: table, Key: { pk: 'AUDIT#evt-2', sk: 'CLAIM' }, UpdateExpression: 'SET #s = :c', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':c': 'claimed' } }));
    // A redelivery within the lease is told to retry later rather than racing the first one.
    await expect(store.append(record(2), now)).rejects.toMatchObject({ name: 'AppendInProgressError', retryable: true });
    const later = new Date(now.getTime() + 120_000);
    expect(await store.append(record(2), later)).toBe('appended');
    expect(await store.append(record(2), later)).toBe('duplicate');
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 2, broken: [] });
  });

  it('links a record whose earlier delivery died after claiming it, before linking', async () => {
    const { store, table } = await freshStore();
    await docs.send(new PutCommand({ TableName: table, Item: { pk: 'AUDIT#evt-5', sk: 'CLAIM', chainId: chainIdFor(record(5), now), state: 'claimed', claimedAt: now.toISOString() } }));
    expect(await store.append(record(5), new Date(now.getTime() + 120_000))).toBe('appended');
    expect((await store.get('evt-5'))?.record.eventId).toBe('evt-5');
    expect(await verifyTrail(store, day, day)).toMatchObject({ records: 1, broken: [] });
  });

  it('keeps chains intact when several writers (Lambda containers) with stale head caches interleave', async () => {
    const { table } = await freshStore();
    const writers = [dynamoAuditTrailStore(docs, table), dynamoAuditTrailStore(docs, table), dynamoAuditTrailStore(docs, table)];
    for (let round = 0; round < 4; round++) {
      await Promise.all(writers.map((w, k) => Promise.all(Array.from({ length: 8 }, (_, j) => w.append(record(1000 + round * 100 + k * 10 + j), now)))));
    }
    expect(await verifyTrail(writers[0] as AuditTrailStore, day, day)).toMatchObject({ records: 96, broken: [] });
  });

  describe('verify catches tampering', () => {
    async function trailOf(n: number) {
      const { store, table } = await freshStore();
      // All in one chain: same source, same shard is not guaranteed, so pick ids of one shard.
      const ids: number[] = [];
      for (let i = 0; ids.length < n; i++) if (chainIdFor(record(i), now) === chainIdFor(record(0), now)) ids.push(i);
      for (const i of ids) await store.append(record(i), now);
      const chainId = chainIdFor(record(0), now);
      const key = (seq: number) => ({ pk: `CHAIN#${chainId}`, sk: `LINK#${String(seq).padStart(12, '0')}` });
      const get = async (seq: number) => (await docs.send(new GetCommand({ TableName: table, Key: key(seq) }))).Item as Record<string, unknown>;
      return { store, table, chainId, key, get };
    }

    it('an edited record', async () => {
      const { store, table, key } = await trailOf(4);
      await docs.send(new UpdateCommand({ TableName: table, Key: key(2), UpdateExpression: 'SET #r.actor = :a', ExpressionAttributeNames: { '#r': 'record' }, ExpressionAttributeValues: { ':a': 'someone-else' } }));
      const report = await verifyTrail(store, day, day);
      expect(report.broken).toEqual([expect.objectContaining({ kind: 'edited', seq: 2 })]);
    });

    it('a deleted record', async () => {
      const { store, table, key } = await trailOf(4);
      await docs.send(new DeleteCommand({ TableName: table, Key: key(3) }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ kind: 'deleted', seq: 3 })]);
    });

    it('a deleted tail', async () => {
      const { store, table, key } = await trailOf(4);
      await docs.send(new DeleteCommand({ TableName: table, Key: key(4) }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ kind: 'truncated', seq: 4 })]);
    });

    it('an inserted record', async () => {
      const { store, table, key, get } = await trailOf(3);
      // Shift link 3 to 4 and put a forged link at 3 that carries a self-consistent hash.
      const third = await get(3);
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(4), seq: 4 } }));
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(3), seq: 3, prevHash: 'f'.repeat(64), record: { ...(third.record as object), eventId: 'forged' } } }));
      const broken = (await verifyTrail(store, day, day)).broken;
      expect(broken).toHaveLength(1);
      expect(['inserted', 'edited']).toContain(broken[0]?.kind);
      expect(broken[0]?.seq).toBe(3);
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

      it('a whole chain deleted together with its head', async () => {
        const { store, table, key, chainId, anchors } = await anchored(3);
        for (const seq of [1, 2, 3]) await docs.send(new DeleteCommand({ TableName: table, Key: key(seq) }));
        await docs.send(new DeleteCommand({ TableName: table, Key: headKey(chainId) }));
        expect((await verifyTrail(store, day, day)).broken).toEqual([]);
        expect((await verifyTrail(store, day, day, anchors)).broken).toEqual([expect.objectContaining({ chainId, kind: 'chain-deleted' })]);
      });

      it('a tail cut together with the head', async () => {
        const { store, table, key, chainId, get, anchors } = await anchored(4);
        const third = await get(3);
        await docs.send(new DeleteCommand({ TableName: table, Key: key(4) }));
        await docs.send(new UpdateCommand({ TableName: table, Key: headKey(chainId), UpdateExpression: 'SET seq = :s, #h = :h', ExpressionAttributeNames: { '#h': 'hash' }, ExpressionAttributeValues: { ':s': 3, ':h': third.hash } }));
        expect((await verifyTrail(store, day, day)).broken).toEqual([]);
        expect((await verifyTrail(store, day, day, anchors)).broken).toEqual([expect.objectContaining({ kind: 'truncated', seq: 4 })]);
      });

      it('an edit with every later link and the head re-hashed', async () => {
        const { store, table, key, chainId, get, anchors } = await anchored(3);
        let prevHash = String((await get(1)).hash);
        for (const seq of [2, 3]) {
          const link = await get(seq);
          const record = seq === 2 ? { ...(link.record as object), actor: 'someone-else' } : link.record;
          const hash = linkHash(chainId, seq, prevHash, record);
          await docs.send(new PutCommand({ TableName: table, Item: { ...link, ...key(seq), prevHash, hash, record } }));
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

    it('reordered records', async () => {
      const { store, table, key, get } = await trailOf(4);
      const [second, third] = [await get(2), await get(3)];
      await docs.send(new PutCommand({ TableName: table, Item: { ...third, ...key(2) } }));
      await docs.send(new PutCommand({ TableName: table, Item: { ...second, ...key(3) } }));
      expect((await verifyTrail(store, day, day)).broken).toEqual([expect.objectContaining({ kind: 'reordered', seq: 2 })]);
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
});
