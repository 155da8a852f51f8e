/**
 * The shape every EventBridge-triggered function shares: a Powertools logger with the
 * Lambda context injected and Powertools metrics flushed per invocation (via middy), one
 * structured log line per failure, and the function's own logic as a plain async function.
 * Secrets never go to the log: only the event's id, source and detail-type are logged,
 * never its detail.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { eventEnvelope, type EventEnvelope } from '../../schemas/envelope.ts';
import { validateDetail } from '../../schemas/registry.ts';
import { InvalidEventError } from './errors.ts';

export interface HandlerTools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly context: Context;
}

export interface IncomingEvent {
  readonly id?: unknown;
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly time?: unknown;
  readonly resources?: unknown;
  readonly detail?: unknown;
}

export function eventBridgeHandler<E extends IncomingEvent, R>(serviceName: string, handle: (event: E, tools: HandlerTools) => Promise<R>) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ErpGovernance' });
  const handler = middy(async (event: E, context: Context) => {
    try {
      const result = await handle(event, { logger, metrics, context });
      metrics.addMetric('EventsHandled', MetricUnit.Count, 1);
      return result;
    } catch (err) {
      metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
      logger.error('event handling failed', {
        eventId: String(event?.id),
        source: String(event?.source),
        detailType: String(event?.['detail-type']),
        error: err as Error,
      });
      throw err;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
  // The local runtime disables metrics and runs invocations concurrently in one process,
  // where a shared Metrics store would be flushed by whichever invocation ends first.
  return process.env.POWERTOOLS_METRICS_DISABLED === 'true' ? handler : handler.use(logMetrics(metrics));
}

/** The event as an EventBridge envelope; anything else is an invalid event (not retried). */
export function parseEnvelope(event: IncomingEvent): EventEnvelope {
  const parsed = eventEnvelope.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`not an EventBridge event: ${parsed.error.issues.map((i) => i.path.join('.') || '(event)').join(', ')} malformed`);
  }
  return parsed.data;
}

/** The detail of an ERP event routed to `functionName`, checked against its contract; an unexpected or broken one is an invalid event. */
export function routedDetail(envelope: EventEnvelope, functionName: string, routed: readonly string[]): Record<string, unknown> {
  const detailType = envelope['detail-type'];
  if (!routed.includes(detailType)) {
    throw new InvalidEventError(`detail-type "${detailType}" is not routed to ${functionName}; expected one of ${routed.join(', ')}`);
  }
  const check = validateDetail(detailType, envelope.detail);
  if (!check.ok) {
    // Paths only: the values may be personal data, and this message is logged.
    throw new InvalidEventError(`${detailType} event ${envelope.id} breaks its contract at ${check.issues.map((i) => i.path).join(', ')}`);
  }
  return check.detail as Record<string, unknown>;
}
