/**
 * Audit records as the behaviour analysis reads them: only valid records from ERP systems
 * (the pipeline's own events — `erpgov.*`, schedules — are not behaviour, and a record that
 * failed its contract cannot be read reliably), each ERP operation once (a resend with a new
 * event id is the same operation, see schemas/erp-identity.ts), in time order. Pure.
 *
 * The trail keeps each event raw, as it arrived (it records invalid events too, and the
 * contract may have changed since), so its fields are read here, tolerantly, and nowhere
 * else: the rules get typed readings, never the raw detail.
 */
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';
import { recordOperationKey } from '../shared/audit-trail/resends.ts';
import { oncePerOperation } from '../../schemas/erp-identity.ts';

/** An `Operation Audited` as the rules read it; undefined fields were absent or blank. */
export interface OperationReading {
  /** Lower case. */
  readonly action: string | undefined;
  readonly actor: string | undefined;
}

/** A `Login` as the rules read it. */
export interface LoginReading {
  readonly account: string | undefined;
  readonly outcome: string | undefined;
  readonly deviceId: string | undefined;
  readonly failureReason: string | undefined;
}

/** A `Module Error` as the rules read it. */
export interface ModuleErrorReading {
  readonly module: string | undefined;
  readonly errorClass: string | undefined;
  /** The event's `occurrences` when positive, else 1. */
  readonly occurrences: number;
}

export interface TrailFact {
  readonly eventId: string;
  readonly detailType: string;
  readonly time: number;
  /** The actor the trail recorded for the event (see audit-record.ts). */
  readonly actor: string | null;
  /** Set for an `Operation Audited`. */
  readonly operation?: OperationReading;
  /** Set for a `Login`. */
  readonly login?: LoginReading;
  /** Set for a `Module Error`. */
  readonly moduleError?: ModuleErrorReading;
}

const PIPELINE_SOURCES = /^(erpgov\.|aws\.)/;

export function toFacts(records: readonly AuditRecord[]): TrailFact[] {
  const seen = new Set<string>();
  const facts: TrailFact[] = [];
  // An ERP resend (new event id, same operation) is one fact: the earliest event id stands for it.
  for (const record of oncePerOperation(records, (r) => recordOperationKey(r) ?? `event:${r.eventId}`, (r) => r.eventId)) {
    if (!record.valid || PIPELINE_SOURCES.test(record.source) || seen.has(record.eventId)) continue;
    seen.add(record.eventId);
    const time = Date.parse(record.occurredAt);
    const detail = detailOf(record.originalEvent);
    if (Number.isNaN(time) || detail === undefined) continue;
    facts.push({ eventId: record.eventId, detailType: record.detailType, time, actor: record.actor, ...readingOf(record.detailType, detail) });
  }
  return facts.sort((a, b) => a.time - b.time);
}

function readingOf(detailType: string, detail: Record<string, unknown>): Pick<TrailFact, 'operation' | 'login' | 'moduleError'> {
  switch (detailType) {
    case 'Operation Audited':
      return { operation: { action: text(detail.action)?.toLowerCase(), actor: text(detail.actor) } };
    case 'Login':
      return { login: { account: text(detail.account), outcome: typeof detail.outcome === 'string' ? detail.outcome : undefined, deviceId: text(detail.deviceId), failureReason: text(detail.failureReason) } };
    case 'Module Error':
      return { moduleError: { module: text(detail.module), errorClass: text(detail.errorClass), occurrences: typeof detail.occurrences === 'number' && detail.occurrences > 0 ? detail.occurrences : 1 } };
    default:
      return {};
  }
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
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
