import { describe, expect, it } from 'vitest';
import { ApiError, completeEventToBusEvent, entrySize, entryToEvent, pipelineDoor, publicDoor, readPutEventsRequest } from '../../runtime/put-events.ts';
import { exampleEvent } from '../../schemas/index.ts';

const bus = { eventBusName: 'erpgov-bus', account: '000000000000', region: 'us-east-1' };
const now = new Date('2026-11-29T04:05:06.789Z');
const good = () => exampleEvent('Operation Audited', 'erp.sap');

function refusal(entry: unknown) {
  const out = entryToEvent(entry, 'id-1', now, bus);
  if (out.ok) throw new Error('expected a refusal');
  return out;
}

describe('PutEvents request checks', () => {
  it('needs an Entries array of 1 to 10', () => {
    expect(() => readPutEventsRequest({})).toThrow(ApiError);
    expect(() => readPutEventsRequest({ Entries: [] })).toThrow(/between 1 and 10/);
    expect(() => readPutEventsRequest({ Entries: Array(11).fill(good()) })).toThrow(/with 11 entries/);
    expect(readPutEventsRequest({ Entries: Array(10).fill(good()) })).toHaveLength(10);
    expect(() => readPutEventsRequest([1])).toThrow(/JSON object/);
  });

  it('computes entry size as EventBridge does and enforces 256 KB', () => {
    expect(entrySize({ Source: 'ab', DetailType: 'cd', Detail: '{}', Resources: ['r1'], Time: 1 })).toBe(14 + 2 + 2 + 2 + 2);
    expect(entrySize({ Source: '源', DetailType: '', Detail: '' })).toBe(3);
    const big = { ...good(), Detail: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }) };
    expect(() => readPutEventsRequest({ Entries: [big, big] })).toThrow(/over the limit: \d+ bytes, allowed 262144/);
    let err: unknown;
    try {
      readPutEventsRequest({ Entries: [big, big] });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ type: 'ValidationException', status: 400 });
  });
});

describe('entry → event', () => {
  it('builds the envelope EventBridge delivers', () => {
    const out = entryToEvent({ ...good(), Resources: ['arn:erp:sap:order/1'] }, 'id-1', now, bus);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.event).toMatchObject({
      version: '0',
      id: 'id-1',
      source: 'erp.sap',
      'detail-type': 'Operation Audited',
      account: '000000000000',
      region: 'us-east-1',
      time: '2026-11-29T04:05:06Z',
      resources: ['arn:erp:sap:order/1'],
    });
    expect(out.event.detail).toEqual(JSON.parse(good().Detail as string));
  });

  it('takes Time as epoch seconds (the JSON protocol) or ISO text', () => {
    const epoch = entryToEvent({ ...good(), Time: 1764000000 }, 'i', now, bus);
    expect(epoch.ok && epoch.event.time).toBe('2025-11-24T16:00:00Z');
    const iso = entryToEvent({ ...good(), Time: '2026-01-02T03:04:05+08:00' }, 'i', now, bus);
    expect(iso.ok && iso.event.time).toBe('2026-01-01T19:04:05Z');
    expect(refusal({ ...good(), Time: 'yesterday' })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('Time') });
  });

  it('refuses each bad field with a code and a message naming it', () => {
    expect(refusal({ ...good(), Source: '' })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('Source') });
    expect(refusal({ ...good(), DetailType: undefined })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('DetailType') });
    expect(refusal({ ...good(), Source: 'aws.ec2' })).toMatchObject({ errorCode: 'NotAuthorizedForSourceException' });
    expect(refusal({ ...good(), Detail: '"text"' })).toMatchObject({ errorCode: 'MalformedDetail', errorMessage: expect.stringContaining('got string') });
    expect(refusal({ ...good(), Detail: 'null' })).toMatchObject({ errorCode: 'MalformedDetail', errorMessage: expect.stringContaining('got null') });
    expect(refusal({ ...good(), Detail: '{' })).toMatchObject({ errorCode: 'MalformedDetail', errorMessage: expect.stringContaining('not JSON') });
    expect(refusal({ ...good(), Detail: { a: 1 } })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('Detail') });
    expect(refusal({ ...good(), Resources: [''] })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('Resources') });
    expect(refusal({ ...good(), EventBusName: 'default' })).toMatchObject({ errorCode: 'ResourceNotFoundException', errorMessage: expect.stringContaining('erpgov-bus') });
    expect(refusal({ ...good(), EventBusName: undefined })).toMatchObject({ errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('EventBusName') });
    expect(refusal('not an object')).toMatchObject({ errorCode: 'InvalidArgument' });
  });

  it('accepts the bus by ARN', () => {
    expect(entryToEvent({ ...good(), EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/erpgov-bus' }, 'i', now, bus).ok).toBe(true);
  });

  it('enforces the event contract: unknown detail-types and schema failures name the field', () => {
    expect(refusal({ ...good(), DetailType: 'Coffee Brewed' })).toMatchObject({ errorCode: 'UnknownDetailType', errorMessage: expect.stringContaining('Coffee Brewed') });
    const detail = JSON.parse(good().Detail as string);
    delete detail.actor;
    expect(refusal({ ...good(), Detail: JSON.stringify(detail) })).toMatchObject({ errorCode: 'InvalidDetail', errorMessage: expect.stringContaining('actor') });
  });
});

describe('the door: only the pipeline speaks as the pipeline, only AWS as AWS', () => {
  const forged = (source: string) => ({ ...exampleEvent('Finding Resolved'), Source: source });

  it('refuses erpgov.* and aws.* at the public door per entry, like EventBridge refuses aws.*', () => {
    expect(refusal(forged('erpgov.access-governance'))).toMatchObject({ errorCode: 'NotAuthorizedForSourceException', errorMessage: expect.stringContaining('reserved for the pipeline') });
    expect(refusal(forged('erpgov.ingress'))).toMatchObject({ errorCode: 'NotAuthorizedForSourceException' });
    expect(refusal({ ...good(), Source: 'aws.backup' })).toMatchObject({ errorCode: 'NotAuthorizedForSourceException', errorMessage: expect.stringContaining('erpgov replay') });
  });

  it('refuses sources outside erp.* with the reason, unless the policy lists them', () => {
    expect(refusal({ ...good(), Source: 'com.acme.hr' })).toMatchObject({ errorCode: 'NotAuthorizedForSourceException', errorMessage: expect.stringContaining('ingress.allowedSources') });
    expect(refusal({ ...good(), Source: 'erp.' })).toMatchObject({ errorCode: 'NotAuthorizedForSourceException' });
    expect(entryToEvent({ ...good(), Source: 'com.acme.hr' }, 'i', now, bus, publicDoor(['com.acme.hr'])).ok).toBe(true);
    expect(entryToEvent({ ...good(), Source: 'erp.operator' }, 'i', now, bus).ok).toBe(true);
    // Listing a reserved prefix does not open it (the policy refuses such a list anyway).
    expect(entryToEvent(forged('erpgov.notifier'), 'i', now, bus, publicDoor(['erpgov.notifier'])).ok).toBe(false);
  });

  it('lets the pipeline door take erpgov.* and nothing else', () => {
    const finding = { ...exampleEvent('Finding Raised'), Source: 'erpgov.access-governance' };
    expect(entryToEvent(finding, 'i', now, bus, pipelineDoor).ok).toBe(true);
    expect(entryToEvent(good(), 'i', now, bus, pipelineDoor)).toMatchObject({ ok: false, errorCode: 'NotAuthorizedForSourceException' });
  });
});

describe('complete events (erpgov replay through the admin channel)', () => {
  const complete = (over: Record<string, unknown> = {}) => ({
    version: '0', id: 'evt-1', 'detail-type': 'Operation Audited', source: 'erp.sap', account: '111122223333', time: '2026-03-01T09:00:00Z', region: 'eu-west-1', resources: [],
    detail: JSON.parse(good().Detail as string), ...over,
  });

  it('keeps an AWS service event exactly as AWS sent it, quirks and all', () => {
    const alarm = { id: '7bf73129-1428-4cd3-a780-95db273d1602', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: '123456789012', time: '2019-10-02T17:04:40Z', region: 'us-east-1', detail: { alarmName: 'x', state: { value: 'ALARM' } } };
    const out = completeEventToBusEvent(alarm, 'fallback', now, bus);
    expect(out).toEqual({ ok: true, event: alarm });
    const noId = completeEventToBusEvent({ ...alarm, id: undefined }, 'fallback', now, bus);
    expect(noId.ok && noId.event.id).toBe('fallback');
  });

  it('judges an ERP event like an entry, keeping its own id and time', () => {
    const out = completeEventToBusEvent(complete(), 'fallback', now, bus);
    expect(out.ok && out.event).toMatchObject({ id: 'evt-1', time: '2026-03-01T09:00:00Z', source: 'erp.sap', account: '000000000000' });
    expect(completeEventToBusEvent(complete({ detail: { schemaVersion: 1 } }), 'f', now, bus)).toMatchObject({ ok: false, errorCode: 'InvalidDetail' });
  });

  it('never injects the pipeline\'s own events, and needs source, detail-type and a detail object', () => {
    expect(completeEventToBusEvent(complete({ source: 'erpgov.access-governance', 'detail-type': 'Finding Resolved' }), 'f', now, bus)).toMatchObject({ ok: false, errorCode: 'NotAuthorizedForSourceException' });
    expect(completeEventToBusEvent(complete({ source: 'com.acme' }), 'f', now, bus)).toMatchObject({ ok: false, errorCode: 'NotAuthorizedForSourceException' });
    expect(completeEventToBusEvent(complete({ detail: [] }), 'f', now, bus)).toMatchObject({ ok: false, errorCode: 'MalformedDetail' });
    expect(completeEventToBusEvent(complete({ 'detail-type': '' }), 'f', now, bus)).toMatchObject({ ok: false, errorCode: 'InvalidArgument' });
  });
});
