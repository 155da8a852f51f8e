/**
 * Threshold episodes of one series (a host's metric): the decision, pure.
 *
 * Each datapoint is classified (breach / clear / in the hysteresis band) and shifted into a
 * short window of the last outcomes. An episode opens when M of the last N breach, and clears
 * when M of the last N are on the safe side of the clear threshold; the window starts empty
 * after each transition, so the samples that opened an episode never count towards the next.
 * A series that keeps firing and clearing (`flapping.transitions` transitions within
 * `flapping.windowMinutes`) keeps one episode open, flagged as flapping, instead of opening
 * one per cycle; it closes once the transitions age out while the series is clear.
 *
 * Why this is cheap to keep durably: once the window holds only one kind of outcome and no
 * episode is flapping, another datapoint of the same kind leaves the state exactly as it was
 * (`unchanged`), so the store is not written. Only transitions and window changes are. A
 * redelivered datapoint is either older than the last written one (`lastAt`: skipped) or
 * one that changed nothing the first time (changes nothing again).
 */
import { MINUTE_MS } from '../shared/time.ts';
import { classify, type EvaluationRules, type MetricRule, type Outcome } from './threshold-rules.ts';

export interface Episode {
  readonly startedAt: string;
  /** The value that opened it. */
  readonly firedValue: number;
  /** The worst value seen while it was open. */
  readonly peak: number;
  readonly flapping: boolean;
}

export interface SeriesState {
  readonly phase: 'ok' | 'firing';
  /** The last outcomes since the last transition, oldest first (at most max(fire N, clear N)). */
  readonly window: string;
  /** Time of the newest datapoint this state took in (datapoints not newer are skipped). */
  readonly lastAt: string;
  /** Times of fire/clear transitions within the flapping window. */
  readonly transitions: readonly string[];
  readonly episode?: Episode;
}

export type EpisodeEffect =
  | { readonly kind: 'opened'; readonly episode: Episode; readonly at: string; readonly window: string }
  | { readonly kind: 'flapping'; readonly episode: Episode; readonly at: string; readonly transitions: number }
  | { readonly kind: 'closed'; readonly episode: Episode; readonly at: string; readonly value: number };

export interface Step {
  readonly state: SeriesState;
  /** False when the state is exactly as before (nothing to write). */
  readonly changed: boolean;
  readonly effects: readonly EpisodeEffect[];
}

export const windowLength = (rules: Pick<EvaluationRules, 'fire' | 'clear'>) => Math.max(rules.fire.ofLast, rules.clear.ofLast);
const count = (window: string, outcome: Outcome, last: number) => [...window.slice(-last)].filter((o) => o === outcome).length;
const worse = (rule: MetricRule, a: number, b: number) => (rule.badWhen === 'above' ? Math.max(a, b) : Math.min(a, b));

/** Takes one datapoint into the series. */
export function evaluate(before: SeriesState | undefined, rule: MetricRule, rules: Pick<EvaluationRules, 'fire' | 'clear' | 'flapping'>, value: number, at: string): Step {
  if (before !== undefined && Date.parse(at) <= Date.parse(before.lastAt)) return { state: before, changed: false, effects: [] };
  const outcome = classify(rule, value);
  const windowStart = Date.parse(at) - rules.flapping.windowMinutes * MINUTE_MS;
  const recentTransitions = (before?.transitions ?? []).filter((t) => Date.parse(t) > windowStart);
  let window = ((before?.window ?? '') + outcome).slice(-windowLength(rules));
  let phase = before?.phase ?? 'ok';
  let episode = before?.episode;
  let transitions = recentTransitions;
  const effects: EpisodeEffect[] = [];
  if (episode !== undefined && phase === 'firing') episode = { ...episode, peak: worse(rule, episode.peak, value) };

  if (phase === 'ok' && count(window, 'B', rules.fire.ofLast) >= rules.fire.breaching) {
    phase = 'firing';
    transitions = [...transitions, at];
    const fired = window;
    window = '';
    if (episode === undefined) {
      episode = { startedAt: at, firedValue: value, peak: value, flapping: false };
      effects.push({ kind: 'opened', episode, at, window: fired });
    } else {
      episode = { ...episode, peak: worse(rule, episode.peak, value) };
    }
  } else if (phase === 'firing' && count(window, 'C', rules.clear.ofLast) >= rules.clear.clearing) {
    phase = 'ok';
    transitions = [...transitions, at];
    window = '';
    if (episode !== undefined) {
      if (transitions.length >= rules.flapping.transitions) {
        if (!episode.flapping) {
          episode = { ...episode, flapping: true };
          effects.push({ kind: 'flapping', episode, at, transitions: transitions.length });
        }
      } else {
        effects.push({ kind: 'closed', episode, at, value });
        episode = undefined;
      }
    }
  } else if (phase === 'ok' && episode !== undefined && transitions.length < rules.flapping.transitions) {
    // A flapping episode ends once its transitions aged out while the series stayed clear.
    effects.push({ kind: 'closed', episode, at, value });
    episode = undefined;
  }
  if (phase === 'firing' && episode !== undefined && !episode.flapping && transitions.length >= rules.flapping.transitions) {
    episode = { ...episode, flapping: true };
    effects.push({ kind: 'flapping', episode, at, transitions: transitions.length });
  }

  const next: SeriesState = { phase, window, lastAt: at, transitions, ...(episode ? { episode } : {}) };
  const changed = before === undefined || !sameState(before, next);
  // Unchanged: keep the stored lastAt, so the item the store holds is exactly `before`.
  return { state: changed ? next : before, changed, effects };
}

/** Equal apart from `lastAt` (which alone never justifies a write). */
function sameState(a: SeriesState, b: SeriesState): boolean {
  return (
    a.phase === b.phase &&
    a.window === b.window &&
    a.transitions.length === b.transitions.length &&
    a.transitions.every((t, i) => t === b.transitions[i]) &&
    JSON.stringify(a.episode ?? null) === JSON.stringify(b.episode ?? null)
  );
}
