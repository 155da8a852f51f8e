/**
 * The period an evidence pack covers: a month (`2026-11`), a quarter (`2026-Q4`) or a range of
 * days (`2026-10-01..2026-11-30`, both days included). Pure; `now` is an argument.
 */
import { PermanentError } from '../../../schemas/errors.ts';
import { addDays, DAY_MS, endOfMonth, MONTH_PATTERN, quarterBounds, quarterOf, QUARTER_PATTERN, startOfMonth, utcDay, utcMonth, utcMonthsBetween } from '../time.ts';

/** A period that is malformed or in the future: the CLI answers it with exit 2 (bad input). */
export class PeriodError extends PermanentError {}

export interface Period {
  /** As the user wrote it: `2026-11`, `2026-Q4`, `2026-10-01..2026-11-30`. */
  readonly label: string;
  /** Inclusive start (UTC midnight). */
  readonly from: string;
  /** Exclusive end (UTC midnight after the last day). */
  readonly to: string;
  /** First and last day, YYYY-MM-DD. */
  readonly firstDay: string;
  readonly lastDay: string;
  /** Months and quarters the period touches, in order. */
  readonly months: readonly string[];
  readonly quarters: readonly string[];
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const ALLOWED = 'allowed: YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY-MM-DD..YYYY-MM-DD (days, both included)';

function realDay(value: string): Date | undefined {
  if (!DAY_PATTERN.test(value)) return undefined;
  const at = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(at.getTime()) || utcDay(at) !== value ? undefined : at;
}

/** Parses `--period`; refuses a malformed period and one that starts in the future (after `now`). */
export function parsePeriod(value: string, now: Date): Period {
  let from: Date;
  let to: Date;
  if (MONTH_PATTERN.test(value)) {
    from = startOfMonth(value);
    to = endOfMonth(value);
  } else if (QUARTER_PATTERN.test(value)) {
    ({ from, to } = quarterBounds(value));
  } else if (value.includes('..')) {
    const [a = '', b = ''] = value.split('..');
    const start = realDay(a);
    const end = realDay(b);
    if (!start || !end) throw new PeriodError(`--period: "${value}" is not a period; ${ALLOWED}`);
    if (end.getTime() < start.getTime()) throw new PeriodError(`--period: "${value}" ends before it starts`);
    from = start;
    to = addDays(end, 1);
  } else {
    throw new PeriodError(`--period: "${value}" is not a period; ${ALLOWED}`);
  }
  if (from.getTime() > now.getTime()) throw new PeriodError(`--period: "${value}" is in the future (it starts ${utcDay(from)}, now is ${now.toISOString()})`);
  // `to` is exclusive: the months from the first day to the last.
  const months = utcMonthsBetween(from, to.getTime() - 1);
  const quarters = [...new Set(months.map((m) => quarterOf(startOfMonth(m))))];
  return { label: value, from: from.toISOString(), to: to.toISOString(), firstDay: utcDay(from), lastDay: utcDay(to.getTime() - DAY_MS), months, quarters };
}

/** Whether an instant falls in the period. */
export const inPeriod = (period: Period, at: string): boolean => at >= period.from && at < period.to;
