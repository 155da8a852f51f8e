/**
 * log-archiving's handler as Lambda invokes it on AWS, against a real dynalite: an SQS batch is
 * accepted (one seal intent, nothing sealed yet), then the state table's stream record of that
 * intent's INSERT runs the seal pass, which writes and seals the batch. The intent's key is read
 * back from the table, so the stream trigger's filter (`SEAL_INTENT_KEY_PREFIXES`) and the keys
 * the store writes cannot drift apart unnoticed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { verifyTrail } from '../../functions/shared/audit-trail/audit-queries.ts';
import { utcDay } from '../../functions/shared/time.ts';
import { routingTable } from '../../infra/routes.ts';
import { SEAL_INTENT_KEY_PREFIXES, stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

const TABLE = 'stream-trigger-trail';
const context = { functionName: 'log-archiving', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:log-archiving', memoryLimitInMB: '512', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let docs: DynamoDBDocumentClient;
let handler: (event: unknown, context: Context) => Promise<unknown>;
let restore: () => void;

beforeAll(async () => {
  restore = quietFunctions();
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await ensureStateTable(client, stateTable, TABLE);
  docs = DynamoDBDocumentClient.from(client);
  // The environment the stack gives the function, pointed at dynalite; the handler reads it at import.
  for (const [name, value] of Object.entries({ STATE_TABLE_NAME: TABLE, EVENT_BUS_NAME: 'erpgov-bus', AWS_ENDPOINT_URL_DYNAMODB: server.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'l', AWS_SECRET_ACCESS_KEY: 'l', POWERTOOLS_METRICS_DISABLED: 'true' })) vi.stubEnv(name, value);
  ({ handler } = await import('../../functions/log-archiving/handler.ts'));
});
afterAll(async () => {
  docs.destroy();
  await server.close();
  restore();
});

const login = (i: number, time: string) => ({ version: '0', id: `stream-evt-${i}`, 'detail-type': 'Login', source: 'erp.sap', account: '123456789012', time, region: 'us-east-1', resources: [], detail: { schemaVersion: 1, user: `u${i}`, success: true } });
const sqsBatch = (events: object[]) => ({
  Records: events.map((event, i) => ({ messageId: `m-${i}`, receiptHandle: `r-${i}`, body: JSON.stringify(event), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:log-archiving-batches', awsRegion: 'us-east-1' })),
});
/** A KEYS_ONLY stream record of an item put into the state table, as the stream trigger's mapping delivers it. */
const insertRecord = (keys: { pk: string; sk: string }) => ({
  eventID: 'c81e728d9d4c2f636f067f89cc14862c',
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: { ApproximateCreationDateTime: Math.floor(Date.now() / 1000), Keys: { pk: { S: keys.pk }, sk: { S: keys.sk } }, SequenceNumber: '111000000000000000001', SizeBytes: 60, StreamViewType: 'KEYS_ONLY' },
  eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}/stream/2026-01-01T00:00:00.000`,
});

it('runs the seal pass on a stream record of a seal intent put, and the batch the SQS delivery accepted is sealed', async () => {
  const today = utcDay(new Date());
  const trail = dynamoAuditTrailStore(docs, TABLE);
  const events = [1, 2, 3].map((i) => login(i, new Date().toISOString()));
  expect(await handler(sqsBatch(events), context)).toEqual({ batchItemFailures: [] });
  // Accepted, not sealed: one intent, whose keys the stream trigger's filter passes.
  const intents = (await docs.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `${SEAL_INTENT_KEY_PREFIXES.pk}${today}` }, ConsistentRead: true }))).Items ?? [];
  expect(intents).toHaveLength(1);
  const [intent] = intents as [{ pk: string; sk: string }];
  expect(intent.sk.startsWith(SEAL_INTENT_KEY_PREFIXES.sk)).toBe(true);
  expect((await trail.readRecords(events.map((e) => e.id))).size).toBe(0);

  // The trigger the routing table declares runs exactly this pass.
  expect(routingTable.find((fn) => fn.name === 'log-archiving')?.stateStreamTrigger).toMatchObject({ runs: 'audit-seal-pending', keyPrefixes: SEAL_INTENT_KEY_PREFIXES });
  expect(await handler({ Records: [insertRecord(intent)] }, context)).toEqual({ schedule: 'audit-seal-pending', startedBy: 'state-stream', sealed: 1 });
  expect((await trail.readRecords(events.map((e) => e.id))).size).toBe(3);
  expect(await trail.openSeals(today)).toEqual([]);
  expect(await verifyTrail(trail, today, today)).toMatchObject({ records: 3, broken: [] });

  // A second record of the same burst finds nothing left to seal.
  expect(await handler({ Records: [insertRecord(intent)] }, context)).toMatchObject({ startedBy: 'state-stream', sealed: 0 });
});
