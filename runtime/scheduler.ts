/**
 * Fires the routing table's schedules locally. Each fire becomes an EventBridge
 * "Scheduled Event" delivered to its function through the bus (journaled, retried).
 * `tick(now)` fires whatever is due, so tests and simulations drive time themselves;
 * `start()` arms real timers that call it.
 */
import { randomUUID } from 'node:crypto';
import { nextFireTime } from '../infra/schedule.ts';
import type { RoutedFunction, CompiledSchedule } from '../infra/routes.ts';
import type { BusEvent } from './put-events.ts';

export interface ScheduledFire {
  readonly functionName: string;
  readonly event: BusEvent;
}

interface Armed {
  readonly functionName: string;
  readonly schedule: CompiledSchedule;
  next: Date | null;
}

export class LocalScheduler {
  private readonly armed: Armed[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    routes: readonly RoutedFunction[],
    private readonly fire: (fire: ScheduledFire) => void,
    private readonly identity: { account: string; region: string },
    startedAt: Date,
  ) {
    this.armed = routes.flatMap((fn) =>
      fn.schedules.map((schedule) => ({ functionName: fn.name, schedule, next: nextFireTime(schedule.schedule, startedAt, startedAt) })),
    );
    this.anchor = startedAt;
  }

  private readonly anchor: Date;

  /** The schedules and when each fires next. */
  upcoming(): { functionName: string; id: string; expression: string; next: string | null }[] {
    return this.armed.map((a) => ({ functionName: a.functionName, id: a.schedule.id, expression: a.schedule.expression, next: a.next?.toISOString() ?? null }));
  }

  /** Fires every schedule due at `now` (once each, even if several periods were missed). */
  tick(now: Date): number {
    let fired = 0;
    for (const a of this.armed) {
      if (!a.next || a.next.getTime() > now.getTime()) continue;
      this.fire({ functionName: a.functionName, event: this.scheduledEvent(a, a.next) });
      fired++;
      a.next = nextFireTime(a.schedule.schedule, now, this.anchor);
    }
    return fired;
  }

  start(now: () => Date = () => new Date()): void {
    const arm = () => {
      const due = this.armed.map((a) => a.next?.getTime() ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity);
      if (!Number.isFinite(due)) return;
      // Re-check at most every minute so a long wait survives clock changes.
      const wait = Math.min(Math.max(0, due - now().getTime()), 60_000);
      this.timer = setTimeout(() => {
        this.tick(now());
        arm();
      }, wait);
    };
    arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduledEvent(a: Armed, at: Date): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.identity.account,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.identity.region,
      resources: [`arn:aws:events:${this.identity.region}:${this.identity.account}:rule/${a.schedule.id}`],
      detail: {},
    };
  }
}
