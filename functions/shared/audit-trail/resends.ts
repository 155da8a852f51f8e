/**
 * Resends in the audit trail, read side (issue 15, class 2): the trail keeps every delivery an
 * ERP made, and a delivery that repeats an operation already recorded (same ERP identifiers,
 * see schemas/erp-identity.ts) is marked as a resend of the first one recorded. Pure; the
 * stored records are untouched.
 */
import { erpOperationKey } from '../../../schemas/erp-identity.ts';
import type { AuditRecord } from './audit-record.ts';

export type MarkedRecord<R extends AuditRecord = AuditRecord> = R & { readonly resendOf?: string };

/** The ERP operation a record reports; undefined for refused or unreadable records and the pipeline's own events. */
export function recordOperationKey(record: AuditRecord): string | undefined {
  if (!record.valid || !record.source.startsWith('erp.')) return undefined;
  try {
    const detail = (JSON.parse(record.originalEvent) as { detail?: unknown }).detail;
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return undefined;
    return erpOperationKey(record.source, record.detailType, record.occurredAt, detail as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** The records, each delivery after the first of its operation marked `resendOf` the first (by recording time, then event id). */
export function markResends<R extends AuditRecord>(records: readonly R[]): MarkedRecord<R>[] {
  const first = new Map<string, R>();
  const keys = records.map(recordOperationKey);
  records.forEach((record, i) => {
    const key = keys[i];
    if (key === undefined) return;
    const held = first.get(key);
    if (held === undefined || record.recordedAt < held.recordedAt || (record.recordedAt === held.recordedAt && record.eventId < held.eventId)) first.set(key, record);
  });
  return records.map((record, i) => {
    const key = keys[i];
    const original = key === undefined ? undefined : first.get(key);
    return original === undefined || original === record ? record : { ...record, resendOf: original.eventId };
  });
}
