/**
 * The archive port against both real peers: a local folder and an S3 API server on
 * loopback (s3rver); then a whole archive run from a dynalite trail, verified by digest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKey } from '../../schemas/archive-layout.ts';
import { verifyBatchDigest, type ArchiveManifest } from '../../functions/audit-archive/archive-batches.ts';
import { archiveAuditDays, type ArchivePorts } from '../../functions/audit-archive/flows.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { validateDetail } from '../../schemas/registry.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import type { AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { ArchiveKeyError, folderArchiveStore, s3ArchiveStore, type ArchiveStore } from '../../functions/shared/archive-store.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let dir: string;
let s3server: S3rver;
let s3: S3Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'erpgov-archive-'));
  s3server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'audit-archive', configs: [] }, { name: 'audit-archive-run', configs: [] }] });
  const { port } = (await s3server.run()) as { port: number };
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    // s3rver stores aws-chunked bodies verbatim; ask for checksums only where S3 requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  s3.destroy();
  await s3server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The archive run's ports over a trail and an archive, with the lifecycle in memory; `published` is what it put on the bus. */
function archivePorts(trail: ArchivePorts['trail'], archive: ArchiveStore): ArchivePorts & { published: OutgoingEvent[] } {
  const published: OutgoingEvent[] = [];
  const findings = findingLifecycle({ store: memoryFindingsStore(), publisher: { publish: async (events) => void published.push(...events) } }, 'audit-archive');
  return { trail, archive, findings, mode: 'enforce', published };
}

const stores: [string, () => ArchiveStore][] = [
  ['folder', () => folderArchiveStore(join(dir, 'folder'))],
  ['s3', () => s3ArchiveStore(s3, 'audit-archive')],
];

describe.each(stores)('%s archive store', (_name, make) => {
  it('puts, gets and lists by prefix', async () => {
    const store = make();
    await store.put('audit/records/date=2026-11-28/source=erp.sap/chain-1.jsonl.gz', new Uint8Array([1, 2, 3]), 'application/gzip');
    await store.put('audit/manifests/2026-11-28.json', new TextEncoder().encode('{}'), 'application/json');
    expect(await store.get('audit/manifests/2026-11-28.json')).toEqual(new Uint8Array(new TextEncoder().encode('{}')));
    expect(await store.get('audit/manifests/1999-01-01.json')).toBeUndefined();
    expect(await store.list('audit/manifests/')).toEqual(['audit/manifests/2026-11-28.json']);
    expect((await store.list('audit/')).length).toBe(2);
  });

  it('refuses keys that could escape the archive', async () => {
    await expect(make().put('../etc/passwd', new Uint8Array(), 'text/plain')).rejects.toBeInstanceOf(ArchiveKeyError);
    await expect(make().put('/abs', new Uint8Array(), 'text/plain')).rejects.toBeInstanceOf(ArchiveKeyError);
  });
});

/** A login recorded an hour before its arrival. */
const loginRecord = (eventId: string, source: string, arrival: Date): AuditRecord => ({
  eventId, source, detailType: 'Login', occurredAt: new Date(arrival.getTime() - 3_600_000).toISOString().replace('.000Z', 'Z'), recordedAt: arrival.toISOString(),
  actor: 'u1', action: 'Login', target: null, module: null, deviceId: null, recordCount: null, valid: true, invalidReason: null, originalEvent: '{}',
});

/** The trail on a fresh dynalite; `close` stops both. */
async function dynaliteTrail() {
  const dynamo = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials });
  await ensureStateTable(client, stateTable);
  const trail = dynamoAuditTrailStore(DynamoDBDocumentClient.from(client), stateTable.name);
  return { trail, close: async () => (client.destroy(), await dynamo.close()) };
}

describe('archive run', () => {
  it('archives each closed day once, batches by source, with digests that verify', async () => {
    const { trail, close } = await dynaliteTrail();
    const arrival = new Date('2026-11-28T12:00:00Z');
    const rec = (i: number, source: string): AuditRecord => loginRecord(`e${i}`, source, arrival);
    for (let i = 0; i < 30; i++) await trail.append(rec(i, i % 3 ? 'erp.sap' : 'erp.odoo'), arrival);

    const archive = s3ArchiveStore(s3, 'audit-archive-run');
    const ports = archivePorts(trail, archive);
    const today = new Date('2026-11-29T00:30:00Z');
    const first = await archiveAuditDays(ports, today, today);
    expect(first.find((r) => r.day === '2026-11-28')).toMatchObject({ records: 30 });
    expect(ports.published).toEqual([]); // intact chains raise nothing
    const again = await archiveAuditDays(ports, today, today);
    expect(again).toEqual([]); // every day in the window now has a manifest

    const manifest = JSON.parse(new TextDecoder().decode(await archive.get(manifestKey('2026-11-28')))) as ArchiveManifest;
    expect(manifest.batches.reduce((n, b) => n + b.records, 0)).toBe(30);
    expect(new Set(manifest.batches.map((b) => b.source))).toEqual(new Set(['erp.sap', 'erp.odoo']));
    for (const batch of manifest.batches) {
      expect(batch.key).toMatch(/^audit\/records\/date=2026-11-28\/erp\.(sap|odoo)\.chain-\d\.jsonl\.gz$/);
      const body = (await archive.get(batch.key)) as Uint8Array;
      expect(verifyBatchDigest(body, batch.sha256)).toBe(true);
      const lines = gunzipSync(body).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(batch.records);
      expect(lines[0]).toMatchObject({ chain_id: batch.chainId, seq: 1, source: batch.source });
      expect(verifyBatchDigest(new Uint8Array([...body, 0]), batch.sha256)).toBe(false);
    }
    await close();
  });

  it('seals first what a day accepted and never sealed (the machine off since a crash), so the day\'s archive has it', async () => {
    const { trail, close } = await dynaliteTrail();
    const arrival = new Date('2026-11-20T12:00:00Z');
    const rec = (i: number): AuditRecord => loginRecord(`o${i}`, 'erp.sap', arrival);
    await trail.append(rec(0), arrival);
    // Accepted, then nothing: no pass ran before the machine went off.
    await trail.accept([rec(1), rec(2)], arrival);
    const today = new Date('2026-11-29T00:30:00Z');
    // A frequent pass looks at yesterday and today only.
    expect(await trail.sealPending(today)).toBe(0);
    const archive = folderArchiveStore(join(dir, 'late-seal'));
    const ports = archivePorts(trail, archive);
    expect((await archiveAuditDays(ports, today, today)).find((r) => r.day === '2026-11-20')).toMatchObject({ records: 3, broken: [] });
    expect(await trail.openSeals('2026-11-20')).toEqual([]);
    await close();
  });

  it('verifies each chain as it archives: a tampered chain is archived as found, flagged in the manifest, and becomes a 6.1 finding', async () => {
    const dynamo = await startDynamoServer({ host: '127.0.0.1', port: 0 });
    const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials });
    await ensureStateTable(client, stateTable);
    const docs = DynamoDBDocumentClient.from(client);
    const trail = dynamoAuditTrailStore(docs, stateTable.name);
    const arrival = new Date('2026-10-10T12:00:00Z');
    const rec = (i: number): AuditRecord => ({
      eventId: `t${i}`, source: 'erp.sap', detailType: 'Operation Audited', occurredAt: '2026-10-10T11:00:00Z', recordedAt: arrival.toISOString(),
      actor: 'u1', action: 'delete', target: 'SO-1', module: 'orders', deviceId: null, recordCount: 5, valid: true, invalidReason: null, originalEvent: '{}',
    });
    await trail.appendBatch(Array.from({ length: 12 }, (_, i) => rec(i)), arrival);
    const [chainId] = await trail.chainsOfDay('2026-10-10');
    await docs.send(new UpdateCommand({ TableName: stateTable.name, Key: { pk: 'AUDIT#t1', sk: 'RECORD' }, UpdateExpression: 'SET #r.actor = :a', ExpressionAttributeNames: { '#r': 'record' }, ExpressionAttributeValues: { ':a': 'intruder' } }));

    const archive = folderArchiveStore(join(dir, 'integrity'));
    const ports = archivePorts(trail, archive);
    const today = new Date('2026-10-11T00:30:00Z');
    const [result] = (await archiveAuditDays(ports, today, today)).filter((r) => r.day === '2026-10-10');
    expect(result?.records).toBe(12);
    expect(result?.broken).toEqual([expect.objectContaining({ chainId, kind: 'edited', seq: 1 })]);
    const manifest = JSON.parse(new TextDecoder().decode(await archive.get(manifestKey('2026-10-10'))));
    expect(manifest.integrity).toMatchObject({ intact: false, broken: [expect.objectContaining({ chainId })] });
    expect(ports.published).toHaveLength(1);
    const [raised] = ports.published;
    expect(raised).toMatchObject({ source: 'erpgov.audit-archive', detailType: 'Finding Raised' });
    expect(validateDetail('Finding Raised', raised?.detail).ok).toBe(true);
    expect(raised?.detail).toMatchObject({ control: '6.1', severity: 'critical', mode: 'enforce', title: 'Audit trail tampered with or incomplete', subject: { id: chainId }, detectedBy: 'audit-archive', evidence: { facts: { day: '2026-10-10', kind: 'edited', seq: 1 } } });
    docs.destroy();
    await dynamo.close();
  });
});
