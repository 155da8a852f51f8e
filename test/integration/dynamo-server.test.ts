/**
 * The embedded DynamoDB releases what each read used: every Query and Scan reads through a
 * LevelDB iterator, and an iterator left open stays held by the database for good (its
 * read-ahead on the heap, LevelDB's memtables and table versions in native memory). The soak
 * benchmark grew RSS by gigabytes that way; here every iterator a read opens must be closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stateTable } from '../../infra/state-table.ts';
import { dynaliteAbstractLevels, ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

interface IteratorMethods {
  next(this: object, ...args: unknown[]): Promise<unknown>;
  nextv(this: object, ...args: unknown[]): Promise<unknown>;
  close(this: object): Promise<void>;
}

/** Iterators that have read and are not closed yet (tracked on abstract-level's common iterator class), and how many read at all. */
const open = new Set<object>();
const seen = new Set<object>();
const restore: (() => void)[] = [];
function trackOpenIterators(): void {
  for (const abstractLevel of dynaliteAbstractLevels()) {
    const common = Object.getPrototypeOf((abstractLevel as { AbstractIterator: { prototype: object } }).AbstractIterator.prototype) as IteratorMethods;
    const original = { next: common.next, nextv: common.nextv, close: common.close };
    common.next = function (...args) {
      open.add(this);
      seen.add(this);
      return original.next.apply(this, args);
    };
    common.nextv = function (...args) {
      open.add(this);
      seen.add(this);
      return original.nextv.apply(this, args);
    };
    common.close = function () {
      open.delete(this);
      return original.close.call(this);
    };
    restore.push(() => Object.assign(common, original));
  }
}

let dir: string;
let server: Awaited<ReturnType<typeof startDynamoServer>>;
let docs: DynamoDBDocumentClient;

beforeAll(async () => {
  trackOpenIterators();
  dir = mkdtempSync(join(tmpdir(), 'erpgov-dynamo-server-'));
  // On disk, as `erpgov start` runs it.
  server = await startDynamoServer({ path: join(dir, 'dynamodb'), host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await ensureStateTable(client, stateTable);
  docs = DynamoDBDocumentClient.from(client);
});
afterAll(async () => {
  docs?.destroy();
  if (server) await server.close();
  for (const undo of restore) undo();
  rmSync(dir, { recursive: true, force: true });
});

async function settled(): Promise<number> {
  for (let i = 0; i < 50 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return open.size;
}

it('closes the iterator of every Query and Scan, whether the read ran to the end or stopped at its limit', async () => {
  const pk = stateTable.partitionKey;
  const sk = stateTable.sortKey;
  const items = Array.from({ length: 25 }, (_, i) => ({ [pk]: 'SOAK#one', [sk]: `ITEM#${String(i).padStart(3, '0')}` }));
  await docs.send(new BatchWriteCommand({ RequestItems: { [stateTable.name]: items.map((Item) => ({ PutRequest: { Item } })) } }));

  const query = (limit?: number) =>
    docs.send(new QueryCommand({ TableName: stateTable.name, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': pk }, ExpressionAttributeValues: { ':pk': 'SOAK#one' }, ...(limit ? { Limit: limit } : {}) }));
  for (let round = 0; round < 20; round++) {
    expect((await query()).Items).toHaveLength(25);
    expect((await query(3)).Items).toHaveLength(3);
    expect((await docs.send(new ScanCommand({ TableName: stateTable.name, Limit: 5 }))).Items).toHaveLength(5);
  }
  // The tracking saw the reads (the server runs in this thread), so no open iterator is a real zero.
  expect(seen.size).toBeGreaterThan(0);
  expect(await settled()).toBe(0);
});

it("in its own thread, tells how busy that thread's event loop was, not this one's", async () => {
  const threaded = await startDynamoServer({ host: '127.0.0.1', port: 0, thread: true });
  const client = new DynamoDBClient({ endpoint: threaded.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  try {
    await ensureStateTable(client, stateTable);
    const threadedDocs = DynamoDBDocumentClient.from(client);
    const items = Array.from({ length: 25 }, (_, i) => ({ [stateTable.partitionKey]: 'LOAD#one', [stateTable.sortKey]: `ITEM#${i}` }));
    const serving = threaded.eventLoopUtilization();
    for (let round = 0; round < 10; round++) await threadedDocs.send(new BatchWriteCommand({ RequestItems: { [stateTable.name]: items.map((Item) => ({ PutRequest: { Item } })) } }));
    const served = threaded.eventLoopUtilization(serving);
    expect(served.active).toBeGreaterThan(0);
    expect(served.utilization).toBeGreaterThan(0);
    expect(served.utilization).toBeLessThanOrEqual(1);

    // This thread busy for 100 ms, the store sent nothing: its loop stays (nearly) idle.
    const quiet = threaded.eventLoopUtilization();
    const until = performance.now() + 100;
    while (performance.now() < until);
    expect(threaded.eventLoopUtilization(quiet).active).toBeLessThan(50);
  } finally {
    client.destroy();
    await threaded.close();
  }
});
