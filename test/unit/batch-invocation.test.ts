/**
 * A batched function's handler (`governanceHandler` with `batch` in the routing table): the
 * records of one SQS batch are handled in order and share one invocation scope; a record
 * that breaks its contract or whose flow fails is reported alone (partial batch failure) and
 * the others are done; a single event (a schedule) has a scope of its own. No I/O.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { governanceHandler, type GovernanceTools } from '../../functions/shared/event-handler.ts';
import { fixedClock } from '../../functions/shared/clock.ts';
import { isBatched } from '../../infra/function-routes.ts';
import { detailExamples } from '../../schemas/examples.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

const NOW = '2026-03-02T02:00:00.000Z';
const context = { functionName: 'access-governance', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:access-governance', memoryLimitInMB: '1024', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const operation = (id: string, detail: Record<string, unknown> = {}) => ({
  version: '0', id, 'detail-type': 'Operation Audited', source: 'erp.sap', account: '123456789012', time: NOW, region: 'us-east-1', resources: [], detail: { ...detailExamples['Operation Audited'], ...detail },
});
const batch = (...events: object[]) => ({ Records: events.map((event, i) => ({ messageId: `m-${i}`, receiptHandle: `r-${i}`, body: JSON.stringify(event), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q', awsRegion: 'us-east-1' })) });
const sweepEvent = { version: '0', id: 'sched-1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: NOW, region: 'us-east-1', resources: ['arn:aws:events:us-east-1:123456789012:rule/stack-access-sweep'], detail: {} };

/** A handler whose fact flow notes each event with the batch's shared value, and fails on an actor named "boom". */
function recordingHandler() {
  const seen: { eventId: string; shared: object }[] = [];
  const sharedOf = (tools: GovernanceTools) => tools.invocation.once(batchValue);
  const batchValue = () => ({});
  const handler = governanceHandler('access-governance', fixedClock(NOW))({
    async onFact(fact, tools) {
      seen.push({ eventId: fact.eventId, shared: sharedOf(tools) });
      if (fact.detailType === 'Operation Audited' && fact.detail.actor === 'boom') throw new Error('the store is down');
      return { eventId: fact.eventId };
    },
    onSchedule: {
      'access-sweep': async (_firedAt, tools) => ({ shared: sharedOf(tools) }),
      'access-permission-audit': async () => ({}),
    },
  }) as (event: unknown, context: Context) => Promise<unknown>;
  return { handler, seen };
}

let restore: () => void;
beforeAll(() => {
  restore = quietFunctions();
  // As the local runtime runs them: no metrics flushed to stdout.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
});
afterAll(() => {
  restore();
});

describe('a batched governance function', () => {
  it('access-governance and audit-analysis take batches', () => {
    expect(isBatched('access-governance')).toBe(true);
    expect(isBatched('audit-analysis')).toBe(true);
  });

  it('reports only the records that failed — a broken contract, a failing flow — and handles the others, in order', async () => {
    const { handler, seen } = recordingHandler();
    const response = await handler(batch(operation('e-1'), operation('e-2', { actor: undefined }), operation('e-3', { actor: 'boom' }), operation('e-4')), context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }] });
    // e-2 never reached the flow (its detail breaks the contract); e-3 did and failed; e-4 still ran after it.
    expect(seen.map((s) => s.eventId)).toEqual(['e-1', 'e-3', 'e-4']);
  });

  it('shares one invocation scope across a batch\'s records, a new one per batch, and its own for a single event', async () => {
    const { handler, seen } = recordingHandler();
    await handler(batch(operation('a-1'), operation('a-2')), context);
    await handler(batch(operation('b-1')), context);
    const single = (await handler(sweepEvent, context)) as { shared: object };
    const [a1, a2, b1] = seen.map((s) => s.shared);
    expect(a1).toBe(a2);
    expect(b1).not.toBe(a1);
    expect(single.shared).not.toBe(a1);
    expect(single.shared).not.toBe(b1);
  });

  it('keeps concurrent batches apart (the local runtime runs them in one process)', async () => {
    const { handler, seen } = recordingHandler();
    await Promise.all([handler(batch(operation('x-1'), operation('x-2')), context), handler(batch(operation('y-1'), operation('y-2')), context)]);
    const sharedOf = (id: string) => seen.find((s) => s.eventId === id)?.shared;
    expect(sharedOf('x-1')).toBe(sharedOf('x-2'));
    expect(sharedOf('y-1')).toBe(sharedOf('y-2'));
    expect(sharedOf('x-1')).not.toBe(sharedOf('y-1'));
  });
});
