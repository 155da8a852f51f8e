import { describe, expect, it } from 'vitest';
import { latestFireBetween, nextFireTime, parseScheduleExpression, ScheduleExpressionError } from '../../infra/schedule.ts';

const at = (iso: string) => new Date(iso);

describe('schedule expressions', () => {
  it('parses rates with AWS unit rules', () => {
    expect(parseScheduleExpression('rate(5 minutes)')).toMatchObject({ kind: 'rate', everyMs: 300_000 });
    expect(parseScheduleExpression('rate(1 hour)')).toMatchObject({ kind: 'rate', everyMs: 3_600_000 });
    expect(parseScheduleExpression('rate(2 days)')).toMatchObject({ kind: 'rate', everyMs: 172_800_000 });
    expect(() => parseScheduleExpression('rate(1 hours)')).toThrow(/singular unit for 1/);
    expect(() => parseScheduleExpression('rate(0 minutes)')).toThrow(ScheduleExpressionError);
  });

  it('rejects malformed expressions with what is allowed', () => {
    expect(() => parseScheduleExpression('every 5 minutes')).toThrow(/allowed: rate\(N minutes\|hours\|days\) or cron/);
    expect(() => parseScheduleExpression('cron(0 2 * * *)')).toThrow(/6 fields/);
    expect(() => parseScheduleExpression('cron(0 2 * * * *)')).toThrow(/exactly one of day-of-month and day-of-week must be "\?"/);
    expect(() => parseScheduleExpression('cron(61 2 * * ? *)')).toThrow(/minutes field "61" has "61"; allowed 0-59/);
    expect(() => parseScheduleExpression('cron(0 2 L * ? *)')).toThrow(/L, W or #/);
    expect(() => parseScheduleExpression('cron(0 5-2 * * ? *)')).toThrow(/runs backwards/);
  });

  it('computes the next monthly fire (permission audit on the 1st at 02:00 UTC)', () => {
    const s = parseScheduleExpression('cron(0 2 1 * ? *)');
    expect(nextFireTime(s, at('2026-11-29T03:00:00Z'))?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
    expect(nextFireTime(s, at('2026-12-01T02:00:00Z'))?.toISOString()).toBe('2027-01-01T02:00:00.000Z');
  });

  it('handles weekday names, ranges and steps', () => {
    const s = parseScheduleExpression('cron(0/15 8-17 ? * MON-FRI *)');
    // 2026-11-28 is a Saturday: the next fire is Monday 08:00.
    expect(nextFireTime(s, at('2026-11-28T03:00:00Z'))?.toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(nextFireTime(s, at('2026-11-30T08:00:00Z'))?.toISOString()).toBe('2026-11-30T08:15:00.000Z');
    expect(nextFireTime(s, at('2026-11-30T17:45:00Z'))?.toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('counts rates from the anchor and stops when the years run out', () => {
    const s = parseScheduleExpression('rate(5 minutes)');
    expect(nextFireTime(s, at('2026-11-28T03:07:00Z'), at('2026-11-28T03:00:00Z'))?.toISOString()).toBe('2026-11-28T03:10:00.000Z');
    expect(nextFireTime(parseScheduleExpression('cron(0 0 1 1 ? 2020)'), at('2026-01-01T00:00:00Z'))).toBeNull();
  });

  it('aligns rates to the clock unless given an anchor: rate(1 hour) on the hour', () => {
    expect(nextFireTime(parseScheduleExpression('rate(1 hour)'), at('2026-11-28T03:07:12Z'))?.toISOString()).toBe('2026-11-28T04:00:00.000Z');
    expect(nextFireTime(parseScheduleExpression('rate(5 minutes)'), at('2026-11-28T03:07:12Z'))?.toISOString()).toBe('2026-11-28T03:10:00.000Z');
  });

  it('finds the last fire a stopped runtime missed', () => {
    const daily = parseScheduleExpression('cron(30 0 * * ? *)');
    expect(latestFireBetween(daily, at('2026-11-27T18:00:00Z'), at('2026-11-28T09:00:00Z'))?.toISOString()).toBe('2026-11-28T00:30:00.000Z');
    expect(latestFireBetween(daily, at('2026-11-20T18:00:00Z'), at('2026-11-28T09:00:00Z'))?.toISOString()).toBe('2026-11-28T00:30:00.000Z');
    expect(latestFireBetween(daily, at('2026-11-28T01:00:00Z'), at('2026-11-28T09:00:00Z'))).toBeNull();
    const hourly = parseScheduleExpression('rate(1 hour)');
    expect(latestFireBetween(hourly, at('2026-11-28T03:00:00Z'), at('2026-11-28T05:30:00Z'))?.toISOString()).toBe('2026-11-28T05:00:00.000Z');
    expect(latestFireBetween(hourly, at('2026-11-28T05:00:00Z'), at('2026-11-28T05:30:00Z'))).toBeNull();
  });
});
