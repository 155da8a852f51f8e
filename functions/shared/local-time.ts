/**
 * Wall-clock time in the policy's time zone, for working hours (guide 6.3) and quiet hours (notifier). Intl does the
 * zone arithmetic (offsets, daylight saving), so no offset is ever hard-coded. Pure.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface LocalTime {
  /** YYYY-MM-DD in the zone. */
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  readonly minuteOfDay: number;
  /** HH:MM in the zone. */
  readonly clock: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      // h23: midnight is 00, never 24.
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function localTime(instant: Date | number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: String(parts.weekday).toLowerCase().slice(0, 3) as Weekday,
    minuteOfDay: hour * 60 + minute,
    clock: `${parts.hour}:${parts.minute}`,
  };
}

/** `HH:MM` → minutes since midnight. */
export function minutesOfClock(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

export interface WorkingHours {
  readonly timezone: string;
  readonly days: readonly Weekday[];
  readonly start: string;
  readonly end: string;
}

/** Inside when on a working day, at or after `start` and before `end` (local time). */
export function isWithinWorkingHours(instant: Date | number, hours: WorkingHours): boolean {
  const local = localTime(instant, hours.timezone);
  return hours.days.includes(local.weekday) && local.minuteOfDay >= minutesOfClock(hours.start) && local.minuteOfDay < minutesOfClock(hours.end);
}
