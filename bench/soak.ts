/**
 * Soak benchmark (not a test; issue 15, class 6): the local runtime under a steady PutEvents
 * load for a long while, to see memory grow or latency drift.
 *   npx tsx bench/soak.ts [--minutes 10] [--rate 50] [--heap-snapshots DIR]
 * Posts `rate` events a second (calls of 10 entries: logins and operations of a few hundred
 * accounts, each with its own operationId), waits for every delivery, and prints for the
 * first and the last minute: the PutEvents latency (p50, p99, max), the events delivered, and
 * the process's memory (RSS, heap used after a GC when --expose-gc is given). The machine is
 * shared and noisy: compare start with end, not with other machines.
 * --heap-snapshots DIR writes `start.heapsnapshot` (after the first minute) and
 * `end.heapsnapshot` there, for comparing by constructor in Chrome DevTools; the memory lines
 * then also show the heap's committed size and the external and ArrayBuffer memory. Writing a
 * snapshot inflates RSS by itself (~150 MB that stays mapped): take RSS figures from a run
 * without snapshots.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { parseArgs } from 'node:util';
import { startLocalRuntime } from '../runtime/local-runtime.ts';
import { PIPELINE_EVENT_BUS_NAME } from '../schemas/envelope.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '50' }, 'heap-snapshots': { type: 'string' } } });
const snapshotDir = values['heap-snapshots'] === undefined ? undefined : resolve(values['heap-snapshots']);
if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
const minutes = Number(values.minutes);
const rate = Number(values.rate);
if (!(minutes > 0) || !(rate >= 10)) throw new Error('--minutes must be positive and --rate at least 10 (events per second)');

const out = (line: string) => process.stdout.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), 'erpgov-bench-soak-'));
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write; // the unconfigured notifier prints to the console
const runtime = await startLocalRuntime({ dataDir: join(work, 'data'), armSchedules: false, announce: false });

let n = 0;
function entry(): Record<string, unknown> {
  const i = n++;
  const account = `u${1000 + (i % 300)}`;
  const detail = i % 5 === 0
    ? { schemaVersion: 1, account, deviceId: `D-${i % 300}`, outcome: i % 50 === 0 ? 'failure' : 'success' }
    : { schemaVersion: 1, actor: account, action: ['create', 'update', 'read', 'export'][i % 4], target: `doc-${i}`, module: 'orders', recordCount: 1, operationId: `OP-${i}` };
  return { EventBusName: PIPELINE_EVENT_BUS_NAME, Source: 'erp.soak', DetailType: i % 5 === 0 ? 'Login' : 'Operation Audited', Detail: JSON.stringify(detail), Time: Math.floor(Date.now() / 1000) };
}

interface Sample {
  readonly latencies: number[];
  events: number;
}
const minuteSamples: Sample[] = [];
async function post(sample: Sample): Promise<void> {
  const entries = Array.from({ length: 10 }, entry);
  const started = performance.now();
  const res = await fetch(runtime.eventBridgeUrl, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ Entries: entries }) });
  const body = (await res.json()) as { FailedEntryCount?: number };
  sample.latencies.push(performance.now() - started);
  if (body.FailedEntryCount !== 0) throw new Error(`soak: refused ${JSON.stringify(body).slice(0, 300)}`);
  sample.events += entries.length;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const memory = (snapshot?: string) => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  if (!snapshotDir || !snapshot) return `rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)}`;
  writeHeapSnapshot(join(snapshotDir, `${snapshot}.heapsnapshot`));
  return `rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}`;
};
const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const report = (label: string, s: Sample, mem: string) =>
  out(`  ${label.padEnd(12)} PutEvents p50 ${percentile(s.latencies, 50).toFixed(1)} ms, p99 ${percentile(s.latencies, 99).toFixed(1)} ms, max ${Math.max(...s.latencies).toFixed(1)} ms; ${s.events} events; ${mem}`);

const memoryAtStart = memory();
const callsPerSecond = rate / 10;
const started = Date.now();
const end = started + minutes * 60_000;
const inFlight = new Set<Promise<void>>();
let memoryAfterFirstMinute = memoryAtStart;
for (let tick = 0; Date.now() < end; tick++) {
  const minute = Math.floor((Date.now() - started) / 60_000);
  while (minuteSamples.length <= minute) {
    if (minuteSamples.length === 1) memoryAfterFirstMinute = memory('start');
    minuteSamples.push({ latencies: [], events: 0 });
  }
  const p = post(minuteSamples[minute] as Sample).finally(() => inFlight.delete(p));
  inFlight.add(p);
  const due = started + ((tick + 1) * 1000) / callsPerSecond;
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
}
await Promise.all(inFlight);
await runtime.bus.whenIdle();
const memoryAtEnd = memory('end');
await runtime.stop();
process.stdout.write = write;
rmSync(work, { recursive: true, force: true });

out(`soak: ${minutes} min at ${rate} events/s (${n} events, every delivery done)`);
report('first minute', minuteSamples[0] as Sample, `memory at start: ${memoryAtStart}; after it: ${memoryAfterFirstMinute}`);
report('last minute', minuteSamples.at(-1) as Sample, `memory at the end: ${memoryAtEnd}`);
