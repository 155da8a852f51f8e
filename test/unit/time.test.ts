/**
 * The one retention rule (`retentionExpiry`) and the window it implies (`retentionWindowStart`),
 * at their boundaries, and how the audit trail combines them: records kept the policy's
 * retention plus a day (`trailRecordExpiry`), chains whole from `oldestIntactTrailDay` on.
 */
import { describe, expect, it } from 'vitest';
import { oldestIntactTrailDay, trailRecordExpiry } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { DAY_MS, retentionExpiry, retentionWindowStart, utcMonthsBetween } from '../../functions/shared/time.ts';

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('retentionExpiry', () => {
  it('is `days` × 24 h after the start, in epoch seconds', () => {
    expect(retentionExpiry('2026-03-10T12:00:00.000Z', 1)).toBe(seconds('2026-03-11T12:00:00Z'));
    expect(retentionExpiry(new Date('2026-03-10T12:00:00Z'), 183)).toBe(seconds('2026-09-09T12:00:00Z'));
    expect(retentionExpiry(Date.parse('2026-03-10T12:00:00Z'), 0)).toBe(seconds('2026-03-10T12:00:00Z'));
  });

  it('rounds a fraction of a second up, so nothing ever expires early', () => {
    expect(retentionExpiry('2026-03-10T12:00:00.001Z', 1)).toBe(seconds('2026-03-11T12:00:01Z'));
    expect(retentionExpiry('2026-03-10T12:00:00.999Z', 1)).toBe(seconds('2026-03-11T12:00:01Z'));
    expect(retentionExpiry('2026-03-10T12:00:00.999Z', 1) * 1000).toBeGreaterThanOrEqual(Date.parse('2026-03-10T12:00:00.999Z') + DAY_MS);
  });

  it('counts whole UTC days: a daylight-saving change in any zone changes nothing, nor does a leap day', () => {
    expect(retentionExpiry('2026-03-28T12:00:00Z', 2)).toBe(seconds('2026-03-30T12:00:00Z'));
    expect(retentionExpiry('2028-02-28T00:00:00Z', 2)).toBe(seconds('2028-03-01T00:00:00Z'));
  });
});

describe('retentionWindowStart', () => {
  it('is the UTC day `days` before `now`, from the first to the last instant of `now`’s day', () => {
    expect(retentionWindowStart('2026-03-10T00:00:00.000Z', 1)).toBe('2026-03-09');
    expect(retentionWindowStart('2026-03-10T23:59:59.999Z', 1)).toBe('2026-03-09');
    expect(retentionWindowStart('2026-03-11T00:00:00.000Z', 1)).toBe('2026-03-10');
    expect(retentionWindowStart('2026-03-10T12:00:00Z', 0)).toBe('2026-03-10');
  });

  it('crosses month ends and leap days', () => {
    expect(retentionWindowStart('2026-03-01T00:00:00Z', 1)).toBe('2026-02-28');
    expect(retentionWindowStart('2028-03-01T00:00:00Z', 1)).toBe('2028-02-29');
    expect(retentionWindowStart('2026-09-09T12:00:00Z', 183)).toBe('2026-03-10');
  });

  it('against retentionExpiry: the window start day’s last instant, kept `days`, is still there at `now`; its first instant may not be', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const day = retentionWindowStart(now, 1);
    expect(retentionExpiry(`${day}T23:59:59.999Z`, 1) * 1000).toBeGreaterThan(now.getTime());
    expect(retentionExpiry(`${day}T00:00:00.000Z`, 1) * 1000).toBeLessThan(now.getTime());
  });
});

describe('the audit trail’s retention', () => {
  it('keeps a record the policy’s days plus one', () => {
    expect(trailRecordExpiry(new Date('2026-03-10T12:00:00Z'), 183)).toBe(retentionExpiry('2026-03-10T12:00:00Z', 184));
  });

  it('so every record of the oldest intact day, however early in it, is still there at `now` — at any time of `now`’s day', () => {
    for (const at of ['2026-09-09T00:00:00.000Z', '2026-09-09T12:00:00.000Z', '2026-09-09T23:59:59.999Z']) {
      const now = new Date(at);
      const day = oldestIntactTrailDay(now, 183);
      expect(trailRecordExpiry(new Date(`${day}T00:00:00.000Z`), 183) * 1000, at).toBeGreaterThan(now.getTime());
      // The day before may already be partly gone: anchors and verify leave it alone.
      const dayBefore = new Date(Date.parse(`${day}T00:00:00.000Z`) - DAY_MS);
      expect(trailRecordExpiry(dayBefore, 183) * 1000, at).toBeLessThanOrEqual(now.getTime());
    }
  });
});

describe('utcMonthsBetween', () => {
  it('lists the months from the one holding the start to the one holding the end, across a year', () => {
    expect(utcMonthsBetween('2026-03-10T00:00:00Z', '2026-03-12T00:00:00Z')).toEqual(['2026-03']);
    expect(utcMonthsBetween('2025-11-30T23:00:00Z', '2026-02-01T00:00:00Z')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(utcMonthsBetween('2026-04-01T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([]);
  });
});
