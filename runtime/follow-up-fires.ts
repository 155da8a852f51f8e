/**
 * Schedules a function declares `alsoAfterEachDelivery` (the trail's seal pass): locally the
 * runtime fires them as soon as a delivery to the function ends (a batch, a retried event, a
 * direct one; not a schedule's own fire), so a one-machine install does not wait for the next
 * timer tick for work that follows every delivery. On AWS the schedule's expression alone
 * fires them.
 *
 * Coalesced: while one such fire waits to start, a delivery that ends adds no other. The
 * waiting fire starts after that delivery ended, so it sees what the delivery did; under load
 * one fire serves many deliveries.
 */
import type { RoutedFunction } from '../infra/routes.ts';
import type { Target } from './event-bus.ts';
import type { BusEvent } from './put-events.ts';

/** Sends a schedule's fire to its function (through the bus). */
export type FireSchedule = (functionName: string, scheduleId: string) => void;

const isScheduleFire = (event: BusEvent) => event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';

export function withFollowUpFires(routes: readonly RoutedFunction[], targets: ReadonlyMap<string, Target>, fire: FireSchedule): Map<string, Target> {
  const wrapped = new Map(targets);
  for (const fn of routes) {
    const ids = fn.schedules.filter((s) => s.alsoAfterEachDelivery).map((s) => s.id);
    const inner = targets.get(fn.name);
    if (ids.length === 0 || !inner) continue;
    /** The schedules with a fire that has not started yet. */
    const waiting = new Set<string>();
    const fireAll = () => {
      for (const id of ids) {
        if (waiting.has(id)) continue;
        // Marked before the fire is sent: the bus may start its delivery before `fire` returns.
        waiting.add(id);
        try {
          fire(fn.name, id);
        } catch {
          // The bus is stopping: what the delivery left is taken by the next start's fire or the sweep.
          waiting.delete(id);
        }
      }
    };
    const invokeBatch = inner.invokeBatch?.bind(inner);
    wrapped.set(fn.name, {
      ...inner,
      invoke: async (event) => {
        if (isScheduleFire(event)) {
          // The rule's ARN ends with the schedule id (longest first: an id may end with another).
          const started = [...ids].sort((a, b) => b.length - a.length).find((id) => event.resources[0]?.endsWith(id));
          if (started !== undefined) waiting.delete(started);
          return inner.invoke(event);
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
  return wrapped;
}
