/**
 * Turns any event on the bus into an audit record: who did what to which target, when and
 * from which device, with the original event kept verbatim. Pure.
 * Events that fail their schema are still recorded, flagged invalid with the reasons: the
 * audit trail never drops what it received.
 */
import { INGRESS_SOURCE } from '../../../schemas/details/pipeline.ts';
import { validateDetail } from '../../../schemas/registry.ts';
import { clockSkewOf, type ClockSkew, type SkewTolerance } from '../event-handler.ts';

export interface AuditRecord {
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  /** The event's own time (when the ERP says it happened). */
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly module: string | null;
  readonly deviceId: string | null;
  readonly recordCount: number | null;
  readonly valid: boolean;
  readonly invalidReason: string | null;
  /** The event exactly as delivered, as JSON. */
  readonly originalEvent: string;
  /**
   * Present only when the event's time cannot be believed (more than the policy's tolerance
   * ahead of its arrival, `future`, or beyond the late-arrival window, `late`): `occurredAt`
   * keeps the claimed time, this says so and when it arrived. Absent on every other record.
   */
  readonly clockSkew?: ClockSkew;
}

// Which detail field names the actor, the target, the module and the device, in order of
// preference. ERP facts name their people differently (grantedBy, approver, account...).
const ACTOR_FIELDS = ['actor', 'performedBy', 'grantedBy', 'revokedBy', 'approver', 'verifier', 'requestedBy', 'deployedBy', 'modifiedBy', 'testedBy', 'rolledBackBy', 'acknowledgedBy', 'resolvedBy', 'reportedBy', 'account', 'person'];
const TARGET_FIELDS = ['target', 'account', 'grantee', 'person', 'employeeId', 'changeId', 'incidentId', 'backupId', 'testId', 'drillId', 'findingId', 'commandId', 'configKey', 'system', 'module'];

/** `tolerance`: the policy's `ingress` figures; given, a record whose time cannot be believed is flagged (`clockSkew`). */
export function toAuditRecord(event: unknown, recordedAt: Date, tolerance?: SkewTolerance): AuditRecord {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const rejection = rejectedEntryOf(e);
  if (rejection) return rejectedEntryRecord(e, rejection, recordedAt);
  const detail = (typeof e.detail === 'object' && e.detail !== null ? e.detail : {}) as Record<string, unknown>;
  const eventId = typeof e.id === 'string' && e.id !== '' ? e.id : null;
  const source = typeof e.source === 'string' ? e.source : '(missing source)';
  const detailType = typeof e['detail-type'] === 'string' ? e['detail-type'] : '(missing detail-type)';
  const occurredAt = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) ? e.time : recordedAt.toISOString();
  const clockSkew = tolerance === undefined ? undefined : clockSkewOf(occurredAt, recordedAt, tolerance);

  let invalidReason: string | null = null;
  if (eventId === null) invalidReason = 'the event has no id';
  else if (typeof e.detail !== 'object' || e.detail === null) invalidReason = 'the event has no detail object';
  else if (source !== 'aws.events') {
    const check = validateDetail(detailType, detail);
    if (!check.ok) invalidReason = check.message;
  }

  return {
    eventId: eventId ?? `missing-id:${recordedAt.toISOString()}`,
    source,
    detailType,
    occurredAt,
    recordedAt: recordedAt.toISOString(),
    ...whoWhatWhere(detail, detailType),
    valid: invalidReason === null,
    invalidReason,
    originalEvent: JSON.stringify(event),
    ...(clockSkew ? { clockSkew } : {}),
  };
}

/** Who did what to which target, in which module, from which device, to how many records. */
function whoWhatWhere(detail: Record<string, unknown>, detailType: string) {
  return {
    actor: firstText(detail, ACTOR_FIELDS),
    action: typeof detail.action === 'string' ? detail.action : detailType,
    target: firstText(detail, TARGET_FIELDS),
    module: typeof detail.module === 'string' ? detail.module : null,
    deviceId: firstText(detail, ['deviceId', 'device']),
    recordCount: typeof detail.recordCount === 'number' ? detail.recordCount : null,
  };
}

function firstText(detail: Record<string, unknown>, fields: readonly string[]): string | null {
  for (const field of fields) {
    const v = detail[field];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  }
  return null;
}

/** The refused entry inside an "Entry Rejected" event from the bus's own ingress, if this is one. */
function rejectedEntryOf(e: Record<string, unknown>): { errorCode: string; errorMessage: string; entry: Record<string, unknown> } | undefined {
  if (e.source !== INGRESS_SOURCE || e['detail-type'] !== 'Entry Rejected') return undefined;
  const d = e.detail as { errorCode?: unknown; errorMessage?: unknown; entry?: unknown } | undefined;
  return {
    errorCode: String(d?.errorCode),
    errorMessage: String(d?.errorMessage),
    entry: (typeof d?.entry === 'object' && d.entry !== null ? d.entry : {}) as Record<string, unknown>,
  };
}

/**
 * A refused entry is recorded as what the ERP tried to say (its Source, DetailType and whatever
 * of its Detail parses), flagged invalid with the reason it was refused.
 */
function rejectedEntryRecord(e: Record<string, unknown>, r: NonNullable<ReturnType<typeof rejectedEntryOf>>, recordedAt: Date): AuditRecord {
  let detail: Record<string, unknown> = {};
  try {
    const parsed: unknown = typeof r.entry.Detail === 'string' ? JSON.parse(r.entry.Detail) : undefined;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) detail = parsed as Record<string, unknown>;
  } catch {
    // Malformed detail: the raw text stays in originalEvent.
  }
  const detailType = typeof r.entry.DetailType === 'string' ? r.entry.DetailType : '(missing detail-type)';
  return {
    eventId: String(e.id),
    source: typeof r.entry.Source === 'string' ? r.entry.Source : '(missing source)',
    detailType,
    occurredAt: typeof e.time === 'string' ? e.time : recordedAt.toISOString(),
    recordedAt: recordedAt.toISOString(),
    ...whoWhatWhere(detail, detailType),
    valid: false,
    invalidReason: `refused at the bus: ${r.errorCode}: ${r.errorMessage}`,
    originalEvent: JSON.stringify(e),
  };
}
