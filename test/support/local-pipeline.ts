/**
 * A started local runtime for an integration test, schedules not armed and retries quick, with
 * SDK clients on its loopback endpoints; `stop` closes the clients and the runtime and removes
 * its data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';

const credentials = LOCAL_CREDENTIALS;

export interface LocalPipeline {
  readonly dataDir: string;
  readonly runtime: LocalRuntime;
  readonly events: EventBridgeClient;
  readonly docs: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startLocalPipeline(name: string): Promise<LocalPipeline> {
  const dataDir = mkdtempSync(join(tmpdir(), `erpgov-${name}-`));
  const runtime = await startLocalRuntime({ dataDir, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  const events = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
  const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: 'us-east-1', credentials }), { marshallOptions: { removeUndefinedValues: true } });
  return {
    dataDir,
    runtime,
    events,
    docs,
    async stop() {
      events.destroy();
      docs.destroy();
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
