/**
 * threshold-alerts flows: samples into episodes (one finding per host/metric episode,
 * resolved when it clears), hosts gone silent, and CloudWatch alarms. Read the host's state,
 * decide (episode-evaluation.ts), raise/resolve through the finding lifecycle, write the
 * state only when it changed.
 *
 * Findings are raised before the state is written: a crash in between is redelivered, the
 * datapoints are evaluated again against the old state and the same findings (same stable
 * ids) are raised again — unchanged. The findings are judged at the datapoints' own times.
 */
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import { sampleDatapoints, type MetricName, type MetricSample, type SlowQuery } from '../../schemas/details/performance.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { ControlFeed } from '../shared/evidence/control-feed.ts';
import { findingSource, type Finding } from '../shared/findings/finding.ts';
import { findingLifecycle, type FindingLifecycle } from '../shared/findings/lifecycle.ts';
import { subjectScope, type FindingsStore } from '../shared/findings/findings-store.ts';
import type { EventPublisher } from '../shared/ports.ts';
import { addMinutes, MINUTE_MS } from '../shared/time.ts';
import type { AlarmChange } from './cloudwatch-alarm.ts';
import { evaluate, type EpisodeEffect, type SeriesState } from './episode-evaluation.ts';
import { alreadyTallied, tallyDatapoint, windowEndOf, type ClosedWindow, type WindowTally } from './percentile-window.ts';
import { advanceWindow, takeSlowQuery, worstStatements, type ModuleSlowSql, type SlowSqlEffect } from './slow-sql.ts';
import type { SlowSqlStore } from './slow-sql-store.ts';
import { describeThreshold, evaluationRules, isBusinessMetric, type EvaluationRules, type MetricRule } from './threshold-rules.ts';
import type { HostState, ThresholdStore } from './threshold-state.ts';

export const DETECTED_BY = 'threshold-alerts';
const MAX_ATTEMPTS = 8;

export interface ThresholdDeps {
  readonly store: ThresholdStore;
  readonly slowSql: SlowSqlStore;
  readonly findings: FindingsStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
  /** Samples never enter the audit trail: the month's mark is what tells the evidence pack 3.1 was fed. */
  readonly feed: ControlFeed;
}

/** What the metric-sample flow needs (the slow-SQL store is for slow queries only). */
export type SampleDeps = Omit<ThresholdDeps, 'slowSql'>;
/** What the silence sweep needs: no feed (a silent host is no data). */
export type SilenceDeps = Omit<SampleDeps, 'feed'>;

export interface SampleOutcome {
  readonly datapoints: number;
  readonly opened: string[];
  readonly resolved: string[];
  readonly written: boolean;
}

/** How often a steady host's `seenAt` is written: a third of the silence limit (at least a minute). */
export const heartbeatMinutes = (rules: EvaluationRules) => Math.max(1, Math.floor(rules.silentAfterMinutes / 3));
const silenceDue = (rules: EvaluationRules, seenAt: string) => addMinutes(seenAt, rules.silentAfterMinutes + heartbeatMinutes(rules)).toISOString();

export const seriesKey = (point: { metric: string; volume?: string; module?: string }) => `${point.metric}${point.volume ? `:${point.volume}` : ''}${point.module ? `@${point.module}` : ''}`;

const rulesByPolicy = new WeakMap<Policy, EvaluationRules>();

function context(deps: Pick<ThresholdDeps, 'findings' | 'publisher' | 'policy'>) {
  let rules = rulesByPolicy.get(deps.policy);
  if (rules === undefined) rulesByPolicy.set(deps.policy, (rules = evaluationRules(deps.policy)));
  return { lifecycle: findingLifecycle({ store: deps.findings, publisher: deps.publisher }, DETECTED_BY), rules };
}

const controlOf = (rule: MetricRule) => (rule.metric === 'order-latency' || rule.metric === 'report-duration' ? '3.2' : '3.1');
const fmt = (rule: MetricRule, value: number) => `${value}${rule.unit === '%' ? ' %' : ' s'}`;

/** How a series is judged: sample by sample (resources) or as a percentile per window (business metrics). */
interface Judging {
  readonly fire: { readonly breaching: number; readonly ofLast: number };
  readonly clear: { readonly clearing: number; readonly ofLast: number };
  readonly flapping: { readonly transitions: number; readonly windowMinutes: number };
  /** Set for percentile windows: "p95 over 5-min windows". */
  readonly percentile?: { readonly p: number; readonly windowMinutes: number };
}

const judgingOf = (rules: EvaluationRules, metric: MetricName): Judging =>
  isBusinessMetric(metric) ? { ...rules.windows, percentile: { p: rules.windows.percentile, windowMinutes: rules.windows.windowMinutes } } : rules;
const units = (judging: Judging) => (judging.percentile ? `${judging.percentile.windowMinutes}-minute windows` : 'samples');
const measured = (rule: MetricRule, judging: Judging) => (judging.percentile ? `p${judging.percentile.p} ${rule.label.charAt(0).toLowerCase()}${rule.label.slice(1)}` : rule.label);

function episodeFinding(lifecycle: FindingLifecycle, judging: Judging, rule: MetricRule, host: string, key: string, point: { volume?: string; module?: string }, effect: Extract<EpisodeEffect, { kind: 'opened' | 'flapping' }>, eventId: string, window?: ClosedWindow): Finding {
  const { episode } = effect;
  const where = [point.volume ? `volume ${point.volume}` : '', point.module ? `module ${point.module}` : ''].filter(Boolean).join(', ');
  const subject = `${host}${where ? ` (${where})` : ''}`;
  const flapping = episode.flapping;
  const what = measured(rule, judging);
  const title = `${flapping ? 'Flapping: ' : ''}${judging.percentile ? `p${judging.percentile.p} ` : ''}${describeThreshold(rule)} on ${subject}`;
  return {
    findingId: lifecycle.id(controlOf(rule), 'threshold-breach', host, key, episode.startedAt),
    control: controlOf(rule),
    rule: 'threshold-breach',
    title,
    severity: rule.severity,
    mode: rule.mode,
    subject: { type: 'host', id: host, ...(where ? { name: subject } : {}) },
    summary: flapping
      ? `${what} on ${subject} keeps crossing ${fmt(rule, rule.fireAt)}: ${effect.kind === 'flapping' ? effect.transitions : judging.flapping.transitions}+ transitions within ${judging.flapping.windowMinutes} min; one episode since ${episode.startedAt}.`
      : `${what} on ${subject} was beyond ${fmt(rule, rule.fireAt)} in ${judging.fire.breaching} of the last ${judging.fire.ofLast} ${units(judging)} since ${episode.startedAt} (value ${fmt(rule, episode.firedValue)}${window ? ` over ${window.samples} samples, worst ${fmt(rule, window.max)}` : ''}); it clears when ${judging.clear.clearing} of the last ${judging.clear.ofLast} are at ${fmt(rule, rule.clearAt)} or better.`,
    facts: {
      host,
      metric: rule.metric,
      series: key,
      ...point,
      threshold: rule.fireAt,
      clearAt: rule.clearAt,
      firedValue: episode.firedValue,
      startedAt: episode.startedAt,
      flapping,
      ...(judging.percentile ? { percentile: judging.percentile.p, windowMinutes: judging.percentile.windowMinutes } : {}),
      ...(window ? { window: { start: window.start, end: window.end, samples: window.samples, max: window.max } } : {}),
    },
    eventIds: [eventId],
  };
}

/** An episode's incident (5.1): opened when the policy opens incidents at the episode's severity; its id is the finding's. */
async function openIncident(deps: Pick<ThresholdDeps, 'publisher'>, rules: EvaluationRules, severity: IncidentSeverity, incidentId: string, title: string, description: string, detectedAt: string, module: string | undefined): Promise<boolean> {
  if (!rules.incidents.open.includes(severity)) return false;
  await deps.publisher.publish([
    {
      source: findingSource(DETECTED_BY),
      detailType: 'Incident Opened',
      detail: { schemaVersion: 1, incidentId, severity, title: title.slice(0, 512), reportedBy: DETECTED_BY, detectedAt, description: description.slice(0, 4000), ...(module ? { modules: [module] } : {}) },
      resources: [],
    },
  ]);
  return true;
}

async function resolveIncident(deps: Pick<ThresholdDeps, 'publisher'>, rules: EvaluationRules, severity: IncidentSeverity, incidentId: string, resolution: string): Promise<boolean> {
  if (!rules.incidents.open.includes(severity)) return false;
  await deps.publisher.publish([{ source: findingSource(DETECTED_BY), detailType: 'Incident Resolved', detail: { schemaVersion: 1, incidentId, resolvedBy: DETECTED_BY, resolution: resolution.slice(0, 4000) }, resources: [] }]);
  return true;
}

/** Takes a Metric Sample's datapoints into the host's series, and marks control 3.1 fed for the sample's month. */
export async function recordSample(deps: SampleDeps, sample: MetricSample, eventId: string, eventTime: string): Promise<SampleOutcome> {
  const outcome = await takeSample(deps, sample, eventId, eventTime);
  await deps.feed.markFed('3.1', new Date(eventTime));
  return outcome;
}

async function takeSample(deps: SilenceDeps, sample: MetricSample, eventId: string, eventTime: string): Promise<SampleOutcome> {
  const { lifecycle, rules } = context(deps);
  const points = sampleDatapoints(sample, eventTime).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const scope = subjectScope(DETECTED_BY, sample.host);
  for (let attempt = 1; ; attempt++) {
    const before = await deps.store.get(sample.host);
    const series: Record<string, SeriesState> = { ...(before?.series ?? {}) };
    let changed = false;
    const opened: string[] = [];
    const resolved: string[] = [];
    let newest = before?.seenAt;
    const windows: Record<string, WindowTally> = { ...(before?.windows ?? {}) };
    const tallied = new Set(Object.entries(windows).filter(([, tally]) => alreadyTallied(tally, eventId)).map(([key]) => key));
    for (const point of points) {
      const rule = rules.metrics[point.metric];
      const judging = judgingOf(rules, point.metric);
      const key = seriesKey(point);
      if (newest === undefined || point.at > newest) newest = point.at;
      let value = point.value;
      let at = point.at;
      let window: ClosedWindow | undefined;
      if (judging.percentile && (point.statistic === undefined || point.statistic === 'sample')) {
        // Single readings of a business metric: tallied into the window; a closed window is one value.
        if (tallied.has(key)) continue;
        const tally = tallyDatapoint(windows[key], rule, rules.windows, point.value, point.at, eventId);
        if (tally.changed) {
          windows[key] = tally.tally;
          changed = true;
        }
        if (tally.closed?.value === undefined) continue;
        window = tally.closed;
        value = tally.closed.value;
        at = tally.closed.end;
      }
      const step = evaluate(series[key], rule, judging, value, at);
      if (step.changed) {
        series[key] = step.state;
        changed = true;
      }
      const extra = { ...(point.volume ? { volume: point.volume } : {}), ...(point.module ? { module: point.module } : {}) };
      const incidentSeverity = rules.incidents.severity[point.metric];
      for (const effect of step.effects) {
        const effectAt = new Date(effect.at);
        const id = lifecycle.id(controlOf(rule), 'threshold-breach', sample.host, key, effect.episode.startedAt);
        if (effect.kind === 'closed') {
          const overMinutes = Math.round((Date.parse(effect.at) - Date.parse(effect.episode.startedAt)) / MINUTE_MS);
          const how = {
            summary: `${measured(rule, judging)} on ${sample.host}${point.module ? ` (module ${point.module})` : ''} cleared at ${effect.at}: ${judging.clear.clearing} of the last ${judging.clear.ofLast} ${units(judging)} at ${fmt(rule, rule.clearAt)} or better (latest ${fmt(rule, effect.value)}); over threshold ${overMinutes} min, peak ${fmt(rule, effect.episode.peak)}.`,
            facts: { series: key, startedAt: effect.episode.startedAt, clearedAt: effect.at, overThresholdMinutes: overMinutes, peak: effect.episode.peak, flapping: effect.episode.flapping },
            eventIds: [eventId],
          };
          if (await lifecycle.resolve(scope, id, how, effectAt)) resolved.push(id);
          await resolveIncident(deps, rules, incidentSeverity, id, how.summary);
        } else {
          const finding = episodeFinding(lifecycle, judging, rule, sample.host, key, extra, effect, eventId, window);
          const result = await lifecycle.raise(scope, finding, effectAt);
          if (result === 'opened' || result === 'reopened') opened.push(finding.findingId);
          // Published on every evaluation that opens the episode (a redelivery before the state write
          // publishes it again): incident-response keeps the first opening of an incident id.
          if (effect.kind === 'opened') await openIncident(deps, rules, incidentSeverity, finding.findingId, finding.title, finding.summary, effect.episode.startedAt, point.module);
        }
      }
    }
    let silentSince = before?.silentSince;
    if (silentSince !== undefined && newest !== undefined && newest > silentSince) {
      const id = lifecycle.id('3.1', 'host-silent', sample.host, silentSince);
      const summary = `${sample.host} reports again (sample at ${newest}) after being silent since ${silentSince}.`;
      if (await lifecycle.resolve(scope, id, { summary, eventIds: [eventId] }, new Date(newest))) resolved.push(id);
      await resolveIncident(deps, rules, rules.incidents.severity['host-silent'], id, summary);
      silentSince = undefined;
      changed = true;
    }
    const heartbeatDue = newest !== undefined && (before?.seenAt === undefined || Date.parse(newest) - Date.parse(before.seenAt) >= heartbeatMinutes(rules) * MINUTE_MS);
    if (!changed && !heartbeatDue) return { datapoints: points.length, opened, resolved, written: false };
    const seenAt = heartbeatDue ? newest : before?.seenAt;
    const next: HostState = { host: sample.host, version: (before?.version ?? 0) + 1, series, ...(Object.keys(windows).length > 0 ? { windows } : {}), ...(seenAt ? { seenAt } : {}), ...(silentSince ? { silentSince } : {}) };
    if (await deps.store.save(next, seenAt && !silentSince ? silenceDue(rules, seenAt) : undefined)) return { datapoints: points.length, opened, resolved, written: true };
    if (attempt >= MAX_ATTEMPTS) throw new Error(`threshold state of ${sample.host} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }
}

/** Hosts that stopped reporting: each is one finding until it reports again. */
export async function sweepSilentHosts(deps: SilenceDeps, firedAt: Date): Promise<{ silent: string[] }> {
  const { lifecycle, rules } = context(deps);
  const silent: string[] = [];
  for (const host of await deps.store.silentBefore(firedAt)) {
    if (host.silentSince !== undefined || host.seenAt === undefined) continue;
    const since = host.seenAt;
    const finding: Finding = {
      findingId: lifecycle.id('3.1', 'host-silent', host.host, since),
      control: '3.1',
      rule: 'host-silent',
      title: `${host.host} stopped reporting metrics`,
      severity: 'high',
      mode: 'enforce',
      subject: { type: 'host', id: host.host },
      summary: `No metric sample from ${host.host} since about ${since} (silence limit ${rules.silentAfterMinutes} min): its thresholds cannot be judged, which is not the same as OK.`,
      facts: { host: host.host, lastSeenAt: since, silentAfterMinutes: rules.silentAfterMinutes, openEpisodes: Object.entries(host.series).filter(([, s]) => s.episode).map(([k]) => k) },
      eventIds: [],
    };
    // Marked silent (and off the silence index) first: a lost race means the host just
    // reported, and no finding is raised that nothing would resolve.
    if (!(await deps.store.save({ ...host, version: host.version + 1, silentSince: since }, undefined))) continue;
    await lifecycle.raise(subjectScope(DETECTED_BY, host.host), finding, firedAt);
    await openIncident(deps, rules, rules.incidents.severity['host-silent'], finding.findingId, finding.title, finding.summary, since, undefined);
    silent.push(host.host);
  }
  return { silent };
}

/** A CloudWatch alarm in ALARM is a finding naming it; OK resolves it. Older changes than the last one applied are ignored. */
export async function recordAlarmChange(deps: Pick<ThresholdDeps, 'findings' | 'publisher' | 'policy'>, alarm: AlarmChange, eventId: string): Promise<'raised' | 'resolved' | 'ignored'> {
  const { lifecycle } = context(deps);
  const key = `${alarm.account}/${alarm.region}/${alarm.alarmName}`;
  const scope = subjectScope(DETECTED_BY, `cloudwatch/${key}`);
  const findingId = lifecycle.id('3.1', 'cloudwatch-alarm', key);
  const current = (await lifecycle.findingsIn(scope)).find((f) => f.findingId === findingId);
  // Same or older than what was applied: a replay or a late delivery.
  if (current !== undefined && current.updatedAt >= alarm.at) return 'ignored';
  const at = new Date(alarm.at);
  if (alarm.state === 'ALARM') {
    const finding: Finding = {
      findingId,
      control: '3.1',
      rule: 'cloudwatch-alarm',
      title: `CloudWatch alarm "${alarm.alarmName}" is in ALARM`,
      severity: 'high',
      mode: 'enforce',
      subject: { type: 'cloudwatch-alarm', id: alarm.arn ?? key, name: alarm.alarmName },
      summary: `CloudWatch alarm "${alarm.alarmName}" (${alarm.account}, ${alarm.region}) went from ${alarm.previousState ?? 'unknown'} to ALARM at ${alarm.at}${alarm.reason ? `: ${alarm.reason}` : ''}`,
      facts: { alarmName: alarm.alarmName, account: alarm.account, region: alarm.region, previousState: alarm.previousState ?? null, metrics: [...alarm.metrics], ...(alarm.threshold !== undefined ? { threshold: alarm.threshold } : {}), ...(alarm.description ? { description: alarm.description } : {}) },
      eventIds: [eventId],
    };
    const result = await lifecycle.raise(scope, finding, at);
    return result === 'unchanged' ? 'ignored' : 'raised';
  }
  if (alarm.state === 'OK') {
    return (await lifecycle.resolve(scope, findingId, { summary: `CloudWatch alarm "${alarm.alarmName}" returned to OK at ${alarm.at}${alarm.reason ? `: ${alarm.reason}` : ''}`, eventIds: [eventId] }, at)) ? 'resolved' : 'ignored';
  }
  // INSUFFICIENT_DATA: the alarm cannot judge; an open finding stays open (not silently OK).
  return 'ignored';
}

export interface SlowSqlOutcome {
  readonly counted: boolean;
  readonly raised: string[];
  readonly resolved: string[];
}

const slowSqlScope = (module: string) => subjectScope(DETECTED_BY, `slow-sql/${module}`);
const slowSqlDue = (rules: EvaluationRules, state: ModuleSlowSql) => {
  if (state.episodeStartedAt === undefined) return undefined;
  const end = windowEndOf(state.windowStart, rules.slowSql);
  // A hot window keeps the episode through the next one: judged when that one ends.
  return state.executions >= rules.slowSql.findingAtExecutions ? windowEndOf(end, rules.slowSql) : end;
};

function slowSqlFinding(lifecycle: FindingLifecycle, rules: EvaluationRules, state: ModuleSlowSql, startedAt: string, eventIds: string[]): Finding {
  const worst = worstStatements(state, rules.slowSql.worstStatements);
  const { module } = state;
  const named = worst.map((w, i) => `${i + 1}. ${w.statement ?? w.fingerprint} — ${w.executions}× , ${w.totalSeconds} s in all, slowest ${w.maxSeconds} s`).join('; ');
  return {
    findingId: lifecycle.id('3.3', 'slow-sql', module, startedAt),
    control: '3.3',
    rule: 'slow-sql',
    title: `Slow SQL hot spot in module ${module}`,
    severity: 'medium',
    mode: rules.slowSql.mode,
    subject: { type: 'erp-module', id: module, name: module },
    summary: `Module ${module} ran ${state.executions} statements (so far; the evidence is refreshed at ${rules.slowSql.findingAtExecutions} and each doubling) slower than ${rules.slowSql.minSeconds} s in the ${rules.slowSql.windowMinutes}-minute window from ${state.windowStart} (finding at ${rules.slowSql.findingAtExecutions}); worst by total time: ${named}${state.otherExecutions > 0 ? `; ${state.otherExecutions} more executions of other statements` : ''}.`,
    facts: { module, windowStart: state.windowStart, windowMinutes: rules.slowSql.windowMinutes, executions: state.executions, statements: Object.keys(state.statements).length, worstStatements: worst, episodeStartedAt: startedAt },
    eventIds,
  };
}

async function applySlowSqlEffects(lifecycle: FindingLifecycle, rules: EvaluationRules, state: ModuleSlowSql, effects: readonly SlowSqlEffect[], eventIds: string[]): Promise<{ raised: string[]; resolved: string[] }> {
  const raised: string[] = [];
  const resolved: string[] = [];
  const scope = slowSqlScope(state.module);
  for (const effect of effects) {
    if (effect.kind === 'cooled') {
      const id = lifecycle.id('3.3', 'slow-sql', state.module, effect.startedAt);
      const how = { summary: `Module ${state.module} ran ${effect.window.executions} slow statements in the window from ${effect.window.start} (under ${rules.slowSql.findingAtExecutions}): the hot spot cooled by ${effect.at}.`, facts: { window: effect.window }, eventIds };
      if (await lifecycle.resolve(scope, id, how, new Date(effect.at))) resolved.push(id);
    } else {
      const finding = slowSqlFinding(lifecycle, rules, state, effect.startedAt, eventIds);
      const result = await lifecycle.raise(scope, finding, new Date(effect.at));
      if (result !== 'unchanged') raised.push(finding.findingId);
    }
  }
  return { raised, resolved };
}

/** Counts a Slow Query against its module and statement fingerprint (3.3). */
export async function recordSlowQuery(deps: ThresholdDeps, query: SlowQuery, eventId: string, eventTime: string): Promise<SlowSqlOutcome> {
  const { lifecycle, rules } = context(deps);
  const module = query.module ?? `unknown-module@${query.system}`;
  const input = { module, queryFingerprint: query.queryFingerprint, durationSeconds: query.durationSeconds, at: new Date(eventTime).toISOString(), eventId, ...(query.statement ? { statement: query.statement } : {}), ...(query.tables ? { tables: query.tables } : {}) };
  for (let attempt = 1; ; attempt++) {
    const before = await deps.slowSql.get(module);
    const step = takeSlowQuery(before, rules.slowSql, input);
    if (!step.changed) return { counted: false, raised: [], resolved: [] };
    const next = { ...step.state, version: (before?.version ?? 0) + 1 };
    // Findings first: a crash before the write is redelivered and raises the same (stable) ids again.
    const out = await applySlowSqlEffects(lifecycle, rules, next, step.effects, [eventId]);
    if (await deps.slowSql.save(next, slowSqlDue(rules, next))) return { counted: true, ...out };
    if (attempt >= MAX_ATTEMPTS) throw new Error(`slow-SQL state of module ${module} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }
}

/** Modules whose slow-SQL hot spot may have cooled: their window ended with no later slow execution to close it. */
export async function sweepSlowSql(deps: ThresholdDeps, firedAt: Date): Promise<{ resolved: string[] }> {
  const { lifecycle, rules } = context(deps);
  const resolved: string[] = [];
  for (const due of await deps.slowSql.dueBefore(firedAt)) {
    const step = advanceWindow(due, rules.slowSql, firedAt.toISOString());
    if (!step.changed) continue;
    const next = { ...step.state, version: due.version + 1 };
    const out = await applySlowSqlEffects(lifecycle, rules, next, step.effects, []);
    if (await deps.slowSql.save(next, slowSqlDue(rules, next))) resolved.push(...out.resolved);
  }
  return { resolved };
}
