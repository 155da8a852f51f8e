/**
 * Hardening of the door (issue 15, class 1), pure: nesting measured iteratively and limited as
 * EventBridge documents (1,100 levels), integers beyond 64 bits refused, `Time` outside what a
 * delivered event can carry refused with InvalidArgument, refused entries kept small enough for
 * one item and a chain key, and `exists: false` through arrays of objects as AWS's engine does.
 */
import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '../../infra/event-pattern/index.ts';
import { entryToEvent, keptEntry, MAX_EVENT_DEPTH, MAX_KEPT_ENTRY_CHARS, scanJsonText, valueDepth } from '../../runtime/put-events.ts';
import { MAX_SOURCE_LENGTH } from '../../schemas/envelope.ts';
import { exampleEvent } from '../../schemas/index.ts';

const bus = { eventBusName: 'erpgov-bus', account: '000000000000', region: 'us-east-1' };
const now = new Date('2026-11-29T04:05:06.789Z');
const good = () => exampleEvent('Operation Audited', 'erp.sap');
const withDetail = (extra: string) => ({ ...good(), Detail: (good().Detail as string).replace(/}$/, `,"extra":${extra}}`) });
const nested = (open: string, close: string, n: number) => `${open.repeat(n)}${close.repeat(n)}`;

describe('nesting', () => {
  it('is measured without recursion, even a million levels deep', () => {
    expect(scanJsonText('{"a":"{[[[","b":[1,{"c":[]}]}').depth).toBe(4);
    expect(scanJsonText(nested('[', ']', 1_000_000)).depth).toBe(1_000_000);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(valueDepth(deep)).toBe(200_000);
  });

  it('is refused beyond the documented 1,100 levels of the event, accepted up to it', () => {
    // The detail is level 1 of the event's detail; the event itself adds one more.
    const limit = MAX_EVENT_DEPTH - 2; // levels of "extra" inside the detail object
    expect(entryToEvent(withDetail(nested('[', ']', limit)), 'i', now, bus).ok).toBe(true);
    for (const deep of [nested('[', ']', limit + 1), nested('{"a":', '}', limit + 1).replace(/:}/, ':1}'), nested('[', ']', 100_000)]) {
      const out = entryToEvent(withDetail(deep), 'i', now, bus);
      expect(out).toMatchObject({ ok: false, errorCode: 'MalformedDetail', errorMessage: expect.stringContaining('1100 levels') });
    }
  });
});

describe('integers', () => {
  it('beyond the signed 64-bit range are refused; at its edges, and non-integers, are not', () => {
    expect(entryToEvent(withDetail('9223372036854775807'), 'i', now, bus).ok).toBe(true);
    expect(entryToEvent(withDetail('-9223372036854775808'), 'i', now, bus).ok).toBe(true);
    expect(entryToEvent(withDetail('1e400'), 'i', now, bus).ok).toBe(true);
    expect(entryToEvent(withDetail('"99999999999999999999999"'), 'i', now, bus).ok).toBe(true);
    for (const big of ['9223372036854775808', '-9223372036854775809', '123456789012345678901234567890']) {
      expect(entryToEvent(withDetail(big), 'i', now, bus)).toMatchObject({ ok: false, errorCode: 'MalformedDetail', errorMessage: expect.stringContaining(big) });
    }
  });

  it('a refused entry is kept as received: its Detail text verbatim', () => {
    const entry = withDetail('[123456789012345678901234567890]');
    expect(keptEntry(entry)).toEqual(entry);
    expect((keptEntry(entry) as { Detail: string }).Detail).toContain('123456789012345678901234567890');
  });
});

describe('Time', () => {
  it('outside 1970..9999 or not a timestamp is refused with InvalidArgument', () => {
    for (const t of [-1, 253402300800, 1e20, '10000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', 'Tue, 01 Dec 2026 10:00:00 GMT', '2026-12-01', 'Infinity', true, { a: 1 }]) {
      expect(entryToEvent({ ...good(), Time: t }, 'i', now, bus), JSON.stringify(t)).toMatchObject({ ok: false, errorCode: 'InvalidArgument', errorMessage: expect.stringContaining('Time') });
    }
    for (const t of [0, 253402300799, '9999-12-31T23:59:59Z', '2026-12-01T10:00:00.123456+01:00', '1764000000']) {
      expect(entryToEvent({ ...good(), Time: t }, 'i', now, bus).ok, JSON.stringify(t)).toBe(true);
    }
  });
});

describe('what is kept of a refused entry', () => {
  it('stays whole when small', () => {
    const entry = { ...good(), Source: 'aws.ec2' };
    expect(keptEntry(entry)).toEqual(entry);
  });

  it('a huge entry: a preview of each field with its length and the digest of the whole, small enough for one item', () => {
    const entry = { ...good(), Detail: JSON.stringify({ pad: 'x'.repeat(900 * 1024) }), Resources: ['r'.repeat(5000)] };
    const kept = keptEntry(entry) as Record<string, unknown>;
    expect(JSON.stringify(kept).length).toBeLessThan(MAX_KEPT_ENTRY_CHARS);
    expect(kept).toMatchObject({ truncated: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), chars: JSON.stringify(entry).length, Source: 'erp.sap' });
    expect(kept.Detail).toMatch(/truncated: \d+ characters, sha256 [0-9a-f]{64}/);
  });

  it('an over-long Source is cut to fit a chain key, with its digest', () => {
    const kept = keptEntry({ ...good(), Source: `erp.${'s'.repeat(5000)}` }) as { Source: string };
    expect(kept.Source.length).toBeLessThanOrEqual(MAX_SOURCE_LENGTH);
    expect(kept.Source).toMatch(/sha256 [0-9a-f]{64}/);
  });

  it('an entry nested beyond the stack is kept as a digest and a preview, without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const kept = keptEntry({ ...good(), Resources: deep }) as Record<string, unknown>;
    expect(kept).toMatchObject({ truncated: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(kept).length).toBeLessThan(4096);
  });
});

describe('exists: false through an array of objects', () => {
  const matches = (pattern: unknown, detail: unknown) => compileEventPattern(JSON.stringify({ detail: pattern })).matches({ detail } as never);

  it('fails when any element has a leaf at the path (AWS needs the path to have no leaf anywhere)', () => {
    const pattern = { items: { name: [{ exists: false }] } };
    expect(matches(pattern, { items: [{ name: 'a' }, { other: 1 }] })).toBe(false);
    expect(matches(pattern, { items: [[{ other: 2 }], [{ name: null }]] })).toBe(false);
    expect(matches(pattern, { items: [{ other: 2 }, { other: 1 }] })).toBe(true);
    expect(matches(pattern, { items: [{ other: 2 }, { name: { deeper: 1 } }] })).toBe(true);
    expect(matches({ items: { sub: { name: [{ exists: false }] } } }, { items: [{ sub: [{ x: 1 }] }, { sub: { name: 'n' } }] })).toBe(false);
  });

  it('with a sibling condition, the element it picks decides (as the engine does)', () => {
    const pattern = { items: { first: ['Anna'], ids: [{ exists: false }] } };
    expect(matches(pattern, { items: [{ first: 'John', ids: [1] }, { first: 'Anna' }] })).toBe(true);
    expect(matches(pattern, { items: [{ first: 'John' }, { first: 'Anna', ids: [1] }] })).toBe(false);
  });

  it('exists: true and anything-but over arrays of objects hold on some element', () => {
    expect(matches({ items: { name: [{ exists: true }] } }, { items: [{ other: 1 }, { name: 'a' }] })).toBe(true);
    expect(matches({ items: { name: [{ 'anything-but': 'a' }] } }, { items: [{ name: 'a' }, { name: 'b' }] })).toBe(true);
    expect(matches({ items: { name: [{ 'anything-but': 'a' }] } }, { items: [{ name: 'a' }, { other: 'b' }] })).toBe(false);
  });
});
