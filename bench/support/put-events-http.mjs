// PutEvents as the ERP side of the benches sends it: the body built once by the caller and
// POSTed over kept-alive HTTP as the SDK would send it (AWS JSON 1.1, `AWSEvents.PutEvents`),
// unsigned — the local endpoint checks no signatures (an ERP's SDK would sign, on its own
// machine). Plain JavaScript, so a worker thread needs no TypeScript loader.
import { Agent, request } from 'node:http';

/** A sender to the endpoint with `sockets` kept-alive connections: `send(body)` resolves with the response's JSON; `close()` ends it. */
export function putEventsSender(endpoint, sockets) {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const send = (body) =>
    new Promise((resolve, reject) => {
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
  return { send, close: () => agent.destroy() };
}

/** The request body for `n` copies of `entry`. */
export const putEventsBody = (entry, n) => Buffer.from(JSON.stringify({ Entries: Array.from({ length: n }, () => entry) }));
