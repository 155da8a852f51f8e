/**
 * `audit verify` throughput on a large trail (default 1,000,000 records), against the raw
 * dynalite read rate of the same items in the same run.
 *   npx tsx bench/audit-verify.ts [--records 1000000]
 * The trail is written straight into dynalite with BatchWriteItem (records and their sealed
 * blocks of 25 computed with the real block code), because appending a million records
 * through the function would measure the writer, not the verifier.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../functions/shared/audit-trail/audit-record.ts';
import { blockItem, CHAIN_SHARDS, chainHeadItem, dynamoAuditTrailStore, recordItem } from '../functions/shared/audit-trail/audit-trail-store.ts';
import { verifyTrail } from '../functions/shared/audit-trail/audit-queries.ts';
import { recordHash } from '../functions/shared/audit-trail/audit-block.ts';
import { nextLink, type ChainHead } from '../functions/shared/audit-trail/hash-chain.ts';
import { stateIndex } from '../functions/shared/dynamo-access.ts';
import { stateTable } from '../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../runtime/dynamo-server.ts';


process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' } } });
const total = Number(values.records);
const day = '2026-11-28';
const dir = mkdtempSync(join(tmpdir(), 'erpgov-verify-bench-'));
const server = await startDynamoServer({ path: join(dir, 'dynamodb'), host: '127.0.0.1', port: 0 });
const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
await ensureStateTable(client, stateTable);
const docs = DynamoDBDocumentClient.from(client);

const sources = ['erp.sap', 'erp.kingdee', 'erp.odoo', 'erp.yonyou'];
const chainIds = sources.flatMap((s) => Array.from({ length: CHAIN_SHARDS }, (_, shard) => `${s}/${day}/${shard}`));
const heads = new Map<string, ChainHead | undefined>();

function record(i: number, source: string): AuditRecord {
  return {
    eventId: `bench-${i}`, source, detailType: 'Operation Audited', occurredAt: `${day}T${String(i % 24).padStart(2, '0')}:00:00Z`, recordedAt: `${day}T23:59:00.000Z`,
    actor: `u${i % 5000}`, action: i % 7 ? 'update' : 'delete', target: `SO-${i}`, module: 'orders', deviceId: `dev-${i % 5000}`, recordCount: i % 300, valid: true, invalidReason: null,
    originalEvent: JSON.stringify({ id: `bench-${i}`, source, 'detail-type': 'Operation Audited', detail: { actor: `u${i % 5000}`, target: `SO-${i}` } }),
  };
}

console.log(`writing ${total} chained records into ${chainIds.length} chains ...`);
const writeStart = performance.now();
const pending: Promise<unknown>[] = [];
let batch: Record<string, unknown>[] = [];
const flush = async (items: Record<string, unknown>[]) => {
  let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = { [stateTable.name]: items.map((Item) => ({ PutRequest: { Item } })) };
  while (Object.keys(request).length > 0) {
    const out = await docs.send(new BatchWriteCommand({ RequestItems: request }));
    request = (out.UnprocessedItems ?? {}) as typeof request;
  }
};
const put = async (item: Record<string, unknown>) => {
  batch.push(item);
  if (batch.length === 25) {
    pending.push(flush(batch));
    batch = [];
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
};
for (let first = 0; first < total; first += 25) {
  // One sealed block per 25 records, the chains in turn, as the writer's batches would be.
  const chainId = chainIds[(first / 25) % chainIds.length] as string;
  const records = Array.from({ length: Math.min(25, total - first) }, (_, k) => record(first + k, chainId.split('/')[0] as string));
  const batchId = `bench-batch-${first}`;
  for (const r of records) await put(recordItem({ chainId, batchId, record: r }));
  const block = nextLink(chainId, heads.get(chainId), { sealedAt: `${day}T23:59:00.000Z`, batchIds: [batchId], entries: records.map((r) => ({ eventId: r.eventId, recordHash: recordHash(chainId, r) })) });
  heads.set(chainId, { chainId, seq: block.seq, hash: block.hash });
  await put(blockItem(block));
}
if (batch.length) pending.push(flush(batch));
await Promise.all(pending);
for (const head of heads.values()) {
  if (head) await docs.send(new PutCommand({ TableName: stateTable.name, Item: chainHeadItem(head) }));
}
const writeSeconds = (performance.now() - writeStart) / 1000;

// Baseline: read every record once with plain paginated Queries of the by-day index, no hashing.
const readStart = performance.now();
let read = 0;
let startKey: Record<string, unknown> | undefined;
do {
  const page = await docs.send(new QueryCommand({ TableName: stateTable.name, IndexName: stateIndex.indexName, KeyConditionExpression: '#p = :p', ExpressionAttributeNames: { '#p': stateIndex.partitionKey }, ExpressionAttributeValues: { ':p': `AUDITDAY#${day}` }, ExclusiveStartKey: startKey }));
  read += page.Items?.length ?? 0;
  startKey = page.LastEvaluatedKey;
} while (startKey);
const readSeconds = (performance.now() - readStart) / 1000;

const verifyStart = performance.now();
const report = await verifyTrail(dynamoAuditTrailStore(docs, stateTable.name), day, day);
const verifySeconds = (performance.now() - verifyStart) / 1000;
if (report.records !== total || report.broken.length > 0) throw new Error(`verify saw ${report.records} records, ${report.broken.length} broken`);

const row = (name: string, value: string) => console.log(`${name.padEnd(46)} ${value}`);
row('records in the trail', `${total} in ${report.chains} chains (written in ${writeSeconds.toFixed(0)} s)`);
row('baseline: raw dynalite Query read', `${(read / readSeconds).toFixed(0)} records/s`);
row('audit verify (read + recompute every hash)', `${(total / verifySeconds).toFixed(0)} records/s (${verifySeconds.toFixed(1)} s)`);
row('ratio verify / raw read', `${(readSeconds / verifySeconds).toFixed(2)}x`);

docs.destroy();
await server.close();
rmSync(dir, { recursive: true, force: true });
