/**
 * Runs a function's handler in-process the way Lambda would: the same module and export the
 * CDK stack bundles, a Lambda-shaped context, and the function's timeout enforced.
 */
import { TransientError } from '../schemas/errors.ts';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { RoutedFunction } from '../infra/routes.ts';
import type { Target } from './event-bus.ts';
import type { BusEvent } from './put-events.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The handler ran past its timeout: the delivery is retried, as Lambda retries a timed-out invocation. */
export class HandlerTimeoutError extends TransientError {}

export function lambdaTarget(fn: RoutedFunction, repoRoot: string, region: string, account: string): Target {
  let loaded: Promise<Handler> | undefined;
  const load = () =>
    (loaded ??= import(pathToFileURL(resolve(repoRoot, fn.entry)).href).then((mod: { handler?: unknown }) => {
      if (typeof mod.handler !== 'function') throw new Error(`${fn.entry} does not export a function named "handler"`);
      return mod.handler as Handler;
    }));

  async function run(payload: unknown): Promise<unknown> {
    const handler = await load();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = lambdaContext(fn, region, account, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HandlerTimeoutError(`${fn.name} timed out after ${fn.timeoutSeconds} s`)), fn.timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([handler(payload, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: fn.name,
    // A fresh copy per invocation: a handler that mutates its event cannot affect other targets.
    invoke: (event: BusEvent) => run(structuredClone(event)),
    ...(fn.batch
      ? {
          batch: { size: fn.batch.size, maxWaitMs: fn.batch.maxWaitSeconds * 1000 },
          /** The batch as the SQS event source mapping hands it over: one record per event, the event as the body. */
          async invokeBatch(events: readonly BusEvent[]): Promise<readonly string[]> {
            const response = (await run({ Records: events.map((event) => sqsRecord(fn, region, account, event)) })) as { batchItemFailures?: { itemIdentifier?: unknown }[] } | undefined;
            return (response?.batchItemFailures ?? []).map((f) => String(f.itemIdentifier));
          },
        }
      : {}),
  };
}

function lambdaContext(fn: RoutedFunction, region: string, account: string, deadline: number): Context {
  const fail = () => {
    throw new Error('callback-style completion is not supported; handlers return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/**
 * Each event's SQS message body, serialised once for all the batched targets it goes to (the
 * bus hands every target the same event object; the body is a string, so nobody can change it).
 */
const bodies = new WeakMap<BusEvent, string>();
const bodyOf = (event: BusEvent): string => {
  let body = bodies.get(event);
  if (body === undefined) bodies.set(event, (body = JSON.stringify(event)));
  return body;
};

/** An SQS record carrying an EventBridge event, as Lambda's SQS event source delivers it (message id = event id locally). */
function sqsRecord(fn: RoutedFunction, region: string, account: string, event: BusEvent) {
  const sentAt = String(Date.now());
  return {
    messageId: event.id,
    receiptHandle: event.id,
    body: bodyOf(event),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: sentAt, SenderId: 'events.amazonaws.com', ApproximateFirstReceiveTimestamp: sentAt },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${account}:${fn.name}-batches`,
    awsRegion: region,
  };
}
