/**
 * The test helper that waits for audit records (test/support/trail-records.ts): it returns as
 * soon as every id is recorded, and at its deadline fails naming the ids still missing.
 */
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { trailRecordsWithin } from '../support/trail-records.ts';

/** A trail whose records appear one read later each: `a` at once, `b` on the second read, `c` never. */
function slowTrail() {
  let reads = 0;
  const arrives: Record<string, number> = { a: 1, b: 2 };
  return {
    reads: () => reads,
    async readRecords(ids: readonly string[]) {
      reads++;
      return new Map(ids.filter((id) => (arrives[id] ?? Infinity) <= reads).map((id) => [id, { record: { eventId: id } } as unknown as StoredRecord]));
    },
  };
}

describe('trailRecordsWithin', () => {
  it('polls until every id is recorded and returns their records', async () => {
    const trail = slowTrail();
    const found = await trailRecordsWithin(trail, ['a', 'b', 'a'], 5_000, 1);
    expect([...found.keys()].sort()).toEqual(['a', 'b']);
    expect(trail.reads()).toBe(2);
  });

  it('fails at its deadline naming the ids still missing', async () => {
    await expect(trailRecordsWithin(slowTrail(), ['a', 'b', 'c'], 20, 1)).rejects.toThrow(/^1 of 3 event id\(s\) not in the audit trail within 20 ms: c$/);
  });

  it('refuses to wait for no ids (it would pass on nothing)', async () => {
    await expect(trailRecordsWithin(slowTrail(), [], 5_000)).rejects.toThrow(/no event ids/);
  });

  it('with no time to wait, looks once', async () => {
    const trail = slowTrail();
    await expect(trailRecordsWithin(trail, ['a', 'b'], 0)).rejects.toThrow(/: b$/);
    expect(trail.reads()).toBe(1);
  });
});
