/**
 * The embedded local runtime: dynalite, the EventBridge endpoint, the bus with its journal
 * and dead letters, and the scheduler, in one process. Handlers run in-process with the same
 * environment variables the CDK stack sets on AWS, pointed at these loopback endpoints — the
 * functions' EventBridge endpoint is the pipeline's own door (they publish `erpgov.*`, which
 * the public door refuses).
 *
 * Time and ids are inputs: a runtime runs on the system clock with random ids, or (the
 * simulator) on a virtual clock with deterministic ids and no journal on disk.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_BUS_NAME, routingTable, type RoutedFunction } from '../infra/routes.ts';
import { stateTable } from '../infra/state-table.ts';
import { processClock, type Clock } from '../functions/shared/clock.ts';
import { SOLE_INSTANCE_VARIABLE } from '../functions/shared/sole-instance.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { ensureStateTable, startDynamoServer } from './dynamo-server.ts';
import { LocalEventBus, type DeliveryResult, type RetryPolicy, type Target, type DeadLetter } from './event-bus.ts';
import { injectEvents, pipelineDoorPath, putEvents, startEventBridgeEndpoint, type EndpointOptions, type PutEventsResult, type RejectedEntry } from './eventbridge-endpoint.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { JsonlStore } from './jsonl-store.ts';
import { lambdaTarget } from './lambda-invoker.ts';
import { withFollowUpFires } from './follow-up-fires.ts';
import type { BusEvent } from './put-events.ts';
import { announceRuntime } from './runtime-file.ts';
import { fileFireMemory, LocalScheduler, memoryFireMemory, type ScheduledFire, type ScheduleStatus } from './scheduler.ts';
import { closeServer, LOCAL_CREDENTIALS } from './http-server.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The path segment of the pipeline's own door: one per process, so a function's cached
 * EventBridge client keeps reaching it across a runtime restart in the same process.
 */
const PIPELINE_TOKEN = randomBytes(16).toString('hex');

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port (tests). */
  readonly eventBridgePort?: number;
  readonly dynamoDbPort?: number;
  readonly routes?: readonly RoutedFunction[];
  readonly retry?: RetryPolicy;
  readonly concurrency?: number;
  /** Arm real timers for the routing table's schedules (tests and the simulator drive `scheduler.tick` instead). */
  readonly armSchedules?: boolean;
  readonly account?: string;
  readonly region?: string;
  /** Replace the Lambda-style targets, e.g. with instrumented ones in tests. */
  readonly targets?: ReadonlyMap<string, Target>;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  /** "Now" for receipts, schedules and dead letters. Default: the process clock. */
  readonly clock?: Clock;
  /** Event ids. Default: random UUIDs. */
  readonly ids?: () => string;
  /**
   * false: a throw-away runtime (the simulator): the state table in memory, no bus journal,
   * no remembered schedule fires. Default true.
   */
  readonly durable?: boolean;
  /** Write `<dataDir>/runtime.json` so the CLI finds this runtime. Default true. */
  readonly announce?: boolean;
  /** Sources the public door takes besides `erp.<system>`. Default: the policy's `ingress.allowedSources`. */
  readonly allowedSources?: readonly string[];
  /**
   * Undelivered events the bus holds before the public door answers ThrottlingException
   * (see `EndpointOptions.maxBacklog`). Default `DEFAULT_MAX_BACKLOG`.
   */
  readonly maxBacklog?: number;
}

/**
 * The default bound on undelivered events: two month-end bursts of `bench/run.ts` (100,000 events
 * at once) waiting at the same time. The bus holds each in memory, about 1.5 KB with its
 * deliveries (50,000 held back with every delivery blocked: 0.85 KB of heap and 1.45 KB resident
 * each), so a flood stops at a few hundred megabytes instead of Node's heap limit.
 */
export const DEFAULT_MAX_BACKLOG = 200_000;

/** What `erpgov schedule run` prints: the fire, what the invocation returned, and what it published meanwhile. */
export interface ScheduleRunResult {
  readonly scheduleId: string;
  readonly functionName: string;
  readonly event: BusEvent;
  readonly delivery: DeliveryResult;
  readonly published: readonly PublishedSummary[];
}

export interface PublishedSummary {
  readonly source: string;
  readonly detailType: string;
  readonly id?: string;
  readonly title?: string;
  readonly severity?: string;
}

export interface LocalRuntime {
  readonly eventBridgeUrl: string;
  /** The pipeline's own door (what the functions publish to). */
  readonly pipelineEventBridgeUrl: string;
  readonly dynamoDbUrl: string;
  /** How busy the embedded DynamoDB's thread has been (event-loop utilisation, since `since` when given): for benches. */
  dynamoDbEventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization;
  readonly dataDir: string;
  readonly region: string;
  readonly adminToken: string;
  readonly bus: LocalEventBus;
  readonly scheduler: LocalScheduler;
  readonly recoveredDeliveries: number;
  /** Schedules that should have fired while the runtime was stopped, fired once at start. */
  readonly missedFires: readonly ScheduledFire[];
  /** PutEvents in-process, through the public door. */
  putEntries(entries: readonly unknown[]): PutEventsResult;
  /** Complete events in-process, as `erpgov replay` injects them. */
  injectEvents(events: readonly unknown[]): PutEventsResult;
  /** Fires one schedule now (or at `at`) exactly as the scheduler would, and waits for what it caused. */
  runSchedule(scheduleId: string, at?: Date): Promise<ScheduleRunResult>;
  schedules(): ScheduleStatus[];
  stop(graceMs?: number): Promise<void>;
}

export function rejectedStore(dataDir: string): JsonlStore<RejectedEntry> {
  return new JsonlStore<RejectedEntry>(join(dataDir, 'bus', 'rejected.jsonl'));
}

/** How long `runSchedule` waits for the deliveries the fire caused (findings to the trail and the notifier). */
const RUN_SETTLE_MS = 60_000;

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  const routes = options.routes ?? routingTable;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const clock = options.clock ?? processClock;
  const ids = options.ids ?? randomUUID;
  const durable = options.durable ?? true;
  const allowedSources = options.allowedSources ?? loadPolicy().ingress.allowedSources;

  const unlock = lockDataDir(dataDir);
  let dynamo: Awaited<ReturnType<typeof startDynamoServer>>;
  try {
    dynamo = await startDynamoServer({ ...(durable ? { path: join(dataDir, 'dynamodb') } : {}), host, port: options.dynamoDbPort ?? 0, thread: true });
  } catch (err) {
    unlock();
    throw err;
  }
  const closers: (() => Promise<void>)[] = [() => dynamo.close(), async () => unlock()];
  try {
    const admin = new DynamoDBClient({ endpoint: dynamo.url, region, credentials: LOCAL_CREDENTIALS });
    await ensureStateTable(admin, stateTable);
    admin.destroy();

    const followUps = withFollowUpFires(routes, options.targets ?? new Map(routes.map((fn) => [fn.name, lambdaTarget(fn, REPO_ROOT, region, account)])), (functionName, scheduleId) => {
      const fire = scheduler.manualFire(scheduleId, clock.now());
      bus.acceptFor(fire.event, functionName);
    });
    const targets = followUps.targets;
    const bus = new LocalEventBus({
      dataDir,
      routes,
      targets,
      durable,
      clock,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.onDeadLetter ? { onDeadLetter: options.onDeadLetter } : {}),
    });
    const rejected = rejectedStore(dataDir);
    const scheduler = new LocalScheduler(routes, (fire) => bus.acceptFor(fire.event, fire.functionName), {
      startedAt: clock.now(),
      identity: { account, region },
      memory: durable ? fileFireMemory(dataDir) : memoryFireMemory(),
      ids,
    });
    const adminToken = randomBytes(24).toString('hex');

    async function runSchedule(scheduleId: string, at?: Date): Promise<ScheduleRunResult> {
      const fire = scheduler.manualFire(scheduleId, at ?? clock.now());
      const published: BusEvent[] = [];
      const stopWatching = bus.observe((events) => published.push(...events.filter((e) => e.source.startsWith('erpgov.') && e.source !== 'erpgov.ingress')));
      try {
        const delivery = await bus.deliverAndWait(fire.event, fire.functionName);
        await Promise.race([bus.whenIdle(), new Promise((r) => setTimeout(r, RUN_SETTLE_MS).unref())]);
        return { scheduleId, functionName: fire.functionName, event: fire.event, delivery, published: published.map(summarise) };
      } finally {
        stopWatching();
      }
    }

    const endpointOptions: EndpointOptions = {
      bus,
      rejected,
      routes,
      identity: { eventBusName: EVENT_BUS_NAME, account, region },
      host,
      port: options.eventBridgePort ?? 0,
      clock,
      ids,
      allowedSources,
      pipelineToken: PIPELINE_TOKEN,
      maxBacklog: options.maxBacklog ?? DEFAULT_MAX_BACKLOG,
      admin: {
        token: adminToken,
        runSchedule,
        listSchedules: () => ({ Schedules: scheduler.upcoming() }),
        async waitIdle(timeoutMs: number) {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), timeoutMs)));
          try {
            return { idle: await Promise.race([bus.whenIdle().then(() => true), timedOut]) };
          } finally {
            clearTimeout(timer);
          }
        },
      },
    };
    const endpoint = await startEventBridgeEndpoint(endpointOptions);
    closers.unshift(() => closeServer(endpoint.server));
    const pipelineEventBridgeUrl = `${endpoint.url}${pipelineDoorPath(PIPELINE_TOKEN)}`;
    const instance = configureFunctionEnvironment({ dynamoDbUrl: dynamo.url, eventBridgeUrl: pipelineEventBridgeUrl, region, dataDir });

    const recoveredDeliveries = bus.recover();
    const missedFires = options.armSchedules ?? true ? scheduler.start(clock) : [];
    // Work that follows every delivery (the trail's seal pass) also runs once at start, for what the last stop left.
    if (options.armSchedules ?? true) followUps.fireAll();
    const unannounce =
      options.announce ?? true
        ? announceRuntime({ pid: process.pid, startedAt: clock.now().toISOString(), dataDir, region, eventBridgeUrl: endpoint.url, dynamoDbUrl: dynamo.url, adminToken })
        : () => undefined;

    return {
      eventBridgeUrl: endpoint.url,
      pipelineEventBridgeUrl,
      dynamoDbUrl: dynamo.url,
      dynamoDbEventLoopUtilization: (since) => dynamo.eventLoopUtilization(since),
      dataDir,
      region,
      adminToken,
      bus,
      scheduler,
      recoveredDeliveries,
      missedFires,
      putEntries: (entries) => putEvents(endpointOptions, entries),
      injectEvents: (events) => injectEvents(endpointOptions, events),
      runSchedule,
      schedules: () => scheduler.upcoming(),
      async stop(graceMs = 10_000) {
        scheduler.stop();
        unannounce();
        // Stop taking events first, then let deliveries in flight finish, then close storage.
        await closeServer(endpoint.server);
        await bus.stop(graceMs);
        rejected.close();
        await dynamo.close();
        // The instance has ended: nothing remembered under its name outlives it (see configureFunctionEnvironment).
        if (process.env[SOLE_INSTANCE_VARIABLE] === instance) delete process.env[SOLE_INSTANCE_VARIABLE];
        unlock();
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => undefined);
    throw err;
  }
}

function summarise(event: BusEvent): PublishedSummary {
  const d = event.detail as { findingId?: unknown; commandId?: unknown; title?: unknown; severity?: unknown };
  const id = typeof d.commandId === 'string' ? d.commandId : typeof d.findingId === 'string' ? d.findingId : undefined;
  return {
    source: event.source,
    detailType: event['detail-type'],
    ...(id !== undefined ? { id } : {}),
    ...(typeof d.title === 'string' ? { title: d.title } : {}),
    ...(typeof d.severity === 'string' ? { severity: d.severity } : {}),
  };
}

/**
 * The variables the CDK stack sets on every function, pointed at the local servers. Fake
 * credentials only when none are set: the local servers do not check signatures. And one the
 * stack never sets: the name of this start's single instance of the functions
 * (functions/shared/sole-instance.ts), new at every start and removed at the stop, so that what
 * a function remembers under it never outlives the state it describes. Returns that name.
 */
function configureFunctionEnvironment(local: { dynamoDbUrl: string; eventBridgeUrl: string; region: string; dataDir: string }): string {
  const env = process.env;
  env.STATE_TABLE_NAME = stateTable.name;
  env.EVENT_BUS_NAME = EVENT_BUS_NAME;
  env.AWS_ENDPOINT_URL_DYNAMODB = local.dynamoDbUrl;
  env.AWS_ENDPOINT_URL_EVENTBRIDGE = local.eventBridgeUrl;
  env.AWS_REGION = local.region;
  env.ERPGOV_DATA_DIR = local.dataDir;
  const instance = randomUUID();
  env[SOLE_INSTANCE_VARIABLE] = instance;
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  return instance;
}
