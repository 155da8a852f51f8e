// The ERP side of `bench/run.ts`: PutEvents callers in their own worker thread, as an ERP is
// another machine. Their work is not the pipeline's, and on this 2-core machine every cycle
// they spend is taken from it, so they are lean: the request body is built once and POSTed
// over kept-alive HTTP as the SDK would send it (AWS JSON 1.1, `AWSEvents.PutEvents`),
// unsigned — the local endpoint checks no signatures (an ERP's SDK would sign, on its own
// machine). Everything the pipeline does with a request (read, parse, check, journal,
// answer) is unchanged. Plain JavaScript, so the thread needs no TypeScript loader. Reports
// when each event was sent (epoch ms, `performance.timeOrigin + now()`, comparable across
// threads).
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { endpoint, entry, total, concurrency, entriesPerCall } = workerData;
const url = new URL(endpoint);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const bodies = new Map();
/** The request body for `n` entries, built once per size. */
const bodyOf = (n) => {
  let body = bodies.get(n);
  if (body === undefined) bodies.set(n, (body = Buffer.from(JSON.stringify({ Entries: Array.from({ length: n }, () => entry) }))));
  return body;
};

/** One PutEvents call; resolves with the response's JSON. */
function putEvents(body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents', 'content-length': body.length } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`PutEvents answered ${res.statusCode}: ${text.slice(0, 300)}`));
          resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sentAt = [];
let next = 0;
try {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const n = Math.min(entriesPerCall, total - next);
        next += n;
        const t = performance.timeOrigin + performance.now();
        const out = await putEvents(bodyOf(n));
        if (out.FailedEntryCount) throw new Error(`bench events refused: ${JSON.stringify(out.Entries?.find((e) => e.ErrorCode))}`);
        for (const e of out.Entries ?? []) sentAt.push([e.EventId, t]);
      }
    }),
  );
  parentPort.postMessage({ sentAt });
} catch (err) {
  parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
} finally {
  agent.destroy();
}
