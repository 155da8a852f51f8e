/** Types of `put-events-http.mjs` (plain JavaScript, so that the load generator's worker thread needs no TypeScript loader). */
export function putEventsSender(endpoint: string, sockets: number): { send(body: Buffer): Promise<unknown>; close(): void };
export function putEventsBody(entry: unknown, n: number): Buffer;
