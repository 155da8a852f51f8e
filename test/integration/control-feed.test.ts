/**
 * The control-feed marks against dynalite: the first sample of a month marks 3.1 fed (one
 * conditional put per container and month), another container's mark for the same month is
 * a no-op, and the pack reads the marks of the months it covers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dynamoControlFeed } from '../../functions/shared/evidence/control-feed.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let client: DynamoDBClient;
let docs: DynamoDBDocumentClient;
const tableName = 'control-feed-test';

beforeAll(async () => {
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  docs = DynamoDBDocumentClient.from(client);
  await ensureStateTable(client, stateTable, tableName);
});
afterAll(async () => {
  docs.destroy();
  await server.close();
});

it('marks a control fed once per month, whichever container marks it, and reads the months asked', async () => {
  const first = dynamoControlFeed(docs, tableName, 'threshold-alerts');
  await first.markFed('3.1', new Date('2026-10-03T10:00:00Z'));
  await first.markFed('3.1', new Date('2026-10-20T10:00:00Z'));
  const second = dynamoControlFeed(docs, tableName, 'threshold-alerts');
  await second.markFed('3.1', new Date('2026-10-25T10:00:00Z'));
  await second.markFed('3.1', new Date('2026-12-01T00:00:00Z'));

  const reader = dynamoControlFeed(docs, tableName, 'erpgov evidence');
  expect([...(await reader.fedIn(['2026-10']))]).toEqual(['3.1']);
  expect([...(await reader.fedIn(['2026-11']))]).toEqual([]);
  expect([...(await reader.fedIn(['2026-10', '2026-11', '2026-12']))]).toEqual(['3.1']);
  // The first mark of the month stands: a later container's put did not overwrite it.
  const { Item } = await docs.send(new GetCommand({ TableName: tableName, Key: { pk: 'CONTROL-FEED#2026-10', sk: '3.1' } }));
  expect(Item).toMatchObject({ control: '3.1', month: '2026-10', firstAt: '2026-10-03T10:00:00.000Z', by: 'threshold-alerts' });
});
