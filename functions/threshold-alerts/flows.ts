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
import { sampleDatapoints, type MetricSample } from '../../schemas/details/performance.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { Finding } from '../shared/findings/finding.ts';
import { findingLifecycle, type FindingLifecycle } from '../shared/findings/lifecycle.ts';
import { subjectScope, type FindingsStore } from '../shared/findings/findings-store.ts';
import type { EventPublisher } from '../shared/ports.ts';
import { addMinutes, MINUTE_MS } from '../shared/time.ts';
import type { AlarmChange } from './cloudwatch-alarm.ts';
import { evaluate, type EpisodeEffect, type SeriesState } from './episode-evaluation.ts';
import { describeThreshold, evaluationRules, type EvaluationRules, type MetricRule } from './threshold-rules.ts';
import type { HostState, ThresholdStore } from './threshold-state.ts';

export const DETECTED_BY = 'threshold-alerts';
const MAX_ATTEMPTS = 8;

export interface ThresholdDeps {
  readonly store: ThresholdStore;
  readonly findings: FindingsStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
}

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

function episodeFinding(lifecycle: FindingLifecycle, rules: EvaluationRules, rule: MetricRule, host: string, key: string, point: { volume?: string; module?: string }, effect: Extract<EpisodeEffect, { kind: 'opened' | 'flapping' }>, eventId: string): Finding {
  const { episode } = effect;
  const where = [point.volume ? `volume ${point.volume}` : '', point.module ? `module ${point.module}` : ''].filter(Boolean).join(', ');
  const subject = `${host}${where ? ` (${where})` : ''}`;
  const flapping = episode.flapping;
  return {
    findingId: lifecycle.id(controlOf(rule), 'threshold-breach', host, key, episode.startedAt),
    control: controlOf(rule),
    rule: 'threshold-breach',
    title: `${flapping ? 'Flapping: ' : ''}${describeThreshold(rule)} on ${subject}`,
    severity: rule.severity,
    mode: rule.mode,
    subject: { type: 'host', id: host, ...(where ? { name: subject } : {}) },
    summary: flapping
      ? `${rule.label} on ${subject} keeps crossing ${fmt(rule, rule.fireAt)}: ${effect.kind === 'flapping' ? effect.transitions : rules.flapping.transitions}+ transitions within ${rules.flapping.windowMinutes} min; one episode since ${episode.startedAt}.`
      : `${rule.label} on ${subject} was beyond ${fmt(rule, rule.fireAt)} in ${rules.fire.breaching} of the last ${rules.fire.ofLast} samples since ${episode.startedAt} (value ${fmt(rule, episode.firedValue)}); it clears when ${rules.clear.clearing} of the last ${rules.clear.ofLast} are at ${fmt(rule, rule.clearAt)} or better.`,
    facts: { host, metric: rule.metric, series: key, ...point, threshold: rule.fireAt, clearAt: rule.clearAt, firedValue: episode.firedValue, startedAt: episode.startedAt, flapping },
    eventIds: [eventId],
  };
}

/** Takes a Metric Sample's datapoints into the host's series. */
export async function recordSample(deps: ThresholdDeps, sample: MetricSample, eventId: string, eventTime: string): Promise<SampleOutcome> {
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
    for (const point of points) {
      const rule = rules.metrics[point.metric];
      const key = seriesKey(point);
      const step = evaluate(series[key], rule, rules, point.value, point.at);
      if (step.changed) {
        series[key] = step.state;
        changed = true;
      }
      if (newest === undefined || point.at > newest) newest = point.at;
      const extra = { ...(point.volume ? { volume: point.volume } : {}), ...(point.module ? { module: point.module } : {}) };
      for (const effect of step.effects) {
        const at = new Date(effect.at);
        if (effect.kind === 'closed') {
          const id = lifecycle.id(controlOf(rule), 'threshold-breach', sample.host, key, effect.episode.startedAt);
          const overMinutes = Math.round((Date.parse(effect.at) - Date.parse(effect.episode.startedAt)) / MINUTE_MS);
          const how = {
            summary: `${rule.label} on ${sample.host} cleared at ${effect.at}: ${rules.clear.clearing} of the last ${rules.clear.ofLast} samples at ${fmt(rule, rule.clearAt)} or better (latest ${fmt(rule, effect.value)}); over threshold ${overMinutes} min, peak ${fmt(rule, effect.episode.peak)}.`,
            facts: { series: key, startedAt: effect.episode.startedAt, clearedAt: effect.at, overThresholdMinutes: overMinutes, peak: effect.episode.peak, flapping: effect.episode.flapping },
            eventIds: [eventId],
          };
          if (await lifecycle.resolve(scope, id, how, at)) resolved.push(id);
        } else {
          const finding = episodeFinding(lifecycle, rules, rule, sample.host, key, extra, effect, eventId);
          const result = await lifecycle.raise(scope, finding, at);
          if (result === 'opened' || result === 'reopened') opened.push(finding.findingId);
        }
      }
    }
    let silentSince = before?.silentSince;
    if (silentSince !== undefined && newest !== undefined && newest > silentSince) {
      const id = lifecycle.id('3.1', 'host-silent', sample.host, silentSince);
      if (await lifecycle.resolve(scope, id, { summary: `${sample.host} reports again (sample at ${newest}) after being silent since ${silentSince}.`, eventIds: [eventId] }, new Date(newest))) resolved.push(id);
      silentSince = undefined;
      changed = true;
    }
    const heartbeatDue = newest !== undefined && (before?.seenAt === undefined || Date.parse(newest) - Date.parse(before.seenAt) >= heartbeatMinutes(rules) * MINUTE_MS);
    if (!changed && !heartbeatDue) return { datapoints: points.length, opened, resolved, written: false };
    const seenAt = heartbeatDue ? newest : before?.seenAt;
    const next: HostState = { host: sample.host, version: (before?.version ?? 0) + 1, series, ...(seenAt ? { seenAt } : {}), ...(silentSince ? { silentSince } : {}) };
    if (await deps.store.save(next, seenAt && !silentSince ? silenceDue(rules, seenAt) : undefined)) return { datapoints: points.length, opened, resolved, written: true };
    if (attempt >= MAX_ATTEMPTS) throw new Error(`threshold state of ${sample.host} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }
}

/** Hosts that stopped reporting: each is one finding until it reports again. */
export async function sweepSilentHosts(deps: ThresholdDeps, firedAt: Date): Promise<{ silent: string[] }> {
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
