/**
 * Gives a CLI command the state table: through the running local runtime's DynamoDB
 * endpoint when it answers, or else by opening the data folder with a private dynalite
 * (LevelDB allows one process at a time, so the two cannot be open together).
 */
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../infra/state-table.ts';
import { lockDataDir } from '../runtime/data-dir-lock.ts';
import { liveRuntime } from '../runtime/runtime-file.ts';
import { ensureStateTable, startDynamoServer } from '../runtime/dynamo-server.ts';
import { DEFAULT_DYNAMODB_PORT } from './options.ts';
import { LOCAL_CREDENTIALS } from '../runtime/http-server.ts';

const region = 'us-east-1';

export interface StateAccess {
  readonly docs: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly via: string;
}

export async function withStateTable<T>(options: { dataDir: string; endpoint?: string }, use: (access: StateAccess) => Promise<T>): Promise<T> {
  const endpoint = options.endpoint ?? liveRuntime(options.dataDir)?.dynamoDbUrl ?? process.env.ERPGOV_DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${process.env.ERPGOV_DYNAMODB_PORT ?? DEFAULT_DYNAMODB_PORT}`;
  const running = new DynamoDBClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { connectionTimeout: 500, requestTimeout: 2000 } });
  const reachable = await running.send(new ListTablesCommand({})).then(
    (out) => out.TableNames?.includes(stateTable.name) ?? false,
    () => false,
  );
  if (reachable) {
    const docs = DynamoDBDocumentClient.from(running);
    try {
      return await use({ docs, tableName: stateTable.name, via: `running runtime at ${endpoint}` });
    } finally {
      docs.destroy();
    }
  }
  running.destroy();
  const unlock = lockDataDir(options.dataDir);
  const server = await startDynamoServer({ path: join(options.dataDir, 'dynamodb'), host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({ endpoint: server.url, region, credentials: LOCAL_CREDENTIALS });
  try {
    await ensureStateTable(client, stateTable);
    return await use({ docs: DynamoDBDocumentClient.from(client), tableName: stateTable.name, via: `data folder ${options.dataDir}` });
  } finally {
    client.destroy();
    await server.close();
    unlock();
  }
}
