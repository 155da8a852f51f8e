/**
 * What the DynamoDB benchmarks share: a dynalite server on loopback with the state table, a
 * document client that counts its requests, and a bulk loader that writes items as the stores
 * keep them (BatchWriteItem, 25 a batch, unprocessed items retried).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../../functions/shared/concurrency.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

export interface BenchDynamo {
  readonly docs: DynamoDBDocumentClient;
  /** DynamoDB requests sent so far. */
  requests(): number;
  close(): Promise<void>;
}

/** Starts dynalite with the state table: in memory, or on disk in a throw-away folder named after `diskPrefix`. */
export async function startBenchDynamo(options: { diskPrefix?: string } = {}): Promise<BenchDynamo> {
  const dir = options.diskPrefix ? mkdtempSync(join(tmpdir(), options.diskPrefix)) : undefined;
  const server = await startDynamoServer({ ...(dir ? { path: join(dir, 'dynamodb') } : {}), host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  let requests = 0;
  client.middlewareStack.add((next) => async (args) => {
    requests++;
    return next(args);
  }, { step: 'initialize', name: 'countRequests' });
  const close = async () => {
    client.destroy();
    await server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ensureStateTable(client, stateTable);
  } catch (error) {
    await close();
    throw error;
  }
  return { docs: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), requests: () => requests, close };
}

/** Writes `items` into the state table as they are, 8 batches at a time. */
export async function bulkLoad(docs: DynamoDBDocumentClient, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await mapWithConcurrency(batches, 8, async (batch) => {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept returning unprocessed items');
      const out = await docs.send(new BatchWriteCommand({ RequestItems: { [stateTable.name]: pending } }));
      pending = (out.UnprocessedItems?.[stateTable.name] ?? []) as typeof pending;
    }
  });
}
