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
import { InvalidEventError } from '../../schemas/errors.ts';
import { validateDetail, type DetailOf, type DetailTypeName } from '../../schemas/registry.ts';
import { functionPolicy, type Policy } from '../../schemas/policy-loader.ts';
import { isBatched, isScheduledEvent, routedDetailTypes, scheduleIds, scheduleOfRule, takesAwsEvents, type FunctionName, type RoutedDetailTypeOf, type ScheduleIdOf, type TakesAwsEvents } from '../../infra/function-routes.ts';
import { eachRecord, isSqsBatch, type IncomingEvent } from './batch-handler.ts';
import { processClock, type Clock } from './clock.ts';
import { withResolutionsHeld } from './findings/lifecycle.ts';
import { checkFindingOrigin } from './findings/origin.ts';
import { DAY_MS, MINUTE_MS } from './time.ts';

export interface HandlerTools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly context: Context;
}

export type { IncomingEvent } from './batch-handler.ts';

export function eventBridgeHandler<E extends IncomingEvent, R>(serviceName: string, handle: (event: E, tools: HandlerTools) => Promise<R>) {
  const counted = countedPerEvent(handle);
  return powertoolsInvocation(serviceName, (event, tools) => counted(event as E, tools));
}

/** Counts each event handled or failed, and logs a failure with the event's id, source and detail-type (never its detail). */
function countedPerEvent<E extends IncomingEvent, T extends HandlerTools, R>(handle: (event: E, tools: T) => Promise<R>) {
  return async (event: E, tools: T): Promise<R> => {
    try {
      const result = await handle(event, tools);
      tools.metrics.addMetric('EventsHandled', MetricUnit.Count, 1);
      return result;
    } catch (err) {
      tools.metrics.addMetric('EventsFailed', MetricUnit.Count, 1);
      tools.logger.error('event handling failed', { ...invocationOf(event), error: err as Error });
      throw err;
    }
  };
}

/** What a failure log names of the invocation: the event's id, source and detail-type, or for a batch (SQS, a stream) how many records from where — never a detail or a body. */
export function invocationOf(invocation: unknown): Record<string, string | number> {
  const records: unknown = (invocation as { Records?: unknown } | undefined)?.Records;
  if (Array.isArray(records)) return { records: records.length, eventSource: String((records[0] as { eventSource?: unknown } | undefined)?.eventSource) };
  const event = invocation as IncomingEvent | undefined;
  return { eventId: String(event?.id), source: String(event?.source), detailType: String(event?.['detail-type']) };
}

/**
 * The Lambda handler around `invoke`: the logger gets the Lambda context and the metrics are
 * flushed once per invocation (an SQS batch of a hundred events is one invocation, one flush).
 */
function powertoolsInvocation<R>(serviceName: string, invoke: (event: unknown, tools: HandlerTools) => Promise<R>) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ErpGovernance' });
  const handler = middy(async (event: unknown, context: Context) => invoke(event, { logger, metrics, context })).use(injectLambdaContext(logger, { resetKeys: true }));
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

/**
 * A fact whose own time cannot be believed: it lies more than the policy's
 * `ingress.clockSkewToleranceMinutes` ahead of its arrival (`future`: a wrong clock, or a
 * forgery dated years ahead), or more than `ingress.lateArrivalWindowDays` before it (`late`).
 *
 * The contract every flow honours for a fact that carries `clockSkew`:
 *   - it is governed at its arrival time: `fact.time` IS the arrival time (the claimed time is
 *     `fact.claimedTime`, and the audit trail keeps the event with its claimed time);
 *   - it never resolves a finding, and never moves a clock, a deadline or a "latest event
 *     wins" marker: record it, raise what it calls for, and leave every resolution and every
 *     advance of time to a fact whose time can be believed (or to the next sweep). The first
 *     half is enforced here for every flow: `governanceHandler` runs the flow with the
 *     lifecycle's resolutions held (`withResolutionsHeld`); the second is each flow's own;
 *   - the flag goes with it wherever the flow keeps it (as evidence), so an admin sees why.
 */
export interface ClockSkew {
  readonly kind: 'future' | 'late';
  /** The event's time as sent. */
  readonly claimedTime: string;
  /** When it arrived: the time it is governed at. */
  readonly receivedAt: string;
  /** What the policy allows, in words, e.g. "at most 5 minutes ahead of arrival". */
  readonly allowed: string;
}

/** The policy figures the skew guard applies (`ingress` of the governance policy). */
export type SkewTolerance = Pick<Policy['ingress'], 'clockSkewToleranceMinutes' | 'lateArrivalWindowDays'>;

/** An ERP fact routed to function `N`: its detail-type and the detail typed by that type's schema. */
export type RoutedFact<N extends FunctionName> = {
  [K in RoutedDetailTypeOf<N>]: {
    readonly eventId: string;
    readonly source: string;
    /**
     * The time the fact is governed at: the event's own time (as the ERP says it happened), or
     * its arrival time when that cannot be believed (then `clockSkew` says why).
     */
    readonly time: string;
    /** The event's own time, as sent. */
    readonly claimedTime: string;
    /** Present only when `claimedTime` lies beyond the policy's tolerance; see `ClockSkew` for what a flow must then do. */
    readonly clockSkew?: ClockSkew;
    readonly detailType: K;
    readonly detail: DetailOf<K & DetailTypeName>;
  };
}[RoutedDetailTypeOf<N>];

/** Whether an event's claimed time lies beyond the tolerance around `receivedAt`; undefined when it can be believed. Pure. */
export function clockSkewOf(claimedTime: string, receivedAt: Date, tolerance: SkewTolerance): ClockSkew | undefined {
  const claimed = Date.parse(claimedTime);
  const arrival = receivedAt.getTime();
  const base = { claimedTime, receivedAt: receivedAt.toISOString() };
  if (claimed - arrival > tolerance.clockSkewToleranceMinutes * MINUTE_MS) {
    return { kind: 'future', ...base, allowed: `at most ${tolerance.clockSkewToleranceMinutes} minute(s) ahead of arrival (ingress.clockSkewToleranceMinutes)` };
  }
  if (arrival - claimed > tolerance.lateArrivalWindowDays * DAY_MS) {
    return { kind: 'late', ...base, allowed: `at most ${tolerance.lateArrivalWindowDays} day(s) before arrival (ingress.lateArrivalWindowDays)` };
  }
  return undefined;
}

/**
 * The detail of an event routed to `functionName`, checked against its contract, its origin
 * (a finding event only from the function the finding belongs to) and its time (see
 * `ClockSkew`); an unexpected, broken or forged one is an invalid event (not retried, kept
 * as a dead letter for inspection).
 */
export function routedFact<N extends FunctionName>(envelope: EventEnvelope, functionName: N, receivedAt: Date = processClock.now(), tolerance: SkewTolerance = functionPolicy().ingress): RoutedFact<N> {
  const detailType = envelope['detail-type'];
  const routed: readonly string[] = routedDetailTypes(functionName);
  if (!routed.includes(detailType)) {
    throw new InvalidEventError(`detail-type "${detailType}" is not routed to ${functionName}; expected one of ${routed.join(', ')}`);
  }
  const check = validateDetail(detailType, envelope.detail);
  if (!check.ok) {
    // Paths only: the values may be personal data, and this message is logged.
    throw new InvalidEventError(`${detailType} event ${envelope.id} breaks its contract at ${check.issues.map((i) => i.path).join(', ')}`);
  }
  const origin = checkFindingOrigin(detailType, envelope.source, check.detail as { findingId?: unknown; detectedBy?: unknown });
  if (!origin.ok) throw new InvalidEventError(`event ${envelope.id} refused: ${origin.reason}`);
  const clockSkew = clockSkewOf(envelope.time, receivedAt, tolerance);
  return {
    eventId: envelope.id,
    source: envelope.source,
    time: clockSkew ? clockSkew.receivedAt : envelope.time,
    claimedTime: envelope.time,
    ...(clockSkew ? { clockSkew } : {}),
    detailType,
    detail: check.detail,
  } as RoutedFact<N>;
}

/** Which of `functionName`'s schedules fired, from the scheduled event's rule ARN. */
export function firedSchedule<N extends FunctionName>(envelope: EventEnvelope, functionName: N): ScheduleIdOf<N> {
  const rule = envelope.resources[0] ?? '';
  const ids: readonly string[] = scheduleIds(functionName);
  const fired = scheduleOfRule(rule, ids) as ScheduleIdOf<N> | undefined;
  if (fired === undefined) {
    throw new InvalidEventError(`scheduled event from rule "${rule}" names none of ${functionName}'s schedules (${ids.join(', ')}); the rule's name must end with its schedule id`);
  }
  return fired;
}

export interface GovernanceTools extends HandlerTools {
  /** "Now" for this invocation: the process's clock (the system clock, or the runtime's virtual one). */
  readonly now: Date;
  /** What the events of this invocation share: one SQS batch's records, handled in order, see the same scope. */
  readonly invocation: InvocationScope;
}

/**
 * Values kept for one invocation: the records of one SQS batch share them, a single event (or a
 * schedule) has its own. For batch-scoped caches, which must not outlive their batch: the next
 * batch may come after another container wrote what they remember.
 */
export interface InvocationScope {
  /** The value `create` made on its first call in this invocation (keyed by `create` itself). */
  once<T>(create: () => T): T;
}

function invocationScope(): InvocationScope {
  const values = new Map<() => unknown, unknown>();
  return {
    once<T>(create: () => T): T {
      if (!values.has(create)) values.set(create, create());
      return values.get(create) as T;
    },
  };
}

/**
 * An event from an AWS service (any `aws.*` source but the scheduler's), as AWS put it on the
 * default bus: not part of the ERP contract (no schemaVersion, AWS's own quirks), so the area
 * reads it with its own tolerant schema instead of the strict envelope.
 */
export const isAwsServiceEvent = (event: IncomingEvent): boolean => typeof event.source === 'string' && event.source.startsWith('aws.') && event.source !== 'aws.events';

type FactFlow<N extends FunctionName> = (fact: RoutedFact<N>, tools: GovernanceTools) => Promise<unknown>;

/** `onFact` of a function that runs on its schedules only: no rule routes events to it, so one that arrives is refused (the default when `onFact` is left out). */
export const refuseFacts = (functionName: FunctionName) => async (): Promise<never> => {
  throw new InvalidEventError(`${functionName} runs on its schedules only; no rule routes events to it`);
};
type AwsEventFlow = (event: IncomingEvent, tools: GovernanceTools) => Promise<unknown>;

/**
 * A governance function's flows: one for routed ERP facts (a function no rule routes facts to
 * may leave it out: a fact that reaches it is refused), one for AWS services' events (exactly when its routing table has rules on the
 * default bus), and one per schedule of the function. What a flow returns is what the
 * invocation returns (the local runtime shows it for `erpgov schedule run`).
 */
export type GovernanceFlows<N extends FunctionName> = {
  readonly onSchedule: { readonly [S in ScheduleIdOf<N>]: (firedAt: Date, tools: GovernanceTools) => Promise<unknown> };
} & ([RoutedDetailTypeOf<N>] extends [never] ? { readonly onFact?: FactFlow<N> } : { readonly onFact: FactFlow<N> })
  & (TakesAwsEvents<N> extends true ? { readonly onAwsEvent: AwsEventFlow } : { readonly onAwsEvent?: never });

/**
 * A governance function's whole handler: AWS services' events (for a function with rules on
 * the default bus) go to `onAwsEvent` as AWS sent them; otherwise parse the envelope, then
 * either run the flow of the schedule that fired (with the fire time) or hand the routed fact,
 * typed by its schema, to `onFact`. `onSchedule` must name every schedule of the function: the
 * compiler checks it against the routing table. A batched function (`batch` in the routing
 * table) also takes SQS batches, each record handled in order as one event, the batch's records
 * sharing `tools.invocation`. Curried so that
 * the function's name fixes the types before the flows are read:
 * `governanceHandler('notifier')({ onFact, onSchedule })`.
 */
export function governanceHandler<N extends FunctionName>(functionName: N, clock: Clock = processClock) {
  return (flows: GovernanceFlows<N>) => {
    const onFact = flows.onFact as FactFlow<N> | undefined;
    const onAwsEvent = takesAwsEvents(functionName) ? (flows.onAwsEvent as AwsEventFlow | undefined) : undefined;
    // The invocation's scope is handed down, not kept in an AsyncLocalStorage: the local runtime
    // runs invocations concurrently in one process, and a storage would put a hook on every promise.
    const one = countedPerEvent(async (event: IncomingEvent, handlerTools: HandlerTools & { readonly invocation: InvocationScope }) => {
      const tools: GovernanceTools = { ...handlerTools, now: clock.now() };
      if (onAwsEvent && isAwsServiceEvent(event)) return readingAwsEvent(event, () => onAwsEvent(event, tools));
      const envelope = parseEnvelope(event);
      if (isScheduledEvent(envelope)) {
        const flow: (firedAt: Date, tools: GovernanceTools) => Promise<unknown> = flows.onSchedule[firedSchedule(envelope, functionName)];
        return flow(new Date(envelope.time), tools);
      }
      if (!onFact) return refuseFacts(functionName)();
      const fact = routedFact(envelope, functionName, tools.now);
      if (!fact.clockSkew) return onFact(fact, tools);
      handlerTools.logger.warn('event time beyond tolerance: governed at arrival, flagged, resolving nothing', { eventId: fact.eventId, source: fact.source, detailType: fact.detailType, ...fact.clockSkew });
      // Whatever the flow decides, the lifecycle resolves no finding on this fact's word.
      return withResolutionsHeld(`event ${fact.eventId} claims ${fact.clockSkew.claimedTime}, ${fact.clockSkew.allowed}`, () => onFact(fact, tools));
    });
    const batched = isBatched(functionName);
    /** Batches from the queue (in order, sharing one `InvocationScope`; a failed record comes back alone), or one event (schedules). */
    return powertoolsInvocation(functionName, (event, handlerTools) => {
      const tools = { ...handlerTools, invocation: invocationScope() };
      return batched && isSqsBatch(event) ? eachRecord(event, (e) => one(e, tools)) : one(event as IncomingEvent, tools);
    });
  };
}

/** Runs an area's reading of an AWS event: one its tolerant schema cannot read (a zod error) is an invalid event, not retried. */
async function readingAwsEvent(event: IncomingEvent, read: () => Promise<unknown>): Promise<unknown> {
  try {
    return await read();
  } catch (err) {
    if ((err as Error).name === 'ZodError') throw new InvalidEventError(`AWS event ${String(event.id)} from ${String(event.source)} is unreadable`, { cause: err });
    throw err;
  }
}
