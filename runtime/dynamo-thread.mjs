// The embedded DynamoDB in its own thread (see `startDynamoServer` in dynamo-server.ts). Plain
// JavaScript: worker threads do not inherit the TypeScript loader the CLI registers.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { closeLevelIteratorsWithTheirStreams } from './level-iterators.mjs';

closeLevelIteratorsWithTheirStreams();
const { path, host, port } = workerData;
const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// As every local server (http-server.ts keepIdleSocketsOpen): idle keep-alive sockets outlive any client pause.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.once('error', (err) => parentPort.postMessage({ error: err.message }));
server.listen(port, host, () => {
  const address = server.address();
  parentPort.postMessage({ url: `http://${host}:${address.port}` });
});
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  // dynalite's close also closes its LevelDB, so everything written is on disk when the thread ends.
  server.close(() => parentPort.close());
  server.closeIdleConnections?.();
});
