/**
 * The embedded local runtime: dynalite, the EventBridge endpoint, the bus with its journal
 * and dead letters, and the scheduler, in one process. Handlers run in-process with the same
 * environment variables the CDK stack sets on AWS, pointed at these loopback endpoints.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_BUS_NAME, routingTable, type RoutedFunction } from '../infra/routes.ts';
import { stateTable } from '../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from './dynamo-server.ts';
import { LocalEventBus, type RetryPolicy, type Target, type DeadLetter } from './event-bus.ts';
import { startEventBridgeEndpoint, type RejectedEntry } from './eventbridge-endpoint.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { JsonlStore } from './jsonl-store.ts';
import { lambdaTarget } from './lambda-invoker.ts';
import { LocalScheduler } from './scheduler.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port (tests). */
  readonly eventBridgePort?: number;
  readonly dynamoDbPort?: number;
  readonly routes?: readonly RoutedFunction[];
  readonly retry?: RetryPolicy;
  readonly concurrency?: number;
  /** Arm real timers for the routing table's schedules (tests drive `scheduler.tick` instead). */
  readonly armSchedules?: boolean;
  readonly account?: string;
  readonly region?: string;
  /** Replace the Lambda-style targets, e.g. with instrumented ones in tests. */
  readonly targets?: ReadonlyMap<string, Target>;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
}

export interface LocalRuntime {
  readonly eventBridgeUrl: string;
  readonly dynamoDbUrl: string;
  readonly dataDir: string;
  readonly region: string;
  readonly bus: LocalEventBus;
  readonly scheduler: LocalScheduler;
  readonly recoveredDeliveries: number;
  stop(graceMs?: number): Promise<void>;
}

export function rejectedStore(dataDir: string): JsonlStore<RejectedEntry> {
  return new JsonlStore<RejectedEntry>(join(dataDir, 'bus', 'rejected.jsonl'));
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  const routes = options.routes ?? routingTable;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const account = options.account ?? '000000000000';

  const unlock = lockDataDir(dataDir);
  let dynamo: Awaited<ReturnType<typeof startDynamoServer>>;
  try {
    dynamo = await startDynamoServer({ path: join(dataDir, 'dynamodb'), host, port: options.dynamoDbPort ?? 0 });
  } catch (err) {
    unlock();
    throw err;
  }
  const closers: (() => Promise<void>)[] = [() => closeServer(dynamo.server), async () => unlock()];
  try {
    configureFunctionEnvironment({ dynamoDbUrl: dynamo.url, region, dataDir });
    const admin = new DynamoDBClient({ endpoint: dynamo.url, region });
    await ensureStateTable(admin, stateTable);
    admin.destroy();

    const targets = options.targets ?? new Map(routes.map((fn) => [fn.name, lambdaTarget(fn, REPO_ROOT, region, account)]));
    const bus = new LocalEventBus({
      dataDir,
      routes,
      targets,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.onDeadLetter ? { onDeadLetter: options.onDeadLetter } : {}),
    });
    const rejected = rejectedStore(dataDir);
    const endpoint = await startEventBridgeEndpoint({
      bus,
      rejected,
      routes,
      identity: { eventBusName: EVENT_BUS_NAME, account, region },
      host,
      port: options.eventBridgePort ?? 0,
    });
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoint.url;
    closers.unshift(() => closeServer(endpoint.server));

    const recoveredDeliveries = bus.recover();
    const scheduler = new LocalScheduler(routes, (fire) => bus.acceptFor(fire.event, fire.functionName), { account, region }, new Date());
    if (options.armSchedules ?? true) scheduler.start();

    return {
      eventBridgeUrl: endpoint.url,
      dynamoDbUrl: dynamo.url,
      dataDir,
      region,
      bus,
      scheduler,
      recoveredDeliveries,
      async stop(graceMs = 10_000) {
        scheduler.stop();
        // Stop taking events first, then let deliveries in flight finish, then close storage.
        await closeServer(endpoint.server);
        await bus.stop(graceMs);
        rejected.close();
        await closeServer(dynamo.server);
        unlock();
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => undefined);
    throw err;
  }
}

/**
 * The variables the CDK stack sets on every function, pointed at the local servers. Fake
 * credentials only when none are set: the local servers do not check signatures.
 */
function configureFunctionEnvironment(local: { dynamoDbUrl: string; region: string; dataDir: string }): void {
  const env = process.env;
  env.STATE_TABLE_NAME = stateTable.name;
  env.EVENT_BUS_NAME = EVENT_BUS_NAME;
  env.AWS_ENDPOINT_URL_DYNAMODB = local.dynamoDbUrl;
  env.AWS_REGION = local.region;
  env.ERPGOV_DATA_DIR = local.dataDir;
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
