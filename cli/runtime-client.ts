/**
 * How a command reaches the local runtime. The runtime announces its endpoints in
 * `<data folder>/runtime.json` (see runtime/runtime-file.ts); a command looks there first, for
 * the data folder of `--data-dir` / `ERPGOV_DATA_DIR` / `./.erpgov`. Explicit flags win; the
 * documented variables (`AWS_ENDPOINT_URL_EVENTBRIDGE`, `ERPGOV_EVENTBRIDGE_PORT`,
 * `ERPGOV_DYNAMODB_ENDPOINT`, `ERPGOV_DYNAMODB_PORT`) come next; the default ports last.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ADMIN_TARGET_PREFIX, ADMIN_TOKEN_HEADER } from '../runtime/eventbridge-endpoint.ts';
import { liveRuntime, runtimeFile, type RuntimeAnnouncement } from '../runtime/runtime-file.ts';
import { DEFAULT_DYNAMODB_PORT, DEFAULT_EVENTBRIDGE_PORT } from './options.ts';
import { LOCAL_CREDENTIALS } from '../runtime/http-server.ts';


/** The EventBridge endpoint a command sends to: the flag, the running runtime of the data folder, the environment, the default port. */
export function eventBridgeEndpoint(dataDir: string, flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? liveRuntime(dataDir)?.eventBridgeUrl ?? env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? `http://127.0.0.1:${env.ERPGOV_EVENTBRIDGE_PORT ?? DEFAULT_EVENTBRIDGE_PORT}`;
}

/** The DynamoDB endpoint of the running runtime, by the same order. */
export function dynamoDbEndpoint(dataDir: string, flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? liveRuntime(dataDir)?.dynamoDbUrl ?? env.ERPGOV_DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.ERPGOV_DYNAMODB_PORT ?? DEFAULT_DYNAMODB_PORT}`;
}

export function eventBridgeClient(endpoint: string): EventBridgeClient {
  // The local endpoint does not check signatures; real credentials are never needed here.
  return new EventBridgeClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** No runtime answers for the data folder: a command that needs one says how to start it. */
export class RuntimeNotRunningError extends Error {
  constructor(dataDir: string, what: string) {
    super(`no runtime is running for the data folder ${dataDir} (no live ${runtimeFile(dataDir)}): ${what} needs one; start it with \`npm start\` (or \`erpgov start --data-dir ${dataDir}\`)`);
  }
}

/** The running runtime of `dataDir`, checked to answer; else RuntimeNotRunningError. */
export async function requireRuntime(dataDir: string, what: string): Promise<RuntimeAnnouncement> {
  const found = liveRuntime(dataDir);
  if (!found) throw new RuntimeNotRunningError(dataDir, what);
  const healthy = await fetch(`${found.eventBridgeUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!healthy) throw new RuntimeNotRunningError(dataDir, what);
  return found;
}

/** An error the runtime's endpoint answered with (`__type`, `message`). */
export class RuntimeCallError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = type;
  }
}

/**
 * `call` again while the runtime answers ThrottlingException (its backlog of undelivered events is
 * full, `erpgov start --max-backlog`), over HTTP (`RuntimeCallError`) or in-process (`ApiError`),
 * both named by the error's type; waiting longer each time (doubling, at most `maxDelayMs`);
 * after `attempts` calls the throttling is the caller's error. Nothing of a throttled call was
 * accepted, so sending it again doubles nothing.
 */
export async function retryingThrottled<T>(call: () => T | Promise<T>, { attempts = 60, firstDelayMs = 100, maxDelayMs = 5_000 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof Error) || err.name !== 'ThrottlingException' || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1))));
    }
  }
}

/** Calls an admin operation of the runtime (loopback, with the admin token from runtime.json). */
export async function adminCall<T>(runtime: RuntimeAnnouncement, operation: string, body: Record<string, unknown>, timeoutMs = 15 * 60_000): Promise<T> {
  const response = await fetch(runtime.eventBridgeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${ADMIN_TARGET_PREFIX}${operation}`, [ADMIN_TOKEN_HEADER]: runtime.adminToken },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const payload = (await response.json()) as T & { __type?: string; message?: string };
  if (!response.ok) throw new RuntimeCallError(payload.__type ?? `HTTP ${response.status}`, payload.message ?? `the runtime answered HTTP ${response.status}`);
  return payload;
}

/** PutEvents over the EventBridge JSON protocol with the entries exactly as given (the SDK would insist on Date times). */
export async function putEventsRaw(endpoint: string, entries: readonly unknown[]): Promise<{ FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({ Entries: entries }),
    signal: AbortSignal.timeout(60_000),
  });
  const payload = (await response.json()) as { FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[]; __type?: string; message?: string };
  if (!response.ok) throw new RuntimeCallError(payload.__type ?? `HTTP ${response.status}`, payload.message ?? `the endpoint answered HTTP ${response.status}`);
  return payload;
}
