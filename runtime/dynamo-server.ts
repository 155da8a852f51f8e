/**
 * The embedded DynamoDB: dynalite, persisted to a folder (LevelDB on disk, so the state
 * table's items do not live in the process's memory however long `erpgov start` runs; in
 * memory only for a throw-away runtime), listening on loopback so standard tools
 * (`aws dynamodb scan --endpoint-url ...`, NoSQL Workbench) can inspect the state.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { keyDefinitions, type StateTableDefinition } from '../infra/state-table.ts';
import { closeServer, listenOnLoopback } from './http-server.ts';
import { closeLevelIteratorsWithTheirStreams } from './level-iterators.mjs';

export { dynaliteAbstractLevels } from './level-iterators.mjs';

export interface DynamoServer {
  readonly url: string;
  /**
   * How busy the store's event loop has been (since `since`, when given): its own thread's when
   * it runs in one, else this thread's, which it shares. For benches: which side waits on which.
   */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization;
  /** Stops taking requests and closes the database (on disk, everything written is there). */
  close(): Promise<void>;
}

export interface DynamoServerOptions {
  /** A folder for LevelDB; absent: in memory. */
  readonly path?: string;
  readonly host: string;
  readonly port: number;
  /**
   * Run dynalite in its own worker thread. The local runtime does: the handlers and the bus
   * keep the main thread, the store gets the other core (DynamoDB is another machine on AWS).
   * Short-lived tools and tests keep it in-process.
   */
  readonly thread?: boolean;
}

export async function startDynamoServer(options: DynamoServerOptions): Promise<DynamoServer> {
  if (options.thread) return startDynamoThread(options);
  closeLevelIteratorsWithTheirStreams();
  const dynaliteOptions = { ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  const { server, url } = await listenOnLoopback(dynalite(dynaliteOptions), options);
  return { url, close: () => closeServer(server), eventLoopUtilization: (since) => performance.eventLoopUtilization(since) };
}

/** dynalite in a worker thread (`dynamo-thread.mjs`); resolves once it listens. */
function startDynamoThread(options: DynamoServerOptions): Promise<DynamoServer> {
  const worker = new Worker(new URL('./dynamo-thread.mjs', import.meta.url), { workerData: { path: options.path, host: options.host, port: options.port } });
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { url?: string; error?: string }) => {
      if (message.url === undefined) {
        void worker.terminate();
        reject(new Error(`the embedded DynamoDB did not start: ${message.error ?? 'no address'}`));
        return;
      }
      // From here on every request would fail with a refused connection: say why, loudly, once.
      worker.off('error', reject);
      worker.on('error', (err) => console.error(`erpgov: the embedded DynamoDB failed: ${err.stack ?? err.message}`));
      worker.once('exit', (code) => {
        if (!closing) console.error(`erpgov: the embedded DynamoDB stopped (exit code ${code}); every state read and write now fails — restart erpgov`);
      });
      resolve({
        url: message.url,
        eventLoopUtilization: (since) => worker.performance.eventLoopUtilization(since),
        async close() {
          closing = true;
          worker.postMessage('close');
          await exited;
        },
      });
    });
  });
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
