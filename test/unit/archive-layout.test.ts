/**
 * The archive's key layout (schemas/archive-layout.ts): the keys as the archive writes them
 * (the literal keys are the point here: an auditor's tools and the Athena table read them), and
 * the parsers that read a day back from a key.
 */
import { describe, expect, it } from 'vitest';
import { anchorFolder, anchorKey, auditBatchKey, AUDIT_RECORDS_PREFIX, datePartition, manifestDay, manifestKey, partitionDay } from '../../schemas/archive-layout.ts';

describe('archive layout', () => {
  it('spells the audit folders with a Hive-style date= partition', () => {
    expect(AUDIT_RECORDS_PREFIX).toBe('audit/records');
    expect(auditBatchKey('2026-11-03', 'erp.sap', '0')).toBe('audit/records/date=2026-11-03/erp.sap.chain-0.jsonl.gz');
    expect(auditBatchKey('2026-11-03', 'erp/odd source', '2')).toBe('audit/records/date=2026-11-03/erp%2Fodd%20source.chain-2.jsonl.gz');
    expect(manifestKey('2026-11-03')).toBe('audit/manifests/2026-11-03.json');
    expect(anchorFolder('2026-11-03')).toBe('audit/anchors/date=2026-11-03/');
    expect(anchorKey('2026-11-03', new Date('2026-11-03T10:00:00.123Z'))).toBe('audit/anchors/date=2026-11-03/2026-11-03T10-00-00-123Z.json');
    expect(datePartition('${date}')).toBe('date=${date}');
  });

  it('reads the day back from a key', () => {
    expect(partitionDay(auditBatchKey('2026-11-03', 'erp.sap', '0'))).toBe('2026-11-03');
    expect(partitionDay(anchorKey('2026-02-28', new Date('2026-02-28T23:00:00Z')))).toBe('2026-02-28');
    expect(partitionDay('audit/records/not-a-partition/x.jsonl.gz')).toBeUndefined();
    expect(manifestDay(manifestKey('2026-11-03'))).toBe('2026-11-03');
  });
});
