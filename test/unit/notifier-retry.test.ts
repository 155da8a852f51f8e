import { describe, expect, it } from 'vitest';
import { nextAttempt, retryAfterMs } from '../../functions/notifier/retry.ts';

const settings = { maxAttempts: 5, baseDelaySeconds: 30, maxDelaySeconds: 3600 };
const now = new Date('2026-03-02T10:00:00.000Z');
const plus = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('nextAttempt', () => {
  it('a delivered message is sent', () => {
    expect(nextAttempt({ ok: true }, 3, now, settings)).toEqual({ kind: 'sent' });
  });

  it('backs off exponentially on 5xx and network errors, capped', () => {
    expect(nextAttempt({ ok: false, status: 500, error: 'e' }, 1, now, settings)).toMatchObject({ kind: 'retry', at: plus(30) });
    expect(nextAttempt({ ok: false, status: 503, error: 'e' }, 3, now, settings)).toMatchObject({ kind: 'retry', at: plus(120) });
    expect(nextAttempt({ ok: false, error: 'unreachable' }, 2, now, settings)).toMatchObject({ kind: 'retry', at: plus(60) });
    expect(nextAttempt({ ok: false, status: 502, error: 'e' }, 4, now, { ...settings, maxDelaySeconds: 100 })).toMatchObject({ kind: 'retry', at: plus(100) });
  });

  it('honours Retry-After on 429, in seconds and as an HTTP date, capped by maxDelaySeconds', () => {
    expect(nextAttempt({ ok: false, status: 429, retryAfter: '7', error: 'e' }, 1, now, settings)).toMatchObject({ kind: 'retry', at: plus(7) });
    expect(nextAttempt({ ok: false, status: 429, retryAfter: 'Mon, 02 Mar 2026 10:02:00 GMT', error: 'e' }, 1, now, settings)).toMatchObject({ kind: 'retry', at: plus(120) });
    expect(nextAttempt({ ok: false, status: 503, retryAfter: '86400', error: 'e' }, 1, now, settings)).toMatchObject({ kind: 'retry', at: plus(3600) });
    // Unreadable header: back-off as usual.
    expect(nextAttempt({ ok: false, status: 429, retryAfter: 'soon', error: 'e' }, 2, now, settings)).toMatchObject({ kind: 'retry', at: plus(60) });
  });

  it('is dead on other 4xx, on permanent errors and after maxAttempts', () => {
    expect(nextAttempt({ ok: false, status: 404, error: 'no_service' }, 1, now, settings)).toMatchObject({ kind: 'dead', reason: 'permanent failure: no_service' });
    expect(nextAttempt({ ok: false, status: 400, error: 'invalid_blocks' }, 1, now, settings).kind).toBe('dead');
    expect(nextAttempt({ ok: false, status: 408, error: 'timeout' }, 1, now, settings).kind).toBe('retry');
    expect(nextAttempt({ ok: false, permanent: true, error: 'SMTP 550' }, 1, now, settings).kind).toBe('dead');
    expect(nextAttempt({ ok: false, status: 500, error: 'e' }, 5, now, settings)).toMatchObject({ kind: 'dead', reason: 'gave up after 5 attempts; last: e' });
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates; a date in the past means now', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs(' 12 ', now)).toBe(12_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});
