/**
 * EventBridge schedule expressions: `rate(N minute|minutes|hour|hours|day|days)` and
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC, as AWS documents them.
 * The CDK stack passes the expression through unchanged; the local runtime uses
 * `nextFireTime` to fire it. Supported cron syntax: `*`, `?`, numbers, ranges `a-b`,
 * lists `a,b`, steps `*\/n` and `a-b/n`, month and weekday names. `L`, `W` and `#` are
 * refused at build time rather than silently mis-scheduled.
 */
import { PermanentError } from '../schemas/errors.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../functions/shared/time.ts';
export type Schedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly expression: string; readonly fields: CronFields };

export interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  /** null when `?` or `*` (any day). */
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number>;
  /** 1 = Sunday ... 7 = Saturday, as in AWS; null when `?` or `*`. */
  readonly daysOfWeek: ReadonlySet<number> | null;
  readonly years: ReadonlySet<number> | null;
}

export class ScheduleExpressionError extends PermanentError {}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const UNIT_MS = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS } as const;
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseScheduleExpression(expression: string): Schedule {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) throw new ScheduleExpressionError(`"${expression}": the rate must be a positive whole number`);
    if ((value === 1) !== !unit.endsWith('s')) {
      throw new ScheduleExpressionError(`"${expression}": AWS wants the singular unit for 1 and the plural otherwise (rate(1 hour), rate(2 hours))`);
    }
    const singular = unit.replace(/s$/, '') as keyof typeof UNIT_MS;
    return { kind: 'rate', expression, everyMs: value * UNIT_MS[singular] };
  }
  const cron = CRON.exec(expression);
  if (!cron) {
    throw new ScheduleExpressionError(`"${expression}" is not a schedule expression; allowed: rate(N minutes|hours|days) or cron(min hour day-of-month month day-of-week year)`);
  }
  const parts = (cron[1] as string).trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleExpressionError(`"${expression}": cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  }
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(`"${expression}": exactly one of day-of-month and day-of-week must be "?"`);
  }
  return {
    kind: 'cron',
    expression,
    fields: {
      minutes: parseField(expression, 'minutes', min, 0, 59),
      hours: parseField(expression, 'hours', hour, 0, 23),
      daysOfMonth: isAny(dom) ? null : parseField(expression, 'day-of-month', dom, 1, 31),
      months: parseField(expression, 'month', month, 1, 12, MONTH_NAMES),
      daysOfWeek: isAny(dow) ? null : parseField(expression, 'day-of-week', dow, 1, 7, DAY_NAMES),
      years: isAny(year) ? null : parseField(expression, 'year', year, 1970, 2199),
    },
  };
}

function isAny(field: string): boolean {
  return field === '?' || field === '*';
}

function parseField(expression: string, name: string, field: string, lo: number, hi: number, names?: string[]): Set<number> {
  const fail = (why: string): never => {
    throw new ScheduleExpressionError(`"${expression}": ${name} field "${field}" ${why}`);
  };
  const toNumber = (token: string): number => {
    const byName = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = byName >= 0 ? byName + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!Number.isInteger(n) || n < lo || n > hi) fail(`has "${token}"; allowed ${lo}-${hi}${names ? ` or ${names.join(',')}` : ''}, *, ranges a-b, lists a,b and steps /n`);
    return n;
  };
  const values = new Set<number>();
  for (const part of field.split(',')) {
    if (/[LW#]/.test(part)) fail('uses L, W or #, which this pipeline does not support');
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) fail(`has step "${stepText}"; a step must be a positive whole number`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      [from, to] = [lo, hi];
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [toNumber(a), toNumber(b)];
      if (from > to) fail(`has range "${range}" that runs backwards`);
    } else {
      from = toNumber(range);
      to = stepText === undefined ? from : hi;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/**
 * Where rates count from unless told otherwise: the epoch, so `rate(1 hour)` fires on the hour
 * and `rate(5 minutes)` at :00, :05, ... — aligned to the clock, not to when a process started,
 * so a restart or a simulation fires at the same times. (On AWS a rate counts from when the
 * rule was created; the stack's schedules tolerate either.)
 */
export const CLOCK_ALIGNED = new Date(0);

/** The first fire time strictly after `after` (UTC), or null if the schedule never fires again. */
export function nextFireTime(schedule: Schedule, after: Date, anchor: Date = CLOCK_ALIGNED): Date | null {
  if (schedule.kind === 'rate') {
    // Rates count from the anchor: the epoch by default (aligned to the clock).
    const elapsed = after.getTime() - anchor.getTime();
    const periods = Math.floor(elapsed / schedule.everyMs) + 1;
    return new Date(anchor.getTime() + periods * schedule.everyMs);
  }
  const f = schedule.fields;
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // Walk minute by minute but skip whole days/hours that cannot match; bounded to ~5 years.
  const limit = after.getTime() + 5 * 366 * DAY_MS;
  while (t.getTime() <= limit) {
    if ((f.years && !f.years.has(t.getUTCFullYear())) || !f.months.has(t.getUTCMonth() + 1) || !dayMatches(f, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!f.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      continue;
    }
    return t;
  }
  return null;
}

function dayMatches(f: CronFields, t: Date): boolean {
  if (f.daysOfMonth && !f.daysOfMonth.has(t.getUTCDate())) return false;
  if (f.daysOfWeek && !f.daysOfWeek.has(t.getUTCDay() + 1)) return false;
  return true;
}

/**
 * The last fire time in (`after`, `atOrBefore`], or null when the schedule did not fire in
 * between: what a runtime that was stopped over that span missed. Walks at most
 * `maxSteps` fires (a minutely cron over a long stop), then gives the latest reached.
 */
export function latestFireBetween(schedule: Schedule, after: Date, atOrBefore: Date, maxSteps = 100_000): Date | null {
  if (atOrBefore.getTime() <= after.getTime()) return null;
  if (schedule.kind === 'rate') {
    const last = Math.floor((atOrBefore.getTime() - CLOCK_ALIGNED.getTime()) / schedule.everyMs) * schedule.everyMs + CLOCK_ALIGNED.getTime();
    return last > after.getTime() ? new Date(last) : null;
  }
  let latest: Date | null = null;
  let cursor: Date | null = after;
  for (let step = 0; step < maxSteps && cursor; step++) {
    cursor = nextFireTime(schedule, cursor);
    if (!cursor || cursor.getTime() > atOrBefore.getTime()) break;
    latest = cursor;
  }
  return latest;
}
