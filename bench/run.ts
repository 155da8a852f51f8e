/**
 * Local end-to-end throughput and latency, against raw dynalite in the same run.
 *   npm run bench [-- --events 3000 --concurrency 4]
 * Prints: raw PutItem/s and BatchWriteItem items/s on the runtime's own dynalite (the
 * baselines), then PutEvents over HTTP → routed → log-archiving writes, as events/s and as
 * ratios to the baselines, and publish-to-handler-done latency p50/p99. The machine is shared
 * and noisy: read the ratios, not the absolute figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { stateDocumentClient } from '../functions/shared/aws-clients.ts';
import { routingTable } from '../infra/routes.ts';
import { stateTable } from '../infra/state-table.ts';
import type { Target } from '../runtime/event-bus.ts';
import { lambdaTarget } from '../runtime/lambda-invoker.ts';
import { REPO_ROOT, startLocalRuntime } from '../runtime/local-runtime.ts';
import { exampleEvent } from '../schemas/index.ts';


process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { events: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '4' } } });
const totalEvents = Number(values.events);
const concurrency = Number(values.concurrency);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

const dataDir = mkdtempSync(join(tmpdir(), 'erpgov-bench-'));
const doneAt = new Map<string, number>();
// The real Lambda-style targets, wrapped only to note when each delivery finished.
const targets = new Map<string, Target>(
  routingTable.map((fn) => {
    const inner = lambdaTarget(fn, REPO_ROOT, region, '000000000000');
    return [fn.name, { name: fn.name, invoke: async (e) => { const r = await inner.invoke(e); doneAt.set(e.id, performance.now()); return r; } }];
  }),
);
const runtime = await startLocalRuntime({ dataDir, targets, armSchedules: false, region });
const dynamo = new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region, credentials });
const bus = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region, credentials });

const rate = (n: number, ms: number) => (n / ms) * 1000;
const item = (i: number, prefix: string) => ({ pk: { S: `${prefix}#${i}` }, sk: { S: 'RECORD' }, payload: { S: 'x'.repeat(600) } });

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// Count the functions' DynamoDB requests: they share this client with the runtime's handlers.
let functionRequests = 0;
stateDocumentClient().middlewareStack.add((next) => (args) => {
  functionRequests++;
  return next(args);
}, { step: 'initialize', name: 'benchRequestCounter' });

// Warm up module loading and connections so neither side pays it in the measurement.
await bus.send(new PutEventsCommand({ Entries: [exampleEvent('Operation Audited', 'erp.bench')] }));
await runtime.bus.whenIdle();

const putItemCount = Math.min(1000, totalEvents);
const putItemMs = await timed(async () => {
  for (let i = 0; i < putItemCount; i++) await dynamo.send(new PutItemCommand({ TableName: stateTable.name, Item: item(i, 'BENCH-PUT') }));
});
const batchCount = Math.ceil(totalEvents / 25) * 25;
const batchMs = await timed(async () => {
  for (let i = 0; i < batchCount; i += 25) {
    const requests = Array.from({ length: 25 }, (_, k) => ({ PutRequest: { Item: item(i + k, 'BENCH-BATCH') } }));
    await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [stateTable.name]: requests } }));
  }
});

const sentAt = new Map<string, number>();
const requestsBefore = functionRequests;
const entriesPerCall = 10;
let next = 0;
const e2eMs = await timed(async () => {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < totalEvents) {
        const n = Math.min(entriesPerCall, totalEvents - next);
        next += n;
        const entries = Array.from({ length: n }, () => exampleEvent('Operation Audited', 'erp.bench'));
        const t = performance.now();
        const out = await bus.send(new PutEventsCommand({ Entries: entries }));
        if (out.FailedEntryCount) throw new Error(`bench events refused: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
        for (const e of out.Entries ?? []) sentAt.set(e.EventId as string, t);
      }
    }),
  );
  await runtime.bus.whenIdle();
});

const requestsPerEvent = (functionRequests - requestsBefore) / totalEvents;

// Latency without a backlog: one event at a time, each waited for.
const unloaded: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  const out = await bus.send(new PutEventsCommand({ Entries: [exampleEvent('Operation Audited', 'erp.bench')] }));
  await runtime.bus.whenIdle();
  unloaded.push((doneAt.get(out.Entries?.[0]?.EventId as string) ?? NaN) - t);
}
unloaded.sort((a, b) => a - b);
const pctOf = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const latencies = [...sentAt].map(([id, t]) => (doneAt.get(id) ?? NaN) - t).filter(Number.isFinite).sort((a, b) => a - b);
const pct = (p: number) => pctOf(latencies, p);
const e2eRate = rate(totalEvents, e2eMs);
const putRate = rate(putItemCount, putItemMs);
const batchRate = rate(batchCount, batchMs);

const row = (name: string, value: string, note = '') => console.log(`${name.padEnd(52)} ${value.padStart(12)}  ${note}`);
console.log(`local pipeline benchmark: ${totalEvents} events, ${concurrency} concurrent PutEvents callers, ${entriesPerCall} entries per call`);
row('baseline: dynalite PutItem (sequential)', `${putRate.toFixed(0)} /s`, `${putItemCount} items`);
row('baseline: dynalite BatchWriteItem (25/batch)', `${batchRate.toFixed(0)} items/s`, `${batchCount} items`);
row('end to end: PutEvents → audit record chained', `${e2eRate.toFixed(0)} events/s`, `${totalEvents} events`);
row('DynamoDB requests per event (audit trail)', `${requestsPerEvent.toFixed(2)}`, 'claim, link, head, mark linked = 4, plus retries under contention');
row('ratio end-to-end / PutItem', `${(e2eRate / putRate).toFixed(2)}x`);
row('ratio end-to-end / BatchWriteItem', `${(e2eRate / batchRate).toFixed(2)}x`);
row('latency publish → handler done, one at a time p50', `${pctOf(unloaded, 50).toFixed(1)} ms`);
row('latency publish → handler done, one at a time p99', `${pctOf(unloaded, 99).toFixed(1)} ms`, `${unloaded.length} samples`);
row('latency under the saturating load above p50', `${pct(50).toFixed(1)} ms`, 'queueing behind the backlog');
row('latency under the saturating load above p99', `${pct(99).toFixed(1)} ms`, `${latencies.length} samples`);

bus.destroy();
dynamo.destroy();
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
