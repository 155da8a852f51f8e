/**
 * A started local runtime for an integration test, schedules not armed and retries quick, with
 * SDK clients on its loopback endpoints; `restart` starts it again on the same data folder;
 * `stop` closes the clients and the runtime and removes its data folder. The scenario harness
 * (pipeline-harness.ts) builds on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';

/** What starts the runtime: by default the one this module imported; a restart may pass one imported afresh. */
export type StartRuntime = (options: LocalRuntimeOptions) => Promise<LocalRuntime>;

export interface LocalPipeline {
  readonly dataDir: string;
  /** The runtime, and clients on its endpoints: each replaced by a restart. */
  readonly runtime: LocalRuntime;
  readonly events: EventBridgeClient;
  readonly docs: DynamoDBDocumentClient;
  /** Closes the clients, stops the runtime, starts it again (by `start`) on the same data folder, with new clients. */
  restart(start?: StartRuntime): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalPipeline(name: string): Promise<LocalPipeline> {
  const dataDir = mkdtempSync(join(tmpdir(), `erpgov-${name}-`));
  const options: LocalRuntimeOptions = { dataDir, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } };
  let runtime = await startLocalRuntime(options);
  const clientsOf = (rt: LocalRuntime) => ({
    events: new EventBridgeClient({ endpoint: rt.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 }),
    docs: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: rt.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }), { marshallOptions: { removeUndefinedValues: true } }),
  });
  let { events, docs } = clientsOf(runtime);
  const close = async () => {
    events.destroy();
    docs.destroy();
    await runtime.stop();
  };
  return {
    dataDir,
    get runtime() {
      return runtime;
    },
    get events() {
      return events;
    },
    get docs() {
      return docs;
    },
    async restart(start = startLocalRuntime) {
      await close();
      runtime = await start(options);
      ({ events, docs } = clientsOf(runtime));
    },
    async stop() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
