/** Settings and start-up every local HTTP server shares. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Idle keep-alive sockets stay open longer than any client pause: a server that closes an
 * idle socket just as a client reuses it makes that request fail with ECONNRESET (Node's
 * default is 5 s). Shutdown closes idle sockets itself (`closeIdleConnections`).
 */
export function keepIdleSocketsOpen(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

/** Starts `server` on `host:port` (0: any free port) with the shared settings; its URL once it listens. */
export async function listenOnLoopback(server: Server, options: { host: string; port: number }): Promise<{ server: Server; url: string }> {
  keepIdleSocketsOpen(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host}:${port}` };
}

/** The credentials SDK clients give the local servers: they do not check signatures, so nothing real is ever needed. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Stops `server` taking connections and resolves once the open ones are done (idle keep-alive sockets are closed at once). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
