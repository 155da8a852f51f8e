/**
 * The stored hourly baseline counts of the behaviour analysis against a real dynalite:
 * compressed round trip, the [from, to) hour range, and repeat writes of the same hour.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoHourlyBaselineStore } from '../../functions/audit-analysis/hourly-baseline-store.ts';
import type { Baseline } from '../../functions/audit-analysis/behaviour-baseline.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let client: DynamoDBClient;

beforeAll(async () => {
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await ensureStateTable(client, stateTable);
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

const counts = (n: number): Baseline => ({ actions: { delete: { u1: n, 'u-二': 1 } }, devices: { u1: ['3c52824a9f10'] }, moduleErrors: { inventory: n * 2 } });

describe('hourly baseline store', () => {
  it('returns exactly the hours starting in [from, to), as stored', async () => {
    const store = dynamoHourlyBaselineStore(DynamoDBDocumentClient.from(client), stateTable.name);
    const hour = (h: number) => new Date(Date.UTC(2026, 2, 10, h));
    for (const h of [3, 4, 5, 6]) await store.putHour(hour(h), counts(h), 2_000_000_000);
    await store.putHour(hour(4), counts(4), 2_000_000_000);
    const got = await store.hoursBetween(hour(4), hour(6));
    expect([...got.keys()]).toEqual([hour(4).toISOString(), hour(5).toISOString()]);
    expect(got.get(hour(5).toISOString())).toEqual(counts(5));
  });
});
