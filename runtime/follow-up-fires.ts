/**
 * Schedules a function declares `alsoAfterEachDelivery` (the trail's seal pass): locally the
 * runtime fires them as soon as a delivery to the function ends (a batch, a retried event, a
 * direct one; not a schedule's own fire), so a one-machine install does not wait for the next
 * timer tick for work that follows every delivery. On AWS the schedule's expression alone
 * fires them.
 *
 * Coalesced, one run at a time: while a fire waits to start, a delivery that ends adds no
 * other (the waiting fire starts after that delivery ended, so it sees what the delivery did);
 * while one runs, a delivery that ends gets one fire after it. Under load one run serves many
 * deliveries — for the seal pass, one pass seals everything accepted meanwhile.
 */
import { scheduleOfRule } from '../infra/function-routes.ts';
import type { RoutedFunction } from '../infra/routes.ts';
import type { Target } from './event-bus.ts';
import type { BusEvent } from './put-events.ts';

/** Sends a schedule's fire to its function (through the bus). */
export type FireSchedule = (functionName: string, scheduleId: string) => void;

const isScheduleFire = (event: BusEvent) => event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';

/**
 * The targets, those of functions with such schedules wrapped; and `fireAll`, which fires every
 * such schedule once now (at start: what a stop left behind is not kept waiting for a delivery).
 */
export function withFollowUpFires(routes: readonly RoutedFunction[], targets: ReadonlyMap<string, Target>, fire: FireSchedule): { targets: Map<string, Target>; fireAll(): void } {
  const wrapped = new Map(targets);
  const firers: (() => void)[] = [];
  for (const fn of routes) {
    const ids = fn.schedules.filter((s) => s.alsoAfterEachDelivery).map((s) => s.id);
    const inner = targets.get(fn.name);
    if (ids.length === 0 || !inner) continue;
    /** The schedules with a fire sent and not started yet, with one running, and to fire again once it ends. */
    const waiting = new Set<string>();
    const running = new Set<string>();
    const again = new Set<string>();
    const fireOne = (id: string) => {
      // Marked before the fire is sent: the bus may start its delivery before `fire` returns.
      waiting.add(id);
      try {
        fire(fn.name, id);
      } catch {
        // The bus is stopping: what the delivery left is taken by the next start's fire or the sweep.
        waiting.delete(id);
      }
    };
    const fireAll = () => {
      for (const id of ids) {
        if (waiting.has(id)) continue;
        // One run at a time: a delivery that ends while one runs is served by a fire after it.
        if (running.has(id)) again.add(id);
        else fireOne(id);
      }
    };
    firers.push(fireAll);
    const invokeBatch = inner.invokeBatch?.bind(inner);
    wrapped.set(fn.name, {
      ...inner,
      invoke: async (event) => {
        if (isScheduleFire(event)) {
          const started = scheduleOfRule(event.resources[0] ?? '', ids);
          if (started === undefined) return inner.invoke(event);
          waiting.delete(started);
          running.add(started);
          try {
            return await inner.invoke(event);
          } finally {
            running.delete(started);
            if (again.delete(started)) fireOne(started);
          }
        }
        try {
          return await inner.invoke(event);
        } finally {
          fireAll();
        }
      },
      ...(invokeBatch
        ? {
            invokeBatch: async (events: readonly BusEvent[]) => {
              try {
                return await invokeBatch(events);
              } finally {
                fireAll();
              }
            },
          }
        : {}),
    });
  }
  return { targets: wrapped, fireAll: () => firers.forEach((f) => f()) };
}
