/**
 * The embedded DynamoDB: dynalite, persisted to a folder, listening on loopback so standard
 * tools (`aws dynamodb scan --endpoint-url ...`, NoSQL Workbench) can inspect the state.
 */
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { keyDefinitions, type StateTableDefinition } from '../infra/state-table.ts';
import { listenOnLoopback } from './http-server.ts';

export async function startDynamoServer(options: { path?: string; host: string; port: number }): Promise<{ server: Server; url: string }> {
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenOnLoopback(server, options);
}

/** Creates the state table from its one definition unless it exists (data survives restarts). */
export async function ensureStateTable(client: DynamoDBClient, table: StateTableDefinition, tableName: string = table.name): Promise<'created' | 'existing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await client.send(new CreateTableCommand({ TableName: tableName, BillingMode: 'PAY_PER_REQUEST', ...keyDefinitions(table) }));
  await untilActive(client, tableName);
  return 'created';
}

/**
 * dynalite answers CreateTable with the table CREATING and turns it ACTIVE on a timer; until
 * then reads and writes get ResourceNotFoundException. On a loaded machine that gap is long
 * enough to fail the first write, so wait for ACTIVE (bounded: about 10 s).
 */
async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the local state table ${tableName} did not become ACTIVE within 10 s`);
}
