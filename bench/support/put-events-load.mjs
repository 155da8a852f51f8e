// The ERP side of `bench/run.ts`: PutEvents callers in their own worker thread, as an ERP is
// another machine. Their work is not the pipeline's, and on this 2-core machine every cycle
// they spend is taken from it, so they are lean (`put-events-http.mjs`): everything the
// pipeline does with a request (read, parse, check, journal, answer) is unchanged. Plain
// JavaScript, so the thread needs no TypeScript loader. Says `ready` once loaded and waits for
// `go`, so that the thread's start (an isolate and its modules: 25-45 ms, and the first send
// about 100 ms after the Worker was created) is not timed as the pipeline's. Reports
// when each event was sent (epoch ms, `performance.timeOrigin + now()`, comparable across
// threads).
import { parentPort, workerData } from 'node:worker_threads';
import { putEventsBody, putEventsSender } from './put-events-http.mjs';

const { endpoint, entry, total, concurrency, entriesPerCall } = workerData;
const sender = putEventsSender(endpoint, concurrency);
const bodies = new Map();
/** The request body for `n` entries, built once per size. */
const bodyOf = (n) => {
  let body = bodies.get(n);
  if (body === undefined) bodies.set(n, (body = putEventsBody(entry, n)));
  return body;
};

const sentAt = [];
let next = 0;
await new Promise((resolve) => {
  parentPort.once('message', resolve);
  parentPort.postMessage({ ready: true });
});
try {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const n = Math.min(entriesPerCall, total - next);
        next += n;
        const t = performance.timeOrigin + performance.now();
        const out = await sender.send(bodyOf(n));
        if (out.FailedEntryCount) throw new Error(`bench events refused: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
        for (const e of out.Entries ?? []) sentAt.push([e.EventId, t]);
      }
    }),
  );
  parentPort.postMessage({ sentAt });
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  sender.close();
}
