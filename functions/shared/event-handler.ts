/**
 * The shape every EventBridge-triggered function shares: a Powertools logger with the
 * Lambda context injected (via middy), one structured log line per failure, and the
 * function's own logic as a plain async function. Secrets never go to the log: only the
 * event's id, source and detail-type are logged, never its detail.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';

export interface HandlerTools {
  readonly logger: Logger;
  readonly context: Context;
}

export interface IncomingEvent {
  readonly id?: unknown;
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly time?: unknown;
}

export function eventBridgeHandler<E extends IncomingEvent, R>(serviceName: string, handle: (event: E, tools: HandlerTools) => Promise<R>) {
  const logger = new Logger({ serviceName });
  return middy(async (event: E, context: Context) => {
    try {
      return await handle(event, { logger, context });
    } catch (err) {
      logger.error('event handling failed', {
        eventId: String(event?.id),
        source: String(event?.source),
        detailType: String(event?.['detail-type']),
        error: err as Error,
      });
      throw err;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
