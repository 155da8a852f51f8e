// The ERP side of `bench/run.ts`: PutEvents callers in their own worker thread, as an ERP is
// another machine — its request building and signing are not the pipeline's work. Plain
// JavaScript, so the thread needs no TypeScript loader. Reports when each event was sent
// (epoch ms, `performance.timeOrigin + now()`, comparable across threads).
import { parentPort, workerData } from 'node:worker_threads';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const { endpoint, region, entry, total, concurrency, entriesPerCall } = workerData;
const bus = new EventBridgeClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const sentAt = [];
let next = 0;
try {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const n = Math.min(entriesPerCall, total - next);
        next += n;
        const t = performance.timeOrigin + performance.now();
        const out = await bus.send(new PutEventsCommand({ Entries: Array.from({ length: n }, () => entry) }));
        if (out.FailedEntryCount) throw new Error(`bench events refused: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
        for (const e of out.Entries ?? []) sentAt.push([e.EventId, t]);
      }
    }),
  );
  parentPort.postMessage({ sentAt });
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  bus.destroy();
}
