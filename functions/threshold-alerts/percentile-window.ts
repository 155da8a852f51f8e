/**
 * Business thresholds (guide 3.2) as percentiles over a window: the order-submit latencies or
 * report durations of one ERP module are tallied in tumbling windows (aligned to the clock),
 * and each closed window yields one value, its percentile, which then opens and clears
 * episodes like any series (episode-evaluation.ts, with the window M-of-N). Pure.
 *
 * Compact: a window is a handful of counters, not its samples. The values are counted in
 * buckets whose bounds include the rule's clear and fire thresholds, so whether the window's
 * percentile breaches, sits in the hysteresis band or clears is exact (nearest rank); the
 * value reported is the largest value seen in the percentile's bucket: a real reading, at
 * least the percentile and never more than its bucket allows, so it classifies the same.
 *
 * Redelivery: datapoints older than the newest one taken in are skipped, and an event whose id
 * is the last one applied is skipped whole (a crash after the write is the usual redelivery).
 */
import { MINUTE_MS } from '../shared/time.ts';
import type { MetricRule } from './threshold-rules.ts';

export interface WindowRules {
  readonly percentile: number;
  readonly windowMinutes: number;
  readonly minSamples: number;
}

export interface WindowTally {
  /** Start of the window (ISO). */
  readonly start: string;
  readonly n: number;
  /** Counts per bucket of `bucketBounds(rule)` (the last bucket is open-ended). */
  readonly buckets: readonly number[];
  /** Largest value seen per bucket (0 for an empty one). */
  readonly bucketMax: readonly number[];
  readonly max: number;
  /** Newest datapoint taken in. */
  readonly lastAt: string;
  readonly lastEventId: string;
}

export interface ClosedWindow {
  readonly start: string;
  readonly end: string;
  readonly samples: number;
  /** The window's percentile (as `percentileValue` bounds it), undefined when too few samples. */
  readonly value?: number;
  readonly max: number;
}

/** Upper bounds of the buckets: the clear and fire thresholds, then multiples of the fire threshold; values above the last fall in an open bucket. */
export function bucketBounds(rule: Pick<MetricRule, 'clearAt' | 'fireAt'>): number[] {
  const f = rule.fireAt;
  return [rule.clearAt, f, 1.5 * f, 2 * f, 3 * f, 5 * f, 10 * f];
}

export const windowStartOf = (at: string, rules: Pick<WindowRules, 'windowMinutes'>) => {
  const size = rules.windowMinutes * MINUTE_MS;
  return new Date(Math.floor(Date.parse(at) / size) * size).toISOString();
};
export const windowEndOf = (start: string, rules: Pick<WindowRules, 'windowMinutes'>) => new Date(Date.parse(start) + rules.windowMinutes * MINUTE_MS).toISOString();

function bucketOf(bounds: readonly number[], value: number): number {
  const i = bounds.findIndex((bound) => value <= bound);
  return i === -1 ? bounds.length : i;
}

/** The window's percentile (nearest rank), bounded as the header says; undefined below `minSamples`. */
export function percentileValue(tally: WindowTally, rule: Pick<MetricRule, 'clearAt' | 'fireAt'>, rules: WindowRules): number | undefined {
  if (tally.n < rules.minSamples || tally.n === 0) return undefined;
  const bounds = bucketBounds(rule);
  const rank = Math.ceil((rules.percentile / 100) * tally.n);
  let seen = 0;
  for (let i = 0; i < tally.buckets.length; i++) {
    seen += tally.buckets[i] ?? 0;
    if (seen >= rank) return tally.bucketMax[i] ?? Math.min(bounds[i] ?? tally.max, tally.max);
  }
  return tally.max;
}

export interface TallyStep {
  readonly tally: WindowTally;
  /** Windows that closed before this datapoint's window (at most one: the window tallied so far). */
  readonly closed?: ClosedWindow;
  readonly changed: boolean;
}

/** Takes one datapoint into the tally; a datapoint of a later window closes the current one. The caller skips an event `alreadyTallied` whole. */
export function tallyDatapoint(before: WindowTally | undefined, rule: Pick<MetricRule, 'clearAt' | 'fireAt'>, rules: WindowRules, value: number, at: string, eventId: string): TallyStep {
  if (before !== undefined && Date.parse(at) < Date.parse(before.lastAt)) return { tally: before, changed: false };
  const bounds = bucketBounds(rule);
  const start = windowStartOf(at, rules);
  let closed: ClosedWindow | undefined;
  let base = before;
  if (before !== undefined && start > before.start) {
    const pValue = percentileValue(before, rule, rules);
    closed = { start: before.start, end: windowEndOf(before.start, rules), samples: before.n, max: before.max, ...(pValue !== undefined ? { value: pValue } : {}) };
    base = undefined;
  }
  const buckets = base ? [...base.buckets] : new Array<number>(bounds.length + 1).fill(0);
  const bucketMax = base ? [...base.bucketMax] : new Array<number>(bounds.length + 1).fill(0);
  const slot = bucketOf(bounds, value);
  buckets[slot] = (buckets[slot] ?? 0) + 1;
  bucketMax[slot] = Math.max(bucketMax[slot] ?? 0, value);
  const tally: WindowTally = { start: base?.start ?? start, n: (base?.n ?? 0) + 1, buckets, bucketMax, max: Math.max(base?.max ?? value, value), lastAt: at, lastEventId: eventId };
  return { tally, changed: true, ...(closed ? { closed } : {}) };
}

/** Whether a redelivered event already went into the tally (skip it whole). */
export const alreadyTallied = (tally: WindowTally | undefined, eventId: string) => tally !== undefined && tally.lastEventId === eventId;
