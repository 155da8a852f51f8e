/**
 * Threshold evaluation at fleet scale (issue 12): H hosts × 5 metrics, one Metric Sample per
 * host every 10 s carrying its 5 datapoints (10,000 hosts ≈ 5,000 datapoints/s), evaluated by
 * threshold-alerts' own flow against the runtime's dynalite, beside raw BatchWriteItem of the
 * same datapoints (one item each, 25 per call) in the same run.
 *   npx tsx bench/thresholds.ts [--hosts 10000] [--rounds 8] [--concurrency 16]
 * Prints datapoints/s evaluated and DynamoDB requests (and item writes) per datapoint, for
 * the window-filling rounds and for the steady rounds after them. 1 % of the hosts run hot
 * (CPU 90 %) from round 3, so episodes open while the rest stay steady. The machine is
 * shared and noisy: read the ratios, not the absolute figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../infra/state-table.ts';
import { startLocalRuntime } from '../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../runtime/http-server.ts';
import { defaultPolicy } from '../schemas/default-policy.ts';
import { dynamoControlFeed } from '../functions/shared/evidence/control-feed.ts';
import { dynamoFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { recordSample } from '../functions/threshold-alerts/flows.ts';
import { dynamoThresholdStore } from '../functions/threshold-alerts/threshold-state.ts';
import type { MetricSample } from '../schemas/details/performance.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { hosts: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '16' } } });
const hosts = Number(values.hosts);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const WARM_ROUNDS = 5; // the window of the last 5 outcomes fills
const credentials = LOCAL_CREDENTIALS;
const region = 'us-east-1';

const dataDir = mkdtempSync(join(tmpdir(), 'erpgov-bench-thresholds-'));
const runtime = await startLocalRuntime({ dataDir, armSchedules: false, region });
const raw = new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region, credentials });
const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region, credentials, maxAttempts: 5 }), { marshallOptions: { removeUndefinedValues: true } });
const counts = { requests: 0, writes: 0 };
docs.middlewareStack.add((next, context) => (args) => {
  counts.requests++;
  if (/Put|Update|BatchWrite/.test(String(context.commandName))) counts.writes++;
  return next(args);
}, { step: 'initialize', name: 'benchRequestCounter' });

let published = 0;
const deps = { store: dynamoThresholdStore(docs, stateTable.name), feed: dynamoControlFeed(docs, stateTable.name, 'threshold-alerts'), findings: dynamoFindingsStore(docs, stateTable.name), publisher: { publish: async (events: readonly unknown[]) => void (published += events.length) }, policy: defaultPolicy };
const start = Date.parse('2026-03-02T09:00:00Z');
const STEP_MS = 10_000;

function sample(host: number, round: number): MetricSample {
  const hot = host % 100 === 0 && round >= 3;
  const at = new Date(start + round * STEP_MS).toISOString();
  return {
    schemaVersion: 1,
    host: `erp-host-${host}`,
    datapoints: [
      { metric: 'cpu', value: hot ? 90 : 40 + (host % 20), unit: 'percent', at },
      { metric: 'memory', value: 60, unit: 'percent', at },
      { metric: 'disk-free', value: 45, unit: 'percent', at },
      { metric: 'order-latency', value: 0.8, unit: 'seconds', at },
      { metric: 'report-duration', value: 12, unit: 'seconds', at },
    ],
  };
}

async function pool(count: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  }));
}

async function phase(from: number, to: number) {
  const before = { ...counts };
  const t0 = performance.now();
  for (let round = from; round < to; round++) {
    await pool(hosts, (h) => recordSample(deps, sample(h, round), `b-${round}-${h}`, new Date(start + round * STEP_MS).toISOString()).then(() => undefined));
  }
  const ms = performance.now() - t0;
  const datapoints = hosts * 5 * (to - from);
  return { datapoints, perSecond: (datapoints / ms) * 1000, requestsPerDatapoint: (counts.requests - before.requests) / datapoints, writesPerDatapoint: (counts.writes - before.writes) / datapoints };
}

const warm = await phase(0, WARM_ROUNDS);
const steady = await phase(WARM_ROUNDS, rounds);

// Raw BatchWriteItem of as many datapoints as the steady phase evaluated: one item each, 25 per call.
const rawDatapoints = steady.datapoints;
const rawT0 = performance.now();
let batches = 0;
await pool(Math.ceil(rawDatapoints / 25), async (b) => {
  const requests = Array.from({ length: 25 }, (_, k) => ({ PutRequest: { Item: { pk: { S: `BENCH-RAW#${b * 25 + k}` }, sk: { S: 'DATAPOINT' }, value: { N: '42.5' }, at: { S: new Date(start).toISOString() } } } }));
  await raw.send(new BatchWriteItemCommand({ RequestItems: { [stateTable.name]: requests } }));
  batches++;
});
const rawMs = performance.now() - rawT0;

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(3));
const line = (label: string, p: { datapoints: number; perSecond: number; requestsPerDatapoint: number; writesPerDatapoint: number }) =>
  `  ${label.padEnd(34)} ${fmt(p.perSecond).padStart(8)} datapoints/s   ${fmt(p.requestsPerDatapoint)} requests/datapoint   ${fmt(p.writesPerDatapoint)} item writes/datapoint   (${p.datapoints.toLocaleString('en')} datapoints)`;
process.stdout.write(`thresholds bench: ${hosts.toLocaleString('en')} hosts × 5 metrics, ${rounds} rounds of 10 s (${(hosts / 2).toLocaleString('en')} datapoints/s offered at that scale), concurrency ${concurrency}\n`);
process.stdout.write(`${line(`evaluated, rounds 1-${WARM_ROUNDS} (window fills)`, warm)}\n`);
process.stdout.write(`${line(`evaluated, rounds ${WARM_ROUNDS + 1}-${rounds} (steady)`, steady)}\n`);
process.stdout.write(`${line('raw BatchWriteItem (1 item each)', { datapoints: rawDatapoints, perSecond: (rawDatapoints / rawMs) * 1000, requestsPerDatapoint: batches / rawDatapoints, writesPerDatapoint: 1 })}\n`);
process.stdout.write(`  findings published: ${published}\n`);

raw.destroy();
docs.destroy();
await runtime.stop();
rmSync(dataDir, { recursive: true, force: true });
