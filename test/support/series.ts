/**
 * Sample series written compactly, in the notation of Prometheus's rule tests (promtool):
 * space-separated values, one per interval; `_` is a missing sample; `a+bxn` expands to the
 * n+1 values a, a+b, …, a+n·b and `axn` to a repeated n+1 times.
 *
 *   series('70 80 82 85 79 81 60 55 50x2', '2026-03-02T09:00:00Z', '1m')
 */
import { MINUTE_MS, SECOND_MS } from '../../functions/shared/time.ts';

export interface SeriesPoint {
  readonly value: number;
  readonly at: string;
}

function interval(text: string): number {
  const match = /^(\d+)(s|m)$/.exec(text);
  if (!match) throw new Error(`interval "${text}": use e.g. "10s" or "1m"`);
  return Number(match[1]) * (match[2] === 's' ? SECOND_MS : MINUTE_MS);
}

export function expandSeries(notation: string): (number | undefined)[] {
  return notation.trim().split(/\s+/).flatMap((token) => {
    if (token === '_') return [undefined];
    const match = /^(-?[\d.]+)(?:([+-][\d.]+))?x(\d+)$/.exec(token);
    if (match) {
      const start = Number(match[1]);
      const step = match[2] === undefined ? 0 : Number(match[2]);
      return Array.from({ length: Number(match[3]) + 1 }, (_, i) => start + i * step);
    }
    const value = Number(token);
    if (Number.isNaN(value)) throw new Error(`series token "${token}" is not a number, "_" or "a+bxn"`);
    return [value];
  });
}

export function series(notation: string, start: string, every = '1m'): SeriesPoint[] {
  const step = interval(every);
  return expandSeries(notation).flatMap((value, i) => (value === undefined ? [] : [{ value, at: new Date(Date.parse(start) + i * step).toISOString() }]));
}
