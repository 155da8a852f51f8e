/**
 * The policy checks that need the calendar parser (ical.js): every freeze calendar must be
 * RFC 5545 text the parser reads. They sit apart from `parsePolicy` so that only the places
 * that use calendars bundle the parser: the stack at synth (the policy baked into the Lambdas
 * is checked whole there), `erpgov start`, and change-approvals. The other functions read the
 * baked policy with `parsePolicy` alone.
 */
import { parseFreezeCalendar } from './freeze-calendar.ts';
import type { Problem } from './issues.ts';
import { parsePolicy, PolicyError, type Policy } from './policy-loader.ts';

/** What is wrong with the policy's freeze calendars (empty when each one parses). */
function calendarProblems(policy: Policy): Problem[] {
  const { calendars, timezone } = policy.change.freeze;
  return calendars.flatMap((calendar, i) => {
    try {
      parseFreezeCalendar(calendar.name, calendar.ics, timezone);
      return [];
    } catch (err) {
      return [{ path: `change.freeze.calendars[${i}].ics`, value: calendar.name, message: `must be an RFC 5545 calendar the parser reads: ${(err as Error).message}` }];
    }
  });
}

/** `policy` when its calendars parse; otherwise a PolicyError naming each one that does not. */
export function withCheckedCalendars(policy: Policy, origin?: string): Policy {
  const problems = calendarProblems(policy);
  if (problems.length > 0) throw new PolicyError(problems, origin);
  return policy;
}

/** `parsePolicy` and the calendar checks: the whole validation, for synth and start-up. */
export function parseWholePolicy(input: unknown, origin?: string): Policy {
  return withCheckedCalendars(parsePolicy(input, origin), origin);
}
