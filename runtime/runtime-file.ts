/**
 * How the CLI finds a running runtime: the runtime writes its endpoints to
 * `<data folder>/runtime.json` when it is up and removes the file when it stops. Every
 * command reads it (for its data folder: `--data-dir`, `ERPGOV_DATA_DIR`, else `./.erpgov`),
 * so nothing needs a port or a URL unless the user wants to override it.
 *
 * The file also holds the admin token that the endpoint's admin operations (replay of
 * complete events, schedule runs) require: whoever can read the data folder can already change
 * everything in it, so the token is kept there (mode 0600) and nowhere else.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RuntimeAnnouncement {
  readonly pid: number;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly region: string;
  readonly eventBridgeUrl: string;
  readonly dynamoDbUrl: string;
  readonly adminToken: string;
}

export const runtimeFile = (dataDir: string) => join(dataDir, 'runtime.json');

/** Writes the announcement; returns a function that removes it (if it is still this runtime's). */
export function announceRuntime(announcement: RuntimeAnnouncement): () => void {
  const file = runtimeFile(announcement.dataDir);
  writeFileSync(file, `${JSON.stringify(announcement, null, 2)}\n`, { mode: 0o600 });
  return () => {
    if (readRuntimeFile(announcement.dataDir)?.adminToken === announcement.adminToken) rmSync(file, { force: true });
  };
}

/** The announcement in the data folder, whether or not its runtime is still alive. */
export function readRuntimeFile(dataDir: string): RuntimeAnnouncement | undefined {
  try {
    const value = JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as Partial<RuntimeAnnouncement>;
    if (typeof value.eventBridgeUrl !== 'string' || typeof value.dynamoDbUrl !== 'string' || typeof value.pid !== 'number') return undefined;
    return value as RuntimeAnnouncement;
  } catch {
    return undefined;
  }
}

/** The announcement, if the process that wrote it is still running (a crash leaves a stale file behind). */
export function liveRuntime(dataDir: string): RuntimeAnnouncement | undefined {
  const found = readRuntimeFile(dataDir);
  if (!found) return undefined;
  try {
    process.kill(found.pid, 0);
    return found;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? found : undefined;
  }
}
