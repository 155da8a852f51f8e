/**
 * Freeze calendars (guide 4.4 with the change calendar): closed windows in which no production
 * change may be deployed, given as RFC 5545 calendars (VEVENTs with RRULE, EXDATE, RDATE and
 * TZID) or as plain date ranges. ical.js parses and expands the recurrence; the expansion is
 * done in the event's own wall-clock time and each occurrence is then placed in UTC with Intl
 * for its TZID, so "every Friday 22:00 Europe/Berlin" stays 22:00 local across a daylight-
 * saving change. Pure; the policy validates every calendar with `parseFreezeCalendar` at
 * start-up and synth, so a calendar that does not parse is refused with the parser's reason.
 */
import ICAL from 'ical.js';
import { isTimeZone } from './time-zones.ts';

export interface ClosedWindow {
  readonly calendar: string;
  readonly summary: string;
  readonly start: Date;
  readonly end: Date;
}

export interface FreezeCalendar {
  readonly name: string;
  /** The closed windows that overlap [from, to] (an instant when from = to), in start order. */
  windowsOverlapping(from: Date, to: Date): ClosedWindow[];
}

/** Occurrences looked at per event before giving up (a DAILY rule over decades stays bounded). */
const MAX_OCCURRENCES = 20_000;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone is ahead of UTC at `instant`. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let format = offsetFormatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `timeZone` (a time skipped by a DST jump moves forward by the jump). */
export function wallClockToUtc(fields: { year: number; month: number; day: number; hour: number; minute: number; second: number }, timeZone: string): Date {
  const naive = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  const first = naive - zoneOffsetMs(naive, timeZone);
  const second = naive - zoneOffsetMs(first, timeZone);
  return new Date(second);
}

type IcalTime = InstanceType<typeof ICAL.Time>;

function toInstant(time: IcalTime, tzid: string | undefined, defaultZone: string): Date {
  if (time.zone === ICAL.Timezone.utcTimezone) return time.toJSDate();
  return wallClockToUtc({ year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute, second: time.second }, tzid ?? defaultZone);
}

function tzidOf(event: InstanceType<typeof ICAL.Event>): string | undefined {
  const tzid = event.component.getFirstProperty('dtstart')?.getParameter('tzid');
  return typeof tzid === 'string' && tzid !== '' ? tzid : undefined;
}

export function parseFreezeCalendar(name: string, ics: string, defaultZone: string): FreezeCalendar {
  let root: InstanceType<typeof ICAL.Component>;
  try {
    root = new ICAL.Component(ICAL.parse(ics));
  } catch (err) {
    throw new Error(`not an iCalendar document: ${(err as Error).message}`, { cause: err });
  }
  const events = root.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component));
  if (events.length === 0) throw new Error('has no VEVENT: a freeze calendar lists its closed windows as events');
  events.forEach((event, i) => {
    if (!event.component.hasProperty('dtstart')) throw new Error(`VEVENT ${i + 1} (${event.uid ?? 'no UID'}) has no DTSTART`);
    const tzid = tzidOf(event);
    if (tzid && !isTimeZone(tzid)) throw new Error(`VEVENT ${i + 1} (${event.uid ?? 'no UID'}) has TZID "${tzid}", which is not an IANA time zone`);
    // Expanding the first occurrence surfaces a broken RRULE now rather than at the first deploy.
    event.iterator().next();
  });
  return {
    name,
    windowsOverlapping(from, to) {
      const found: ClosedWindow[] = [];
      for (const event of events) {
        const tzid = tzidOf(event);
        const durationMs = event.duration.toSeconds() * 1000;
        const summary = event.summary ?? name;
        const iterator = event.iterator();
        for (let n = 0; n < MAX_OCCURRENCES; n++) {
          const next = iterator.next();
          if (!next) break;
          const start = toInstant(next, tzid, defaultZone);
          if (start.getTime() > to.getTime()) break;
          const end = new Date(start.getTime() + durationMs);
          if (end.getTime() > from.getTime() || (durationMs === 0 && start.getTime() === from.getTime())) found.push({ calendar: name, summary, start, end });
        }
      }
      return found.sort((a, b) => a.start.getTime() - b.start.getTime());
    },
  };
}

/** A plain closed range, as a calendar of one window. */
export function rangeCalendar(name: string, start: string, end: string, reason: string): FreezeCalendar {
  const window: ClosedWindow = { calendar: name, summary: reason, start: new Date(start), end: new Date(end) };
  return {
    name,
    windowsOverlapping: (from, to) => (window.start.getTime() <= to.getTime() && window.end.getTime() > from.getTime() ? [window] : []),
  };
}
