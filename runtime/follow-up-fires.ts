/**
 * Schedules a function declares `alsoAfterEachDelivery` (the trail's seal pass): locally the
 * runtime fires them soon after a delivery to the function ends (a batch, a retried event, a
 * direct one; not a schedule's own fire), so a one-machine install does not wait for the next
 * timer tick for work that follows every delivery. On AWS the schedule's expression fires
 * them, and a stream trigger may start the same work after writes (`stateStreamTrigger`).
 *
 * Background work, second to the events' own handlers: a fire waits while other deliveries are
 * running (every function's, not only this one's), and goes once the last of them ends — or
 * after `maxDeferMs`, so that a bus that is never idle still gets its follow-up work done. A
 * pass started beside a handler would share the embedded DynamoDB's one thread with it and
 * delay the handler's answer; after it, it delays nothing.
 *
 * Coalesced, one run at a time: while a fire waits to start, a delivery that ends adds no
 * other (the waiting fire starts after that delivery ended, so it sees what the delivery did);
 * while one runs, a delivery that ends gets one fire after it. Under load one run serves many
 * deliveries — for the seal pass, one pass seals everything accepted meanwhile.
 */
import { isScheduledEvent, scheduleOfRule } from '../infra/function-routes.ts';
import type { RoutedFunction } from '../infra/routes.ts';
import type { Target } from './event-bus.ts';
import type { BusEvent } from './put-events.ts';

/** Sends a schedule's fire to its function (through the bus). */
export type FireSchedule = (functionName: string, scheduleId: string) => void;

/** How long a follow-up fire waits at most for the other deliveries running to end. */
export const FOLLOW_UP_MAX_DEFER_MS = 250;

/**
 * The targets, every one wrapped to count the deliveries running and those of functions with
 * such schedules to request their fires; and `fireAll`, which fires every such schedule once now
 * (at start: what a stop left behind is not kept waiting for a delivery).
 */
export function withFollowUpFires(
  routes: readonly RoutedFunction[],
  targets: ReadonlyMap<string, Target>,
  fire: FireSchedule,
  options: { maxDeferMs?: number } = {},
): { targets: Map<string, Target>; fireAll(): void } {
  const maxDeferMs = options.maxDeferMs ?? FOLLOW_UP_MAX_DEFER_MS;
  const wrapped = new Map<string, Target>();
  const firers: (() => void)[] = [];
  /** Deliveries running now, follow-up fires aside (those are what waits). */
  let running = 0;
  /** Functions whose fires were requested by a delivery that ended while others ran. */
  const requested = new Set<() => void>();
  let deferTimer: NodeJS.Timeout | undefined;
  const fireRequested = () => {
    clearTimeout(deferTimer);
    deferTimer = undefined;
    const firing = [...requested];
    requested.clear();
    for (const fireAll of firing) fireAll();
  };
  /** A delivery ended (`running` already counts it out); `fireAll`: its function's, when it has follow-ups. */
  const ended = (fireAll: (() => void) | undefined) => {
    if (fireAll) requested.add(fireAll);
    if (requested.size === 0) return;
    // Synchronously while the bus still counts the ending delivery, so the bus is never idle
    // with a fire requested and not sent (`whenIdle` then covers the follow-up work).
    if (running === 0) fireRequested();
    else deferTimer ??= setTimeout(fireRequested, maxDeferMs).unref();
  };
  const counted = <A extends unknown[], R>(call: (...args: A) => Promise<R>, fireAll: (() => void) | undefined) =>
    async (...args: A): Promise<R> => {
      running++;
      try {
        return await call(...args);
      } finally {
        running--;
        ended(fireAll);
      }
    };

  for (const [name, inner] of targets) {
    const fn = routes.find((r) => r.name === name);
    const ids = fn?.schedules.filter((s) => s.alsoAfterEachDelivery).map((s) => s.id) ?? [];
    const invokeBatch = inner.invokeBatch?.bind(inner);
    /** The target's single delivery, counted; ending, it requests `fireAll` if given. */
    const invokeCounted = (fireAll: (() => void) | undefined) => counted((e: BusEvent) => inner.invoke(e), fireAll);
    if (ids.length === 0) {
      wrapped.set(name, { ...inner, invoke: invokeCounted(undefined), ...(invokeBatch ? { invokeBatch: counted(invokeBatch, undefined) } : {}) });
      continue;
    }
    /** The schedules with a fire sent and not started yet, with one running, and to fire again once it ends. */
    const waiting = new Set<string>();
    const runningFires = new Set<string>();
    const again = new Set<string>();
    const fireOne = (id: string) => {
      // Marked before the fire is sent: the bus may start its delivery before `fire` returns.
      waiting.add(id);
      try {
        fire(name, id);
      } catch {
        // The bus is stopping: what the delivery left is taken by the next start's fire or the sweep.
        waiting.delete(id);
      }
    };
    const fireAll = () => {
      for (const id of ids) {
        if (waiting.has(id)) continue;
        // One run at a time: a delivery that ends while one runs is served by a fire after it.
        if (runningFires.has(id)) again.add(id);
        else fireOne(id);
      }
    };
    firers.push(fireAll);
    const invokeDelivery = invokeCounted(fireAll);
    // A schedule's own fire requests none (the follow-up work follows deliveries of events).
    const invokeOtherFire = invokeCounted(undefined);
    wrapped.set(name, {
      ...inner,
      invoke: async (event) => {
        if (!isScheduledEvent(event)) return invokeDelivery(event);
        const started = scheduleOfRule(event.resources[0] ?? '', ids);
        if (started === undefined) return invokeOtherFire(event);
        waiting.delete(started);
        runningFires.add(started);
        try {
          return await inner.invoke(event);
        } finally {
          runningFires.delete(started);
          if (again.delete(started)) fireOne(started);
        }
      },
      ...(invokeBatch ? { invokeBatch: counted(invokeBatch, fireAll) } : {}),
    });
  }
  return { targets: wrapped, fireAll: () => firers.forEach((f) => f()) };
}
