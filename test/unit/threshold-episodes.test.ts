import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { evaluate, type EpisodeEffect, type SeriesState } from '../../functions/threshold-alerts/episode-evaluation.ts';
import { classify, evaluationRules } from '../../functions/threshold-alerts/threshold-rules.ts';
import { expandSeries, series } from '../support/series.ts';

const rules = evaluationRules(defaultPolicy);
const START = '2026-03-02T09:00:00.000Z';

/** Runs a series through one metric's evaluation: the effects in order ("opened@3" = at the 4th sample) and the writes it took. */
function run(notation: string, metric: keyof typeof rules.metrics = 'cpu', every = '1m', start: SeriesState | undefined = undefined, r = rules) {
  let state = start;
  const effects: string[] = [];
  let writes = 0;
  const points = series(notation, START, every);
  points.forEach((point, i) => {
    const step = evaluate(state, r.metrics[metric], r, point.value, point.at);
    if (step.changed) writes++;
    state = step.state;
    effects.push(...step.effects.map((e: EpisodeEffect) => `${e.kind}@${i}`));
  });
  return { effects, writes, state };
}

describe('thresholds compared the way the guide says', () => {
  it.each([
    ['cpu', 75, 'N'], ['cpu', 75.1, 'B'], ['cpu', 70, 'C'], ['cpu', 70.1, 'N'],
    ['memory', 85, 'N'], ['memory', 85.1, 'B'], ['memory', 80, 'C'],
    ['disk-free', 20, 'N'], ['disk-free', 19.9, 'B'], ['disk-free', 25, 'C'],
    ['order-latency', 2, 'N'], ['order-latency', 2.01, 'B'], ['order-latency', 1.5, 'C'],
    ['report-duration', 30, 'N'], ['report-duration', 30.5, 'B'], ['report-duration', 22.5, 'C'],
  ] as const)('%s %d is %s', (metric, value, outcome) => {
    // N: in the hysteresis band (fine, but not yet clear).
    expect(classify(rules.metrics[metric], value)).toBe(outcome);
  });

  it('75 sustained never fires; 75.1 sustained does', () => {
    expect(run('75x10').effects).toEqual([]);
    expect(run('75.1x10').effects).toEqual(['opened@2']);
  });
});

describe('episodes with hysteresis and M-of-N (promtool-style series, one sample a minute)', () => {
  it('the issue\'s CPU series opens one episode and clears it once', () => {
    const { effects } = run('70 80 82 85 79 81 60 55 50 50 50');
    expect(effects).toEqual(['opened@3', 'closed@8']);
  });

  it('needs 3 of the last 5 to fire: two spikes do not', () => {
    expect(run('90 50 90 50 50 50 50').effects).toEqual([]);
    expect(run('90 50 90 50 90 50').effects).toEqual(['opened@4']);
  });

  it('the hysteresis band neither fires nor clears: 74 keeps an episode open, 70 clears it', () => {
    expect(run('80x2 74x5').effects).toEqual(['opened@2']);
    expect(run('80x2 74x5 70x2').effects).toEqual(['opened@2', 'closed@11']);
  });

  it('a replay of datapoints already taken in changes nothing', () => {
    const first = run('70 80 82 85 79 81 60 55 50 50 50');
    const again = run('70 80 82 85 79 81 60 55 50 50 50', 'cpu', '1m', first.state);
    expect(again.effects).toEqual([]);
    expect(again.writes).toBe(0);
  });

  it('a steady series is not written once its window is full', () => {
    expect(run('50x99').writes).toBe(5); // the window fills (1 … 5 outcomes), then nothing changes
    expect(run('90x99').writes).toBeLessThan(10);
  });

  it('flapping is one finding, not one per cycle', () => {
    // fire (3 breaches), clear (3 clears), repeated: 4 transitions within the hour make it flap.
    const { effects } = run('90x2 50x2 90x2 50x2 90x2 50x2 90x2 50x2');
    expect(effects).toEqual(['opened@2', 'closed@5', 'opened@8', 'flapping@11']);
    // The flapping episode closes once its transitions age out while the series is clear.
    const calm = run('90x2 50x2 90x2 50x2 90x2 50x2 90x2 50x65').effects;
    expect(calm.at(-1)).toMatch(/^closed@/);
    expect(calm.filter((e) => e.startsWith('opened'))).toHaveLength(2);
  });

  it('free disk fires below its minimum and clears above its clear threshold', () => {
    expect(run('30 19 18 17 22 26 27 28', 'disk-free').effects).toEqual(['opened@3', 'closed@7']);
  });

  it('follows the policy: fire on 1 of 1, clear on 1 of 1', () => {
    const fast = evaluationRules(parsePolicy({ performance: { thresholdEvaluation: { fire: { breaching: 1, ofLast: 1 }, clear: { clearing: 1, ofLast: 1 } } } }));
    expect(run('76 50', 'cpu', '1m', undefined, fast).effects).toEqual(['opened@0', 'closed@1']);
  });
});

describe('series notation', () => {
  it('expands promtool-style tokens', () => {
    expect(expandSeries('1+1x3 _ 5x2')).toEqual([1, 2, 3, 4, undefined, 5, 5, 5]);
    expect(series('1 _ 3', START, '10s').map((p) => p.at)).toEqual([START, '2026-03-02T09:00:20.000Z']);
  });
});
