/**
 * Fires the routing table's schedules locally. Each fire becomes an EventBridge
 * "Scheduled Event" (source `aws.events`, `resources: [rule ARN ending with the schedule
 * id]`) delivered to its function through the bus (journaled, retried).
 *
 * Time is an input: `tick(now)` fires whatever is due at `now`, `nextDue()` says when the next
 * fire is, so tests and the simulator drive a virtual clock fire by fire; `start()` arms real
 * timers over a clock. Rates are aligned to the clock (`rate(1 hour)` on the hour).
 *
 * Fires are remembered in the data folder (`scheduler/fires.json`: when each schedule was
 * first armed and last fired). At `start()` a schedule that should have fired while the
 * runtime was stopped (the 00:30 archive on a laptop that was off) fires once at once, with
 * the time it missed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { latestFireBetween, nextFireTime } from '../infra/schedule.ts';
import type { RoutedFunction, CompiledSchedule } from '../infra/routes.ts';
import { systemClock, type Clock } from '../functions/shared/clock.ts';
import { MINUTE_MS } from '../functions/shared/time.ts';
import type { BusEvent } from './put-events.ts';

export interface ScheduledFire {
  readonly functionName: string;
  readonly scheduleId: string;
  readonly event: BusEvent;
  /** Why it fired: on time, or once at start-up for a fire missed while stopped. */
  readonly reason: 'due' | 'missed-while-stopped' | 'manual';
}

export interface ScheduleStatus {
  readonly functionName: string;
  readonly id: string;
  readonly expression: string;
  readonly description: string;
  readonly next: string | null;
  readonly last: string | null;
}

/** When each schedule was first armed and last fired. */
export interface FireRecord {
  readonly armedAt: string;
  readonly lastFiredAt?: string;
}

/** Where fire times are remembered between runs. */
export interface FireMemory {
  read(): Record<string, FireRecord>;
  write(records: Record<string, FireRecord>): void;
}

/** Fire times in `<dataDir>/scheduler/fires.json`, replaced atomically on each change. */
export function fileFireMemory(dataDir: string): FireMemory & { readonly file: string } {
  const file = join(dataDir, 'scheduler', 'fires.json');
  return {
    file,
    read() {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Record<string, FireRecord>;
      } catch {
        return {}; // none yet (or torn by a crash: the next fire rewrites it)
      }
    },
    write(records) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, `${JSON.stringify(records, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
    },
  };
}

/** Fire times kept in memory only (simulations, tests). */
export function memoryFireMemory(): FireMemory {
  let records: Record<string, FireRecord> = {};
  return { read: () => ({ ...records }), write: (next) => (records = { ...next }) };
}

interface Armed {
  readonly functionName: string;
  readonly schedule: CompiledSchedule;
  next: Date | null;
}

export interface SchedulerOptions {
  /** When the scheduler starts counting: the first fires are the ones after this. */
  readonly startedAt: Date;
  readonly identity: { readonly account: string; readonly region: string };
  readonly memory?: FireMemory;
  /** Event ids (deterministic in simulations). */
  readonly ids?: () => string;
}

export class UnknownScheduleError extends Error {
  constructor(readonly scheduleId: string, readonly known: readonly string[]) {
    super(`unknown schedule "${scheduleId}"; allowed: ${known.join(', ')}`);
  }
}

export class LocalScheduler {
  private readonly armed: Armed[];
  private readonly memory: FireMemory;
  private readonly ids: () => string;
  private readonly identity: { account: string; region: string };
  private records: Record<string, FireRecord>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    routes: readonly RoutedFunction[],
    private readonly fire: (fire: ScheduledFire) => void,
    options: SchedulerOptions,
  ) {
    const { startedAt } = options;
    this.identity = options.identity;
    this.memory = options.memory ?? memoryFireMemory();
    this.ids = options.ids ?? randomUUID;
    this.armed = routes.flatMap((fn) => fn.schedules.map((schedule) => ({ functionName: fn.name, schedule, next: nextFireTime(schedule.schedule, startedAt) })));
    this.records = this.memory.read();
    let changed = false;
    for (const a of this.armed) {
      if (this.records[a.schedule.id] === undefined) {
        this.records[a.schedule.id] = { armedAt: startedAt.toISOString() };
        changed = true;
      }
    }
    if (changed) this.memory.write(this.records);
  }

  /** The schedules with their expression, when each fires next and when it last fired. */
  upcoming(): ScheduleStatus[] {
    return this.armed.map((a) => ({
      functionName: a.functionName,
      id: a.schedule.id,
      expression: a.schedule.expression,
      description: a.schedule.description,
      next: a.next?.toISOString() ?? null,
      last: this.records[a.schedule.id]?.lastFiredAt ?? null,
    }));
  }

  /** When the next schedule is due, or null when none will fire again. */
  nextDue(): Date | null {
    const due = Math.min(...this.armed.map((a) => a.next?.getTime() ?? Infinity));
    return Number.isFinite(due) ? new Date(due) : null;
  }

  /** Fires every schedule due at `now` (once each, even if several periods were missed), at its due time. */
  tick(now: Date): number {
    let fired = 0;
    for (const a of this.armed) {
      if (!a.next || a.next.getTime() > now.getTime()) continue;
      this.emit(a, a.next, 'due');
      fired++;
      a.next = nextFireTime(a.schedule.schedule, now);
    }
    return fired;
  }

  /**
   * The fires missed while the runtime was stopped: for each schedule, its last fire time
   * between its last fire (or when it was first armed) and `now`, fired once with that time.
   */
  catchUp(now: Date): ScheduledFire[] {
    const fires: ScheduledFire[] = [];
    for (const a of this.armed) {
      const record = this.records[a.schedule.id];
      const since = new Date(record?.lastFiredAt ?? record?.armedAt ?? now.toISOString());
      const missed = latestFireBetween(a.schedule.schedule, since, now);
      if (missed) fires.push(this.emit(a, missed, 'missed-while-stopped'));
    }
    return fires;
  }

  /** The fire `schedule run` makes: the same event the scheduler would send, at `at`; not remembered as a scheduled fire. */
  manualFire(scheduleId: string, at: Date): ScheduledFire {
    const a = this.armed.find((s) => s.schedule.id === scheduleId);
    if (!a) throw new UnknownScheduleError(scheduleId, this.armed.map((s) => s.schedule.id));
    return { functionName: a.functionName, scheduleId, event: this.scheduledEvent(a, at), reason: 'manual' };
  }

  /** Catches up what was missed (returned), then arms real timers over `clock`. */
  start(clock: Clock = systemClock): ScheduledFire[] {
    const missed = this.catchUp(clock.now());
    const arm = () => {
      const due = this.nextDue();
      if (!due) return;
      // Re-check at least every minute so a long wait survives clock changes (and laptop sleep).
      const wait = Math.min(Math.max(0, due.getTime() - clock.now().getTime()), MINUTE_MS);
      this.timer = setTimeout(() => {
        this.tick(clock.now());
        arm();
      }, wait);
    };
    arm();
    return missed;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emit(a: Armed, at: Date, reason: ScheduledFire['reason']): ScheduledFire {
    const fire: ScheduledFire = { functionName: a.functionName, scheduleId: a.schedule.id, event: this.scheduledEvent(a, at), reason };
    this.fire(fire);
    const before = this.records[a.schedule.id];
    if (!before?.lastFiredAt || Date.parse(before.lastFiredAt) < Date.parse(fire.event.time)) {
      this.records[a.schedule.id] = { armedAt: before?.armedAt ?? at.toISOString(), lastFiredAt: new Date(fire.event.time).toISOString() };
      this.memory.write(this.records);
    }
    return fire;
  }

  private scheduledEvent(a: Armed, at: Date): BusEvent {
    return {
      version: '0',
      id: this.ids(),
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
