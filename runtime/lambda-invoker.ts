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

  return {
    name: fn.name,
    async invoke(event: BusEvent): Promise<unknown> {
      const handler = await load();
      const deadline = Date.now() + fn.timeoutSeconds * 1000;
      const context = lambdaContext(fn, region, account, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HandlerTimeoutError(`${fn.name} timed out after ${fn.timeoutSeconds} s`)), fn.timeoutSeconds * 1000);
      });
      try {
        // A fresh copy per invocation: a handler that mutates its event cannot affect other targets.
        return await Promise.race([handler(structuredClone(event), context), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
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
