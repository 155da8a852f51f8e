/**
 * Time arithmetic, in one place: the units, UTC days, and the one way a retention period
 * turns into an expiry. Everything here is UTC and pure; "now" itself comes from the
 * `Clock` (see clock.ts), never from `new Date()` in decision code.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const DAY_SECONDS = DAY_MS / SECOND_MS;

export const addMs = (at: Date | string, ms: number): Date => new Date(new Date(at).getTime() + ms);
export const addMinutes = (at: Date | string, minutes: number): Date => addMs(at, minutes * MINUTE_MS);
export const addHours = (at: Date | string, hours: number): Date => addMs(at, hours * HOUR_MS);
export const addDays = (at: Date | string, days: number): Date => addMs(at, days * DAY_MS);

/** Whole hours from `from` to `to`, rounded down (negative when `to` is earlier). */
export const hoursBetween = (from: Date | string, to: Date | string): number => Math.floor((new Date(to).getTime() - new Date(from).getTime()) / HOUR_MS);

/** The instant as ISO 8601 UTC with milliseconds: the one spelling events and state use. */
export const isoUtc = (at: Date | string | number): string => new Date(at).toISOString();

/** The UTC calendar day (`YYYY-MM-DD`) an instant falls on. */
export const utcDay = (at: Date | string | number): string => new Date(at).toISOString().slice(0, 10);

/** Start of the UTC hour holding `at`. */
export const startOfHour = (at: Date | number): Date => new Date(Math.floor(new Date(at).getTime() / HOUR_MS) * HOUR_MS);

/** The UTC days from `from` to `to`, both included (`YYYY-MM-DD`); empty when `to` is before `from`. */
export function utcDaysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to.slice(0, 10)}T00:00:00Z`);
  for (let t = Date.parse(`${from.slice(0, 10)}T00:00:00Z`); t <= end; t += DAY_MS) days.push(utcDay(t));
  return days;
}

/** The UTC day `days` before the day of `at` (0 is that day). */
export const utcDayBefore = (at: Date | string | number, days: number): string => utcDay(new Date(at).getTime() - days * DAY_MS);

/** Epoch seconds (DynamoDB TTL's unit), rounded up so an expiry never comes early. */
export const epochSeconds = (at: Date | string | number): number => Math.ceil(new Date(at).getTime() / SECOND_MS);

/**
 * When something kept for `days` from `from` may go, in epoch seconds: exactly `days` × 24 h
 * after `from`, rounded up to the second. The one rule every retention uses (the audit
 * trail's hot copy, grant evidence, logins), so "kept 183 days" means the same everywhere:
 * never less than `days` × 24 h.
 */
export const retentionExpiry = (from: Date | string | number, days: number): number => epochSeconds(new Date(from).getTime() + days * DAY_MS);

/**
 * The first UTC day a retention window of `days` ending at `now` reaches into: the day of
 * `now` − `days` × 24 h. Records from later days are all still kept (`retentionExpiry`);
 * records from this first day may already have expired in its early hours, so a check over
 * the window treats this day as partial.
 */
export const retentionWindowStart = (now: Date | string | number, days: number): string => utcDay(new Date(now).getTime() - days * DAY_MS);

/** `YYYY-MM` of an instant (UTC). */
export const utcMonth = (at: Date | string | number): string => new Date(at).toISOString().slice(0, 7);

/** The first instant of the month after `month` (`YYYY-MM`): the exclusive end of the month. */
export function endOfMonth(month: string): Date {
  const [year, mon] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, mon, 1));
}

/** The first instant of `month` (`YYYY-MM`). */
export function startOfMonth(month: string): Date {
  const [year, mon] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, mon - 1, 1));
}

/** The months (`YYYY-MM`) from the one holding `from` to the one holding `to`, inclusive. */
export function utcMonthsBetween(from: Date | string | number, to: Date | string | number): string[] {
  const months: string[] = [];
  const last = utcMonth(to);
  for (let month = utcMonth(from); month <= last; month = utcMonth(endOfMonth(month))) months.push(month);
  return months;
}

/** `YYYY-MM` of the month before the one holding `at`. */
export function previousMonth(at: Date): string {
  return utcMonth(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
}

/** `YYYY-MM`, a real month. */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A quarter, `2026-Q4`. */
export const QUARTER_PATTERN = /^(\d{4})-Q([1-4])$/;

export function quarterBounds(quarter: string): { from: Date; to: Date } {
  const match = QUARTER_PATTERN.exec(quarter);
  if (!match) throw new Error(`"${quarter}" is not a quarter YYYY-Qn`);
  const year = Number(match[1]);
  const q = Number(match[2]);
  return { from: new Date(Date.UTC(year, (q - 1) * 3, 1)), to: new Date(Date.UTC(year, q * 3, 1)) };
}

export const quarterOf = (at: string | Date): string => {
  const d = new Date(at);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
};
