/**
 * What a batched function is invoked with, told apart by shape: an SQS batch (the rules' events,
 * on AWS and from the local bus), a DynamoDB stream batch (a stream trigger, AWS only) — both
 * come as `Records` — or one EventBridge event (a schedule). The records are shaped as the AWS
 * Lambda guide's examples show them. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { isDynamoStreamBatch, isSqsBatch } from '../../functions/shared/batch-handler.ts';
import { invocationOf } from '../../functions/shared/event-handler.ts';

const sqsRecord = (i: number) => ({
  messageId: `m-${i}`,
  receiptHandle: `r-${i}`,
  body: JSON.stringify({ id: `e-${i}`, source: 'erp.sap', 'detail-type': 'Login', detail: {} }),
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1764410400000', SenderId: 'events.amazonaws.com', ApproximateFirstReceiveTimestamp: '1764410400000' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:log-archiving-batches',
  awsRegion: 'us-east-1',
});
/** A KEYS_ONLY record of a seal intent put into the state table. */
const streamRecord = (i: number) => ({
  eventID: `c4ca4238a0b923820dcc509a6f75849${i}`,
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    ApproximateCreationDateTime: 1764410400,
    Keys: { pk: { S: 'SEALS#2026-11-29' }, sk: { S: `BATCH#b-${i}` } },
    SequenceNumber: `11100000000000${i}`,
    SizeBytes: 52,
    StreamViewType: 'KEYS_ONLY',
  },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/ErpGovernance-StateTable/stream/2026-11-29T00:00:00.000',
});
const scheduled = { version: '0', id: 'sched-1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-11-29T10:00:00Z', region: 'us-east-1', resources: ['arn:aws:events:us-east-1:123456789012:rule/ErpGovernance-audit-seal-pending'], detail: {} };

describe('the shape of an invocation', () => {
  it('an SQS batch is an SQS batch and no stream batch', () => {
    const batch = { Records: [sqsRecord(1), sqsRecord(2)] };
    expect(isSqsBatch(batch)).toBe(true);
    expect(isDynamoStreamBatch(batch)).toBe(false);
  });

  it('a DynamoDB stream batch is a stream batch and no SQS batch', () => {
    const batch = { Records: [streamRecord(1), streamRecord(2)] };
    expect(isDynamoStreamBatch(batch)).toBe(true);
    expect(isSqsBatch(batch)).toBe(false);
  });

  it('one EventBridge event (a schedule) is neither', () => {
    expect(isSqsBatch(scheduled)).toBe(false);
    expect(isDynamoStreamBatch(scheduled)).toBe(false);
  });

  it('a malformed record is never taken for a stream batch; it stays one message of its SQS batch, handled alone', () => {
    const { body: _body, ...sqsWithoutBody } = sqsRecord(1);
    const { dynamodb: _change, ...streamWithoutChange } = streamRecord(1);
    for (const records of [
      [],
      [null],
      ['aws:sqs'],
      [{}],
      [{ eventSource: 'aws:kinesis', kinesis: {} }],
      [sqsWithoutBody],
      [{ ...sqsRecord(1), messageId: 7 }],
      [streamWithoutChange],
      [{ ...streamRecord(1), dynamodb: null }],
      [{ ...streamRecord(1), eventSource: 'aws:dynamodb:stream' }],
      // One record not from the stream: not a stream batch.
      [streamRecord(1), sqsRecord(2)],
    ]) {
      expect(isDynamoStreamBatch({ Records: records }), JSON.stringify(records)).toBe(false);
      expect(isSqsBatch({ Records: records }), JSON.stringify(records)).toBe(true);
    }
    for (const notAnEvent of [undefined, null, 'Records', 42, { Records: 'aws:sqs' }, { Records: { 0: sqsRecord(1) } }]) {
      expect(isSqsBatch(notAnEvent)).toBe(false);
      expect(isDynamoStreamBatch(notAnEvent)).toBe(false);
    }
  });
});

describe('what a failure log names of an invocation', () => {
  it('one event: its id, source and detail-type; a batch: how many records from where; never a body or a detail', () => {
    expect(invocationOf(scheduled)).toEqual({ eventId: 'sched-1', source: 'aws.events', detailType: 'Scheduled Event' });
    expect(invocationOf({ Records: [sqsRecord(1), sqsRecord(2)] })).toEqual({ records: 2, eventSource: 'aws:sqs' });
    expect(invocationOf({ Records: [streamRecord(1)] })).toEqual({ records: 1, eventSource: 'aws:dynamodb' });
    expect(invocationOf({ Records: [] })).toEqual({ records: 0, eventSource: 'undefined' });
  });
});
