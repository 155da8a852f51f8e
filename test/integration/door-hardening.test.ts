/**
 * The door keeps its promises (issue 15, class 1), through the local runtime: an oversize body
 * leaves its keep-alive connection usable; a deep or out-of-range entry is refused on its own
 * while its good neighbours are kept; refused entries too large for one item, or with a Source
 * longer than a key, still reach the audit trail (nothing dead-lettered); whole-call refusals
 * are in `rejected list`.
 */
import { request, Agent } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoAuditTrailStore, recordsOf } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { utcDay } from '../../functions/shared/time.ts';
import { stateTable } from '../../infra/state-table.ts';
import { deadLetterStore } from '../../runtime/event-bus.ts';
import { rejectedStore, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { exampleEntry } from '../support/erp-entry.ts';
import { startLocalPipeline, type LocalPipeline } from '../support/local-pipeline.ts';
import { quietFunctions } from '../support/quiet-functions.ts';
import { trailRecordsWithin } from '../support/trail-records.ts';

let pipeline: LocalPipeline;
let dataDir: string;
let runtime: LocalRuntime;
let docs: DynamoDBDocumentClient;
let loud: () => void;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  loud = quietFunctions();
  pipeline = await startLocalPipeline('door-hardening');
  ({ dataDir, runtime, docs } = pipeline);
});
afterAll(async () => {
  agent.destroy();
  await pipeline.stop();
  loud();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  socket: unknown;
}

/** One raw call on the shared keep-alive agent (one socket), with a deadline so a hang fails. */
function call(target: string, body: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${target} within 5 s`)), 5000);
    const req = request(runtime.eventBridgeUrl, { method: 'POST', agent, headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, socket: req.socket });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

const good = (operationId: string) => exampleEntry('Operation Audited', { operationId });
const put = (entries: unknown[]) => call('AWSEvents.PutEvents', JSON.stringify({ Entries: entries }));

describe('an oversize body', () => {
  it('is refused, and the next request on the same keep-alive connection is answered', async () => {
    const first = await put([good('op-size-0')]);
    const big = await call('AWSEvents.PutEvents', Buffer.alloc(3 * 1024 * 1024, 0x20));
    expect(big).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
    const next = await put([good('op-size-1')]);
    expect(next).toMatchObject({ status: 200, body: { FailedEntryCount: 0 } });
    expect(next.socket).toBe(big.socket);
    expect(first.socket).toBe(big.socket);
  });
});

describe('bad entries beside good ones', () => {
  it('deep arrays, deep objects and integers beyond 64 bits are refused one by one; the good entries are kept', async () => {
    const deepArrays = { ...good('op-deep-a'), Detail: `{"schemaVersion":1,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}` };
    const deepObjects = { ...good('op-deep-o'), Detail: `{"schemaVersion":1,"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}` };
    const bigInt = { ...good('op-bigint'), Detail: (good('op-bigint').Detail as string).replace(/}$/, ',"n":123456789012345678901234567890}') };
    const badTime = { ...good('op-time'), Time: 1e12 };
    const answer = await put([good('op-n-1'), deepArrays, good('op-n-2'), deepObjects, bigInt, badTime, good('op-n-3')]);
    expect(answer.status).toBe(200);
    const entries = answer.body.Entries as Record<string, unknown>[];
    expect(answer.body.FailedEntryCount).toBe(4);
    expect(entries.map((e) => e.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'ok', 'MalformedDetail', 'MalformedDetail', 'InvalidArgument', 'ok']);
    await runtime.bus.whenIdle();
    // Recorded by the time the bus is idle: one look, no waiting.
    await trailRecordsWithin(dynamoAuditTrailStore(docs, stateTable.name), entries.flatMap((e) => (typeof e.EventId === 'string' ? [e.EventId] : [])), 0);
    const kept = rejectedStore(dataDir).readAll();
    const bigIntKept = kept.find((r) => JSON.stringify(r.entry).includes('op-bigint'));
    expect((bigIntKept?.entry as { Detail: string }).Detail).toContain('123456789012345678901234567890');
  });
});

describe('refusals the trail could not hold before', () => {
  it('an entry too large for one item and a Source longer than a key reach the trail; nothing is dead-lettered', async () => {
    const huge = { ...good('op-huge'), Source: 'aws.huge', Detail: JSON.stringify({ pad: 'x'.repeat(240 * 1024) }) };
    const longSource = { ...good('op-long'), Source: `erp.${'s'.repeat(3000)}` };
    expect((await put([huge])).body.FailedEntryCount).toBe(1);
    expect((await put([longSource])).body.FailedEntryCount).toBe(1);
    await runtime.bus.whenIdle();
    expect(deadLetterStore(dataDir).readAll()).toEqual([]);
    const records = recordsOf(await dynamoAuditTrailStore(docs, stateTable.name).storedRecordsOccurredOn(utcDay(new Date())));
    const refused = records.filter((r) => !r.valid && /NotAuthorizedForSource|InvalidArgument/.test(r.invalidReason ?? ''));
    expect(refused.some((r) => r.originalEvent.includes('sha256') && r.source === 'aws.huge')).toBe(true);
    expect(refused.some((r) => r.source.startsWith('erp.sss') && r.source.length <= 256)).toBe(true);
  });
});

describe('whole-call refusals', () => {
  it('11 entries, oversize, malformed JSON and an unknown operation are kept in `rejected list` and reach the trail', async () => {
    const before = rejectedStore(dataDir).readAll().length;
    expect((await put(Array.from({ length: 11 }, (_, i) => good(`op-11-${i}`)))).body.__type).toBe('ValidationException');
    expect((await call('AWSEvents.PutEvents', Buffer.alloc(2 * 1024 * 1024, 0x41))).body.__type).toBe('ValidationException');
    expect((await call('AWSEvents.PutEvents', '{"Entries": [')).body.__type).toBe('SerializationException');
    expect((await call('AWSEvents.DeleteEverything', '{}')).body.__type).toBe('UnknownOperationException');
    const kept = rejectedStore(dataDir).readAll().slice(before);
    expect(kept.map((r) => r.errorCode)).toEqual(['ValidationException', 'ValidationException', 'SerializationException', 'UnknownOperationException']);
    const oversize = kept[1]?.entry as { wholeCall: boolean; body: { bytes: number; sha256: string; truncated: boolean; preview: string } };
    expect(oversize).toMatchObject({ wholeCall: true, body: { bytes: 2 * 1024 * 1024, truncated: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(JSON.stringify(kept[0]).includes('op-11-10')).toBe(true);
    await runtime.bus.whenIdle();
    expect(deadLetterStore(dataDir).readAll()).toEqual([]);
    const records = recordsOf(await dynamoAuditTrailStore(docs, stateTable.name).storedRecordsOccurredOn(utcDay(new Date())));
    expect(records.filter((r) => /UnknownOperationException|SerializationException/.test(r.invalidReason ?? ''))).toHaveLength(2);
  });
});
