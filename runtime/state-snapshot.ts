/**
 * Copies the state table of a throw-away runtime (dynalite in memory, the simulator's) into a
 * data folder's own dynalite (`<dataDir>/dynamodb`, LevelDB), so every `erpgov` command that
 * opens a data folder (evidence, report, findings, audit) reads what the simulation left. The
 * simulation itself runs in memory: persisting each of its writes would slow every one of
 * its tens of thousands of schedule fires, for a table read only at the end.
 */
import { join } from 'node:path';
import { BatchWriteItemCommand, DynamoDBClient, ScanCommand, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { stateTable } from '../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from './dynamo-server.ts';
import { LOCAL_CREDENTIALS } from './http-server.ts';

/** BatchWriteItem's limit per call. */
const BATCH = 25;

/** Copies every item of the state table at `fromEndpoint` into `<dataDir>/dynamodb`; returns how many. */
export async function copyStateTableToDataDir(fromEndpoint: string, region: string, dataDir: string): Promise<number> {
  const server = await startDynamoServer({ path: join(dataDir, 'dynamodb'), host: '127.0.0.1', port: 0 });
  const from = new DynamoDBClient({ endpoint: fromEndpoint, region, credentials: LOCAL_CREDENTIALS });
  const to = new DynamoDBClient({ endpoint: server.url, region, credentials: LOCAL_CREDENTIALS });
  try {
    await ensureStateTable(to, stateTable);
    let copied = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await from.send(new ScanCommand({ TableName: stateTable.name, ...(start ? { ExclusiveStartKey: start } : {}) }));
      const items = page.Items ?? [];
      for (let i = 0; i < items.length; i += BATCH) {
        let requests: WriteRequest[] = items.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const out = await to.send(new BatchWriteItemCommand({ RequestItems: { [stateTable.name]: requests } }));
          requests = out.UnprocessedItems?.[stateTable.name] ?? [];
        }
      }
      copied += items.length;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return copied;
  } finally {
    from.destroy();
    to.destroy();
    await server.close();
  }
}
