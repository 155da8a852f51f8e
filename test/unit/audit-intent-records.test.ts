import { describe, expect, it } from 'vitest';
import { packRecords, unpackRecords } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { toAuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';

const records = Array.from({ length: 3 }, (_, i) =>
  toAuditRecord({ version: '0', id: `evt-${i}`, 'detail-type': 'Operation Audited', source: 'erp.sap', account: '1', time: '2026-11-29T10:00:00Z', region: 'us-east-1', resources: [], detail: { note: '月末结账 ✓' } }, new Date('2026-11-29T10:00:01Z')),
);

describe('seal intent records', () => {
  it('come back exactly as packed, non-ASCII text included, and from JSON text as older folders hold them', () => {
    expect(unpackRecords(packRecords(records), 'b1')).toEqual(records);
    expect(unpackRecords(JSON.stringify(records), 'b1')).toEqual(records);
  });

  it('are deflated above about one event\'s JSON, kept as text up to it', () => {
    const one = records.slice(0, 1);
    expect(JSON.stringify(one).length).toBeLessThanOrEqual(1024);
    expect(packRecords(one)).toBe(JSON.stringify(one));
    const many = Array.from({ length: 4 }, () => records).flat();
    expect(JSON.stringify(many).length).toBeGreaterThan(1024);
    expect(packRecords(many)).toBeInstanceOf(Uint8Array);
    expect(unpackRecords(packRecords(many), 'b2')).toEqual(many);
  });

  it('refuse anything else, naming the intent and what is allowed', () => {
    expect(() => unpackRecords(42, 'batch-7')).toThrow('seal intent batch-7: records must be deflated JSON (binary) or JSON text, not number');
    expect(() => unpackRecords(undefined, 'batch-7')).toThrow(/not undefined/);
    expect(() => unpackRecords(new Uint8Array([1, 2, 3, 250]), 'batch-7')).toThrow(/^seal intent batch-7: records cannot be read \(/);
    expect(() => unpackRecords('{"not": "a list"}', 'batch-7')).toThrow('seal intent batch-7: records must be a list, not object');
  });
});
