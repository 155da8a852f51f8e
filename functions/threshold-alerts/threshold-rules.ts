/**
 * The thresholds of guide 3.1–3.2 as the evaluator uses them, from the policy: per metric its
 * fire threshold (the guide's figure: "CPU ≤ 75 %" means 75 is fine and 75.1 breaches), its
 * clear threshold on the safe side (hysteresis), which side is bad, and the M-of-N rules.
 * Pure.
 */
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import type { MetricName } from '../../schemas/details/performance.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { RuleMode, Severity } from '../shared/findings/finding.ts';

export interface MetricRule {
  readonly metric: MetricName;
  readonly mode: RuleMode;
  /** 'above': higher is worse (cpu, memory, latency); 'below': lower is worse (free disk). */
  readonly badWhen: 'above' | 'below';
  /** The guide's figure: a value beyond it (strictly) breaches; equal is fine. */
  readonly fireAt: number;
  /** A value at or on the safe side of this counts towards clearing. */
  readonly clearAt: number;
  readonly unit: '%' | 's';
  readonly label: string;
  readonly severity: Severity;
}

export interface EvaluationRules {
  readonly metrics: Readonly<Record<MetricName, MetricRule>>;
  readonly fire: { readonly breaching: number; readonly ofLast: number };
  readonly clear: { readonly clearing: number; readonly ofLast: number };
  readonly silentAfterMinutes: number;
  readonly flapping: { readonly transitions: number; readonly windowMinutes: number };
  /** Business metrics (3.2): percentile windows, and the M-of-N over judged windows. */
  readonly windows: {
    readonly percentile: number;
    readonly windowMinutes: number;
    readonly minSamples: number;
    readonly fire: { readonly breaching: number; readonly ofLast: number };
    readonly clear: { readonly clearing: number; readonly ofLast: number };
    readonly flapping: { readonly transitions: number; readonly windowMinutes: number };
  };
  readonly slowSql: { readonly mode: RuleMode; readonly minSeconds: number; readonly windowMinutes: number; readonly findingAtExecutions: number; readonly worstStatements: number };
  /** Incident severity of an episode per metric (and of a silent host); which severities open incidents (none when off). */
  readonly incidents: { readonly open: readonly IncidentSeverity[]; readonly severity: Readonly<Record<MetricName | 'host-silent', IncidentSeverity>> };
}

/** Metrics judged as percentiles over windows per ERP module (3.2), not sample by sample. */
export const isBusinessMetric = (metric: MetricName) => metric === 'order-latency' || metric === 'report-duration';

/** Default clear thresholds when the policy names none: 5 points inside a percentage, 75 % of a duration. */
const PERCENT_CLEAR_MARGIN = 5;
const SECONDS_CLEAR_FACTOR = 0.75;

export function evaluationRules(policy: Policy): EvaluationRules {
  const { cpu, memory, diskFree, orderLatency, reportDuration, thresholdEvaluation, businessPercentiles, slowQueries, incidents } = policy.performance;
  return {
    metrics: {
      cpu: { metric: 'cpu', mode: cpu.mode, badWhen: 'above', fireAt: cpu.maxPercent, clearAt: cpu.clearAtPercent ?? Math.max(0, cpu.maxPercent - PERCENT_CLEAR_MARGIN), unit: '%', label: 'CPU use', severity: 'medium' },
      memory: { metric: 'memory', mode: memory.mode, badWhen: 'above', fireAt: memory.maxPercent, clearAt: memory.clearAtPercent ?? Math.max(0, memory.maxPercent - PERCENT_CLEAR_MARGIN), unit: '%', label: 'Memory use', severity: 'medium' },
      'disk-free': { metric: 'disk-free', mode: diskFree.mode, badWhen: 'below', fireAt: diskFree.minPercent, clearAt: diskFree.clearAtPercent ?? Math.min(100, diskFree.minPercent + PERCENT_CLEAR_MARGIN), unit: '%', label: 'Free disk', severity: 'high' },
      'order-latency': { metric: 'order-latency', mode: orderLatency.mode, badWhen: 'above', fireAt: orderLatency.maxSeconds, clearAt: orderLatency.clearAtSeconds ?? orderLatency.maxSeconds * SECONDS_CLEAR_FACTOR, unit: 's', label: 'Order processing latency', severity: 'high' },
      'report-duration': { metric: 'report-duration', mode: reportDuration.mode, badWhen: 'above', fireAt: reportDuration.maxSeconds, clearAt: reportDuration.clearAtSeconds ?? reportDuration.maxSeconds * SECONDS_CLEAR_FACTOR, unit: 's', label: 'Report generation time', severity: 'medium' },
    },
    fire: thresholdEvaluation.fire,
    clear: thresholdEvaluation.clear,
    silentAfterMinutes: thresholdEvaluation.missingData.silentAfterMinutes,
    flapping: thresholdEvaluation.flapping,
    windows: {
      percentile: businessPercentiles.percentile,
      windowMinutes: businessPercentiles.windowMinutes,
      minSamples: businessPercentiles.minSamples,
      fire: businessPercentiles.fire,
      clear: businessPercentiles.clear,
      // Flapping counted over windows: the same number of transitions, over as many windows as the sample rule's minutes.
      flapping: { transitions: thresholdEvaluation.flapping.transitions, windowMinutes: thresholdEvaluation.flapping.windowMinutes * businessPercentiles.windowMinutes },
    },
    slowSql: slowQueries,
    incidents: {
      open: incidents.openFromEpisodes ? incidents.openAt : [],
      severity: { cpu: incidents.severity.cpu, memory: incidents.severity.memory, 'disk-free': incidents.severity.diskFree, 'order-latency': incidents.severity.orderLatency, 'report-duration': incidents.severity.reportDuration, 'host-silent': incidents.severity.hostSilent },
    },
  };
}

/** B: beyond the fire threshold; C: on the safe side of the clear threshold; N: between (the hysteresis band). */
export type Outcome = 'B' | 'C' | 'N';

export function classify(rule: MetricRule, value: number): Outcome {
  if (rule.badWhen === 'above') return value > rule.fireAt ? 'B' : value <= rule.clearAt ? 'C' : 'N';
  return value < rule.fireAt ? 'B' : value >= rule.clearAt ? 'C' : 'N';
}

/** "CPU use above 75 %" / "Free disk below 20 %". */
export const describeThreshold = (rule: MetricRule) => `${rule.label} ${rule.badWhen === 'above' ? 'above' : 'below'} ${rule.fireAt}${rule.unit === '%' ? ' %' : ' s'}`;
