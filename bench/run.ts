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
const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '4' } } });
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

/** A routine operation (not high-risk), so the measurement is the routing and the writes. */
function routineOperation(source: string) {
  const entry = exampleEvent('Operation Audited', source);
  const detail = { ...JSON.parse(entry.Detail), action: 'update', recordCount: 3 };
  delete detail.verifiedBy;
  return { ...entry, Detail: JSON.stringify(detail) };
}

/** Pushes `totalEvents` through PutEvents from `concurrency` callers; resolves once every delivery finished. */
async function saturate(source: string) {
  const sentAt = new Map<string, number>();
  const requestsBefore = functionRequests;
  let next = 0;
  const ms = await timed(async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < totalEvents) {
          const n = Math.min(ENTRIES_PER_CALL, totalEvents - next);
          next += n;
          const t = performance.now();
          const out = await bus.send(new PutEventsCommand({ Entries: Array.from({ length: n }, () => routineOperation(source)) }));
          if (out.FailedEntryCount) throw new Error(`bench events refused: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
          for (const e of out.Entries ?? []) sentAt.set(e.EventId as string, t);
        }
      }),
    );
    await runtime.bus.whenIdle();
  });
  const latencies = [...sentAt].map(([id, t]) => (doneAt.get(id) ?? NaN) - t).filter(Number.isFinite).sort((a, b) => a - b);
  return { rate: rate(totalEvents, ms), requestsPerEvent: (functionRequests - requestsBefore) / totalEvents, latencies };
}

const ENTRIES_PER_CALL = 10;
// Sources outside `erp.*` reach only the catch-all audit trail rule; `erp.*` reach every
// function whose rules match (the audit trail and audit-analysis today).
const auditOnly = await saturate('bench.audit-only');
const fullTable = await saturate('erp.bench');

// Latency without a backlog: one event at a time through the whole table, each waited for.
const unloaded: number[] = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  const out = await bus.send(new PutEventsCommand({ Entries: [routineOperation('erp.bench')] }));
  await runtime.bus.whenIdle();
  unloaded.push((doneAt.get(out.Entries?.[0]?.EventId as string) ?? NaN) - t);
}
unloaded.sort((a, b) => a - b);
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const putRate = rate(putItemCount, putItemMs);
const batchRate = rate(batchCount, batchMs);

const row = (name: string, value: string, note = '') => console.log(`${name.padEnd(56)} ${value.padStart(14)}  ${note}`);
console.log(`local pipeline benchmark: ${totalEvents} events per run, ${concurrency} concurrent PutEvents callers, ${ENTRIES_PER_CALL} entries per call`);
row('baseline: dynalite PutItem (sequential)', `${putRate.toFixed(0)} /s`, `${putItemCount} items`);
row('baseline: dynalite BatchWriteItem (25/batch)', `${batchRate.toFixed(0)} items/s`, `${batchCount} items`);
row('audit trail alone: PutEvents → record chained', `${auditOnly.rate.toFixed(0)} events/s`, `ratio ${(auditOnly.rate / putRate).toFixed(2)}x PutItem, ${(auditOnly.rate / batchRate).toFixed(3)}x BatchWriteItem`);
row('  DynamoDB requests per event', auditOnly.requestsPerEvent.toFixed(2), 'claim, link, head, mark linked = 4; the rest is contention retries');
row('whole routing table: PutEvents → every matching handler', `${fullTable.rate.toFixed(0)} events/s`, `ratio ${(fullTable.rate / putRate).toFixed(2)}x PutItem, ${(fullTable.rate / batchRate).toFixed(3)}x BatchWriteItem`);
row('  DynamoDB requests per event (all functions)', fullTable.requestsPerEvent.toFixed(2));
row('latency publish → all handlers done, one at a time p50', `${pct(unloaded, 50).toFixed(1)} ms`);
row('latency publish → all handlers done, one at a time p99', `${pct(unloaded, 99).toFixed(1)} ms`, `${unloaded.length} samples`);
row('latency under the saturating load p50 (audit alone)', `${pct(auditOnly.latencies, 50).toFixed(0)} ms`, 'queueing behind the backlog');
row('latency under the saturating load p99 (audit alone)', `${pct(auditOnly.latencies, 99).toFixed(0)} ms`);

bus.destroy();
dynamo.destroy();
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
