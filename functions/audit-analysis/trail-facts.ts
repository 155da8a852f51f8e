/**
 * Audit records as the behaviour analysis reads them: only valid records from ERP systems
 * (the pipeline's own events — `erpgov.*`, schedules — are not behaviour, and a record that
 * failed its contract cannot be read reliably), each event once, in time order. Pure.
 */
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';

export interface TrailFact {
  readonly eventId: string;
  readonly detailType: string;
  readonly time: number;
  readonly actor: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

const PIPELINE_SOURCES = /^(erpgov\.|aws\.)/;

export function toFacts(records: readonly AuditRecord[]): TrailFact[] {
  const seen = new Set<string>();
  const facts: TrailFact[] = [];
  for (const record of records) {
    if (!record.valid || PIPELINE_SOURCES.test(record.source) || seen.has(record.eventId)) continue;
    seen.add(record.eventId);
    const time = Date.parse(record.occurredAt);
    const detail = detailOf(record.originalEvent);
    if (Number.isNaN(time) || detail === undefined) continue;
    facts.push({ eventId: record.eventId, detailType: record.detailType, time, actor: record.actor, detail });
  }
  return facts.sort((a, b) => a.time - b.time);
}

function detailOf(originalEvent: string): Record<string, unknown> | undefined {
  try {
    const detail = (JSON.parse(originalEvent) as { detail?: unknown }).detail;
    return typeof detail === 'object' && detail !== null && !Array.isArray(detail) ? (detail as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A detail field as trimmed text; undefined when absent or blank. */
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
