/**
 * Behaviour analysis over the audit trail (guide 3.3, 6.3, 6.4). Pure: records in, findings
 * out, for one analysis window (an hour, normally). Each rule's finding id is stable for the
 * same violation, so a re-run over the same window updates findings rather than adding them.
 *
 * Only valid records from ERP systems count: the pipeline's own events (`erpgov.*`, schedules)
 * are not behaviour, and a record that failed its contract cannot be read reliably.
 *
 * Rules:
 * - 6.3 operations outside working hours: one finding per actor and local day (policy time
 *   zone), re-raised with the day's growing evidence whenever the window adds to it.
 * - 6.4 bursts: an account's deletes (or exports) in the window against its OWN baseline, the
 *   hourly average over the `baselineDays` before the window; a burst is more than
 *   max(average × burstFactor, minimumBurst). A zero baseline leaves the minimum.
 * - 6.4 failed logins: `maxFailures` or more failures on one account within `windowMinutes`
 *   (sliding; a run that reaches the threshold inside the window).
 * - 6.4 logins from an unbound device: the devices bound to an account are the policy's
 *   register (`boundDevices`) when it lists the account, otherwise the devices the account
 *   logged in from successfully during its baseline (trust on first use). An account with
 *   neither has no binding yet: its first logins establish it and raise nothing.
 * - 3.3 the modules raising the most Module Error occurrences: the top N of the window, "medium"
 *   when a top module also bursts against its own baseline, "low" otherwise.
 */
import type { Policy } from '../../schemas/policy.ts';
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';
import { deviceRegister, normaliseDeviceId } from '../shared/devices.ts';
import type { Finding } from '../shared/findings/finding.ts';
import { isWithinWorkingHours, localTime } from '../shared/local-time.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, startOfHour } from '../shared/time.ts';
import { aggregateFacts, type Baseline } from './behaviour-baseline.ts';
import { findingId } from './finding-scope.ts';
import { toFacts, type TrailFact } from './trail-facts.ts';

export interface AnalysisWindow {
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
}

/** Facts a person performs on the ERP; logins and metrics are judged by their own rules. */
const OPERATION_DETAIL_TYPES: ReadonlySet<string> = new Set(['Operation Audited', 'Role Assigned', 'Role Revoked']);

/**
 * How far before the window `records` must reach: the start of the window's local day (any
 * zone, daylight saving included) and the failed-login window.
 */
export function contextStart(window: AnalysisWindow, policy: Policy): Date {
  return new Date(window.from.getTime() - Math.max(36 * HOUR_MS, policy.audit.failedLogins.windowMinutes * MINUTE_MS));
}

/** Where the baseline begins: `baselineDays` before the window. */
export function baselineStart(window: AnalysisWindow, policy: Policy): Date {
  return new Date(window.from.getTime() - policy.audit.behaviourAnalysis.baselineDays * DAY_MS);
}

/**
 * `records`: the window's records plus context before it (see `contextStart`).
 * `baseline`: the baseline period's counts, or its records (see `baselineStart`; a superset
 * is fine: only what falls in the period counts).
 */
export function analyseBehaviour(records: readonly AuditRecord[], baseline: readonly AuditRecord[] | Baseline, policy: Policy, window: AnalysisWindow): Finding[] {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const facts = toFacts(records).filter((f) => f.time < to);
  const inWindow = facts.filter((f) => f.time >= from);
  const counts = Array.isArray(baseline) ? baselineOf(baseline, baselineStart(window, policy), window.from) : (baseline as Baseline);
  return [
    ...operationsOutsideWorkingHours(facts, policy, window),
    ...deleteAndExportBursts(inWindow, counts, policy, window),
    ...repeatedFailedLogins(facts, policy, window),
    ...loginsFromUnboundDevices(inWindow, counts, policy, window),
    ...errorProneModules(inWindow, counts, policy, window),
  ];
}

/** The counts of the records that happened in [from, to). */
export function baselineOf(records: readonly AuditRecord[], from: Date, to: Date): Baseline {
  return aggregateFacts(toFacts(records).filter((f) => f.time >= from.getTime() && f.time < to.getTime()));
}

/** The counts of each of the given hours (starts, on the hour), from records covering them; each record is read once. */
export function countHours(records: readonly AuditRecord[], hourStarts: readonly Date[]): Map<string, Baseline> {
  const wanted = new Set(hourStarts.map((h) => h.getTime()));
  const byHour = new Map<number, TrailFact[]>([...wanted].map((h) => [h, []]));
  for (const fact of toFacts(records)) byHour.get(startOfHour(fact.time).getTime())?.push(fact);
  return new Map([...byHour].map(([hour, facts]) => [new Date(hour).toISOString(), aggregateFacts(facts)]));
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const windowFacts = (window: AnalysisWindow) => ({ windowFrom: window.from.toISOString(), windowTo: window.to.toISOString() });

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

// ---------------------------------------------------------------------------------------
// 6.3 Operations outside working hours

function operationsOutsideWorkingHours(facts: readonly TrailFact[], policy: Policy, window: AnalysisWindow): Finding[] {
  const hours = policy.audit.workingHours;
  const outside = facts.filter((f) => OPERATION_DETAIL_TYPES.has(f.detailType) && f.actor !== null && !isWithinWorkingHours(f.time, hours));
  const byActorAndDay = groupBy(outside, (f) => JSON.stringify([f.actor, localTime(f.time, hours.timezone).date]));
  const findings: Finding[] = [];
  for (const [key, group] of byActorAndDay) {
    // Raised (again) only when this window adds to the day; earlier windows raised the rest.
    if (!group.some((f) => f.time >= window.from.getTime())) continue;
    const [actor, date] = JSON.parse(key) as [string, string];
    const first = localTime(group[0]?.time ?? 0, hours.timezone);
    const last = localTime(group.at(-1)?.time ?? 0, hours.timezone);
    findings.push({
      findingId: findingId('6.3', 'outside-working-hours', actor, date),
      rule: 'outside-working-hours',
      control: '6.3',
      title: 'Operations outside working hours',
      severity: 'medium',
      mode: hours.mode,
      subject: { type: 'account', id: actor },
      summary: `${actor} performed ${group.length} operation(s) outside working hours on ${date} (${first.weekday}), ${first.clock}–${last.clock} ${hours.timezone}; working hours are ${hours.days.join(',')} ${hours.start}–${hours.end}.`,
      eventIds: group.map((f) => f.eventId),
      facts: { localDate: date, weekday: first.weekday, timezone: hours.timezone, operations: group.length, firstLocalTime: first.clock, lastLocalTime: last.clock, workingDays: [...hours.days], start: hours.start, end: hours.end },
      sticky: true,
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------
// 6.4 Bursts of deletes or exports against the account's own baseline

interface BurstThreshold {
  readonly baselineHourlyAverage: number;
  readonly threshold: number;
}

/** max(baseline average over the window's length × factor, minimum): more than this is a burst. */
export function burstThreshold(baselineCount: number, policy: Policy, window: AnalysisWindow): BurstThreshold {
  const { baselineDays, burstFactor, minimumBurst } = policy.audit.behaviourAnalysis;
  const baselineHourlyAverage = baselineCount / (baselineDays * 24);
  const windowHours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
  return { baselineHourlyAverage, threshold: Math.max(baselineHourlyAverage * windowHours * burstFactor, minimumBurst) };
}

function deleteAndExportBursts(inWindow: readonly TrailFact[], baseline: Baseline, policy: Policy, window: AnalysisWindow): Finding[] {
  const rule = policy.audit.behaviourAnalysis;
  const findings: Finding[] = [];
  const actionOf = (f: TrailFact) => f.operation?.action;
  for (const action of new Set(rule.burstActions.map((a) => a.toLowerCase()))) {
    const accountOf = (f: TrailFact) => (actionOf(f) === action ? f.operation?.actor : undefined);
    const usual = baseline.actions[action] ?? {};
    for (const [account, operations] of groupBy(inWindow, accountOf)) {
      const { baselineHourlyAverage, threshold } = burstThreshold(usual[account] ?? 0, policy, window);
      if (operations.length <= threshold) continue;
      findings.push({
        findingId: findingId('6.4', 'burst', account, action, window.from.toISOString()),
        rule: 'burst',
        control: '6.4',
        title: `Burst of ${action} operations`,
        severity: 'high',
        mode: rule.mode,
        subject: { type: 'account', id: account },
        summary: `${account} ran ${operations.length} ${action} operation(s) between ${window.from.toISOString()} and ${window.to.toISOString()}; more than ${round(threshold)} (its ${rule.baselineDays}-day hourly average ${round(baselineHourlyAverage, 3)} × ${rule.burstFactor}, at least ${rule.minimumBurst}).`,
        eventIds: operations.map((f) => f.eventId),
        facts: { action, operations: operations.length, threshold: round(threshold), baselineHourlyAverage: round(baselineHourlyAverage, 3), baselineDays: rule.baselineDays, burstFactor: rule.burstFactor, minimumBurst: rule.minimumBurst, ...windowFacts(window) },
        sticky: true,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------
// 6.4 Repeated failed logins

function repeatedFailedLogins(facts: readonly TrailFact[], policy: Policy, window: AnalysisWindow): Finding[] {
  const rule = policy.audit.failedLogins;
  const span = rule.windowMinutes * MINUTE_MS;
  const from = window.from.getTime();
  const failures = facts.filter((f) => f.login?.outcome === 'failure' && f.time >= from - span);
  const findings: Finding[] = [];
  for (const [account, attempts] of groupBy(failures, (f) => f.login?.account)) {
    // Sliding window over the account's failures (time order): every run of at least
    // maxFailures within `span` that ends inside the analysis window counts.
    const counted = new Set<number>();
    let mostInOneWindow = 0;
    let start = 0;
    attempts.forEach((attempt, end) => {
      while (attempt.time - (attempts[start]?.time ?? attempt.time) > span) start++;
      const run = end - start + 1;
      if (run >= rule.maxFailures && attempt.time >= from) {
        for (let i = start; i <= end; i++) counted.add(i);
        mostInOneWindow = Math.max(mostInOneWindow, run);
      }
    });
    if (counted.size === 0) continue;
    const involved = [...counted].sort((a, b) => a - b).flatMap((i) => attempts[i] ?? []);
    const reasons: Record<string, number> = {};
    for (const f of involved) {
      const reason = f.login?.failureReason ?? 'unspecified';
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    findings.push({
      findingId: findingId('6.4', 'failed-logins', account, window.from.toISOString()),
      rule: 'failed-logins',
      control: '6.4',
      title: 'Repeated failed logins',
      severity: 'high',
      mode: rule.mode,
      subject: { type: 'account', id: account },
      summary: `${account} had ${mostInOneWindow} failed logins within ${rule.windowMinutes} min (threshold ${rule.maxFailures}); ${involved.length} failure(s) from ${new Date(involved[0]?.time ?? from).toISOString()} to ${new Date(involved.at(-1)?.time ?? from).toISOString()}.`,
      eventIds: involved.map((f) => f.eventId),
      facts: { failures: involved.length, mostInOneWindow, maxFailures: rule.maxFailures, windowMinutes: rule.windowMinutes, failureReasons: reasons, ...windowFacts(window) },
      sticky: true,
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------
// 6.4 Logins from a device not bound to the account (guide 2.2)

function loginsFromUnboundDevices(inWindow: readonly TrailFact[], baseline: Baseline, policy: Policy, window: AnalysisWindow): Finding[] {
  if (!policy.access.deviceBinding.required) return [];
  const rule = policy.audit.behaviourAnalysis;
  const successfulLogin = (f: TrailFact) => f.login?.outcome === 'success' && f.login.deviceId !== undefined;
  const accountOf = (f: TrailFact) => f.login?.account;
  const deviceOf = (f: TrailFact) => normaliseDeviceId(f.login?.deviceId ?? '');

  const knownDevices = new Map(Object.entries(baseline.devices).map(([account, devices]) => [account, new Set(devices)]));
  const registered = deviceRegister(policy);

  const findings: Finding[] = [];
  for (const [account, logins] of groupBy(inWindow.filter(successfulLogin), accountOf)) {
    const fromRegister = registered.get(account.toLowerCase());
    const bound = fromRegister ?? knownDevices.get(account);
    // No register entry and no login in the baseline: the first use establishes the binding.
    if (bound === undefined || bound.size === 0) continue;
    const strays = logins.filter((f) => !bound.has(deviceOf(f)));
    if (strays.length === 0) continue;
    const devices = [...new Set(strays.map((f) => f.login?.deviceId ?? ''))];
    const bindingSource = fromRegister ? 'policy' : 'first-use';
    findings.push({
      findingId: findingId('6.4', 'unbound-device', account, window.from.toISOString()),
      rule: 'unbound-device',
      control: '6.4',
      title: 'Login from a device not bound to the account',
      severity: 'high',
      mode: rule.mode,
      subject: { type: 'account', id: account },
      summary: `${account} logged in ${strays.length} time(s) from ${devices.join(', ')}, not among its bound device(s) (${bindingSource === 'policy' ? 'policy register' : `seen in its last ${rule.baselineDays} days`}); guide 2.2 binds each account to its device.`,
      eventIds: strays.map((f) => f.eventId),
      facts: { devices, boundDevices: [...bound].sort(), bindingSource, logins: strays.length, ...windowFacts(window) },
      sticky: true,
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------
// 3.3 The modules that raise errors most often

function errorProneModules(inWindow: readonly TrailFact[], baseline: Baseline, policy: Policy, window: AnalysisWindow): Finding[] {
  const rule = policy.performance.moduleErrors;
  const moduleOf = (f: TrailFact) => f.moduleError?.module;
  const occurrencesOf = (f: TrailFact) => f.moduleError?.occurrences ?? 0;
  const sum = (facts: readonly TrailFact[]) => facts.reduce((n, f) => n + occurrencesOf(f), 0);

  const ranked = [...groupBy(inWindow, moduleOf)]
    .map(([module, errors]) => ({ module, errors, count: sum(errors) }))
    .sort((a, b) => b.count - a.count || (a.module < b.module ? -1 : 1))
    .slice(0, rule.reportTopModules);
  if (ranked.length === 0) return [];

  const topModules = ranked.map(({ module, errors, count }) => {
    const { baselineHourlyAverage, threshold } = burstThreshold(baseline.moduleErrors[module] ?? 0, policy, window);
    const errorClasses: Record<string, number> = {};
    for (const f of errors) {
      const errorClass = f.moduleError?.errorClass ?? 'unspecified';
      errorClasses[errorClass] = (errorClasses[errorClass] ?? 0) + occurrencesOf(f);
    }
    return { module, errors: count, events: errors.length, errorClasses, baselineHourlyAverage: round(baselineHourlyAverage, 3), rising: count > threshold };
  });
  const rising = topModules.filter((m) => m.rising);
  const commonest = (classes: Record<string, number>) => Object.entries(classes).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unspecified';
  return [
    {
      findingId: findingId('3.3', 'module-errors', window.from.toISOString()),
      rule: 'module-errors',
      control: '3.3',
      title: 'Modules raising the most errors',
      severity: rising.length > 0 ? 'medium' : 'low',
      mode: rule.mode,
      subject: { type: 'report', id: 'module-errors', name: 'Modules raising the most errors' },
      summary:
        `Most errors between ${window.from.toISOString()} and ${window.to.toISOString()}: ` +
        topModules.map((m) => `${m.module} ${m.errors} (mostly ${commonest(m.errorClasses)})`).join(', ') +
        (rising.length > 0 ? `; well above their usual rate: ${rising.map((m) => m.module).join(', ')}.` : '.'),
      eventIds: ranked.flatMap((m) => m.errors.map((f) => f.eventId)),
      facts: { topModules, reportTopModules: rule.reportTopModules, ...windowFacts(window) },
      sticky: true,
    },
  ];
}
