/**
 * `erpgov simulate` against the live pipeline, in the same run, on the same events.
 *   npm run bench                       (part of it)
 *   npx tsx bench/simulate.ts [--events 100000]
 * The events are a month of access traffic (test/support/access-month.ts: the access
 * scenarios plus routine logins and operations by ordinary accounts), 100,000 by default.
 *
 *   simulated   `erpgov simulate` over the month (a child process, as a user runs it): every
 *               event delivered in time order and every schedule fired at each of its
 *               simulated times (about 164,000 fires), one delivery at a time, on a virtual clock
 *   live        the same events put over HTTP into a running runtime (PutEvents, 10 per call, 4
 *               calls in flight) until every delivery is done; no schedule fires
 *
 * Prints events/s for both and their ratio. The simulation pays for the month's schedules
 * and for strict one-at-a-time ordering; the live run for neither. The machine is shared and
 * noisy: read the ratio, not the absolute figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalRuntime } from '../runtime/local-runtime.ts';
import { accessMonth, PERIOD_END, toJsonl } from '../test/support/access-month.ts';
import { runCli } from '../test/support/cli-process.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' } } });
const total = Number(values.events);
if (!Number.isInteger(total) || total < 13) throw new Error(`--events: "${values.events}" must be a whole number of at least 13 (the scenario's own events)`);

const work = mkdtempSync(join(tmpdir(), 'erpgov-bench-simulate-'));
const events = accessMonth(total);
const file = join(work, 'events.jsonl');
writeFileSync(file, toJsonl(events));
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`simulate vs live: ${events.length} access events over ${events[0] ? 'March 2026' : ''}, period to ${PERIOD_END.toISOString()}`);

// 1. Simulated: the CLI in its own process, timed from outside (start-up included, as a user sees it).
const simStarted = performance.now();
const simulated = await runCli(['simulate', '--events', file, '--out', join(work, 'out'), '--to', PERIOD_END.toISOString(), '--quiet'], 4 * 3_600_000);
const simSeconds = (performance.now() - simStarted) / 1000;
if (simulated.code !== 0) throw new Error(`erpgov simulate failed (${simulated.code}):\n${simulated.stderr}${simulated.stdout}`);
const fires = Number(/(\d+) schedule fire/.exec(simulated.stdout)?.[1] ?? 0);

// 2. Live: the same events into a running runtime over HTTP, until every delivery is done.
const dataDir = join(work, 'live');
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const write = process.stdout.write;
process.stdout.write = (() => true) as typeof process.stdout.write; // the unconfigured notifier prints to the console
const runtime = await startLocalRuntime({ dataDir, armSchedules: false, announce: false });
const post = (entries: readonly unknown[]) =>
  fetch(runtime.eventBridgeUrl, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ Entries: entries }) }).then(async (r) => {
    const body = (await r.json()) as { FailedEntryCount: number };
    if (body.FailedEntryCount > 0) throw new Error(`live: ${body.FailedEntryCount} entries refused`);
  });
const liveStarted = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let i = (next += 10) - 10; i < events.length; i = (next += 10) - 10) await post(events.slice(i, i + 10));
  }),
);
await runtime.bus.whenIdle();
const liveSeconds = (performance.now() - liveStarted) / 1000;
await runtime.stop();
process.stdout.write = write;
rmSync(work, { recursive: true, force: true });

const simRate = events.length / simSeconds;
const liveRate = events.length / liveSeconds;
out(`  simulated : ${simRate.toFixed(0).padStart(6)} events/s  (${simSeconds.toFixed(1)} s for the month, ${fires} schedule fires on the virtual clock)`);
out(`  live      : ${liveRate.toFixed(0).padStart(6)} events/s  (${liveSeconds.toFixed(1)} s, PutEvents over HTTP to every delivery done, no schedules)`);
out(`  ratio     : simulated / live = ${(simRate / liveRate).toFixed(2)}`);
