/** Settings every local HTTP server shares. */
import type { Server } from 'node:http';

/**
 * Idle keep-alive sockets stay open longer than any client pause: a server that closes an
 * idle socket just as a client reuses it makes that request fail with ECONNRESET (Node's
 * default is 5 s). Shutdown closes idle sockets itself (`closeIdleConnections`).
 */
export function keepIdleSocketsOpen(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
