/**
 * The embedded DynamoDB: dynalite, persisted to a folder (LevelDB on disk, so the state
 * table's items do not live in the process's memory however long `erpgov start` runs; in
 * memory only for a throw-away runtime), listening on loopback so standard tools
 * (`aws dynamodb scan --endpoint-url ...`, NoSQL Workbench) can inspect the state.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { keyDefinitions, type StateTableDefinition } from '../infra/state-table.ts';
import { listenOnLoopback } from './http-server.ts';

export async function startDynamoServer(options: { path?: string; host: string; port: number }): Promise<{ server: Server; url: string }> {
  closeLevelIteratorsWithTheirStreams();
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenOnLoopback(server, options);
}

/** Creates the state table from its one definition unless it exists (data survives restarts). */
export async function ensureStateTable(client: DynamoDBClient, table: StateTableDefinition, tableName: string = table.name): Promise<'created' | 'existing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await client.send(new CreateTableCommand({ TableName: tableName, BillingMode: 'PAY_PER_REQUEST', ...keyDefinitions(table) }));
  await untilActive(client, tableName);
  return 'created';
}

/**
 * dynalite answers CreateTable with the table CREATING and turns it ACTIVE on a timer; until
 * then reads and writes get ResourceNotFoundException. On a loaded machine that gap is long
 * enough to fail the first write, so wait for ACTIVE (bounded: about 10 s).
 */
async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the local state table ${tableName} did not become ACTIVE within 10 s`);
}

interface LevelIteratorPrototype {
  return?: (this: { close(): Promise<void> }) => Promise<IteratorReturnResult<undefined>>;
}

/**
 * dynalite 4 reads every Query and Scan through a stream over a Level iterator, and when the
 * stream ends (or is destroyed) it releases the iterator with `iterator.return()` if there is
 * one. abstract-level 3's iterators have `close()` and no `return()`, so every iterator stayed
 * open: held by the database for good, each pinning its read-ahead entries on the heap and
 * LevelDB's memtables and table versions in native memory (the soak benchmark: ~30 leaked
 * iterators a second, RSS +350 MB in two minutes). Giving the iterators the `return()` dynalite
 * expects closes each one when its stream is done. Idempotent; a no-op once a release of
 * either package provides it.
 */
function closeLevelIteratorsWithTheirStreams(): void {
  for (const abstractLevel of dynaliteAbstractLevels()) closeOnReturn(abstractLevel as AbstractLevelModule);
}

/** abstract-level as dynalite's own databases load it: on disk level → classic-level, in memory memory-level (one copy, unless npm could not dedupe). */
export function dynaliteAbstractLevels(): ReadonlySet<unknown> {
  return new Set([['dynalite', 'level', 'classic-level', 'abstract-level'], ['dynalite', 'memory-level', 'abstract-level']].map(requireThrough));
}

/** Loads the last package of `chain` as the one before it resolves it, and so on from here. */
function requireThrough(chain: readonly string[]): unknown {
  let from = import.meta.url;
  for (const name of chain.slice(0, -1)) from = createRequire(from).resolve(name);
  return createRequire(from)(chain.at(-1) as string);
}

type AbstractLevelModule = Record<string, { prototype: LevelIteratorPrototype } | undefined>;

function closeOnReturn(abstractLevel: AbstractLevelModule): void {
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const prototype = abstractLevel[name]?.prototype;
    if (!prototype || typeof prototype.return === 'function') continue;
    prototype.return = async function (this: { close(): Promise<void> }) {
      await this.close();
      return { done: true, value: undefined };
    };
  }
}
