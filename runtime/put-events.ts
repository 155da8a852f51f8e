/**
 * PutEvents request checks and entry-to-event conversion, as EventBridge does them, plus the
 * pipeline's own checks: the door (who may speak with which source) and the contract (the
 * detail must validate against its registered schema). Also the one way a complete event
 * (`erpgov replay` of an event as AWS delivered it) is judged before it is injected.
 * Pure: no I/O, so every rule is unit-tested directly.
 *
 * The door. Only the pipeline speaks as the pipeline, only AWS as AWS:
 *   - the public door (ERP systems, operators, anyone who reaches the endpoint) takes
 *     `erp.<system>` and the sources the policy lists (`ingress.allowedSources`); it refuses
 *     `erpgov.*` and `aws.*` per entry with NotAuthorizedForSourceException, and any other
 *     source with the reason (it would be accepted and never governed);
 *   - the pipeline door (the functions, in-process) takes `erpgov.*` only;
 *   - complete events injected by the runtime's admin channel (replay) may be `aws.*`, kept
 *     verbatim, never `erpgov.*`.
 */
import { PermanentError } from '../schemas/errors.ts';
import { MAX_ENTRY_SIZE_BYTES, MAX_SOURCE_LENGTH, MAX_DETAIL_TYPE_LENGTH, MAX_RESOURCE_LENGTH, putEventsEntrySize } from '../schemas/envelope.ts';
import { validateDetail } from '../schemas/registry.ts';
import { PIPELINE_SOURCE_PREFIX } from '../infra/routes.ts';

/** Limits EventBridge documents for PutEvents. */
export const MAX_ENTRIES_PER_REQUEST = 10;
/** EventBridge applies its 256 KB limit to the sum of a request's entries. */
export const MAX_REQUEST_SIZE_BYTES = MAX_ENTRY_SIZE_BYTES;

/** The event as EventBridge delivers it to a target. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** An error EventBridge would return for the whole request (HTTP 400, `__type`). */
export class ApiError extends PermanentError {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
    // The AWS error type is the name a client sees (`ValidationException`, ...).
    this.name = type;
  }
}

export type EntryOutcome =
  | { readonly ok: true; readonly event: BusEvent }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface BusIdentity {
  readonly eventBusName: string;
  readonly account: string;
  readonly region: string;
}

/** Checks the request as a whole and returns its entries (still unchecked one by one). */
export function readPutEventsRequest(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('SerializationException', 'the request body must be a JSON object with an "Entries" array');
  }
  const entries = (body as { Entries?: unknown }).Entries;
  if (!Array.isArray(entries)) {
    throw new ApiError('ValidationException', '1 validation error detected: Value null at \'entries\' failed to satisfy constraint: Member must not be null (an "Entries" array of 1 to 10 entries is required)');
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_REQUEST) {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: Value with ${entries.length} entries at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES_PER_REQUEST}`,
    );
  }
  const total = entries.reduce<number>((sum, e) => sum + entrySize(e), 0);
  if (total > MAX_REQUEST_SIZE_BYTES) {
    throw new ApiError(
      'ValidationException',
      `Total size of the entries in the request is over the limit: ${total} bytes, allowed ${MAX_REQUEST_SIZE_BYTES} (256 KB); split the batch or shrink the Detail`,
    );
  }
  return entries;
}

/** Entry size as EventBridge computes it: Time counts 14 bytes, then UTF-8 bytes of each text field. */
export function entrySize(entry: unknown): number {
  if (typeof entry !== 'object' || entry === null) return 0;
  // Entries are not checked yet: count only the text that is there.
  const e = entry as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return putEventsEntrySize({
    Source: text(e.Source),
    DetailType: text(e.DetailType),
    Detail: text(e.Detail),
    Resources: Array.isArray(e.Resources) ? e.Resources.map(text) : [],
    ...(e.Time !== undefined && e.Time !== null ? { Time: new Date(0) } : {}),
  });
}

const fail = (errorCode: string, errorMessage: string): EntryOutcome => ({ ok: false, errorCode, errorMessage });

/** Which way an entry came in, and so which sources it may carry. */
export type Door =
  /** ERP systems and operators, over the EventBridge API. */
  | { readonly kind: 'public'; readonly allowedSources: readonly string[] }
  /** The pipeline's own functions, in-process: their findings and commands. */
  | { readonly kind: 'pipeline' };

export const ERP_SOURCE_PREFIX = 'erp.';
export const AWS_SOURCE_PREFIX = 'aws.';

/** The public door with no source listed beyond `erp.<system>`. */
export const publicDoor = (allowedSources: readonly string[] = []): Door => ({ kind: 'public', allowedSources });
export const pipelineDoor: Door = { kind: 'pipeline' };

/** Why `source` may not come through `door`; undefined when it may. */
export function sourceRefusal(source: string, door: Door): string | undefined {
  if (door.kind === 'pipeline') {
    return source.startsWith(PIPELINE_SOURCE_PREFIX) ? undefined : `Not authorized for the source ${source}: the pipeline's own door takes only its functions' sources (erpgov.<function>).`;
  }
  if (source.startsWith(AWS_SOURCE_PREFIX)) return `Not authorized for the source ${source}: sources starting with "aws." are reserved for AWS services; ERP systems use "erp.<system>" (AWS service events enter locally only through \`erpgov replay\`).`;
  if (source.startsWith(PIPELINE_SOURCE_PREFIX)) return `Not authorized for the source ${source}: sources starting with "erpgov." are reserved for the pipeline's own functions; ERP systems use "erp.<system>", operators "erp.operator".`;
  if (source.startsWith(ERP_SOURCE_PREFIX) && source.length > ERP_SOURCE_PREFIX.length) return undefined;
  if (door.allowedSources.includes(source)) return undefined;
  return `Not authorized for the source ${source}: only "erp.<system>" sources are governed, and the policy's ingress.allowedSources does not list this one${door.allowedSources.length > 0 ? ` (it lists ${door.allowedSources.join(', ')})` : ''}; accepting it would mean it is never governed.`;
}

/** Turns one PutEvents entry into a bus event, or says precisely why it is refused. */
export function entryToEvent(entry: unknown, id: string, receivedAt: Date, bus: BusIdentity, door: Door = publicDoor()): EntryOutcome {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return fail('InvalidArgument', 'Each entry must be a JSON object with Source, DetailType and Detail.');
  }
  const e = entry as Record<string, unknown>;

  const busName = e.EventBusName;
  if (busName !== undefined && busName !== null && !isThisBus(busName, bus.eventBusName)) {
    return fail('ResourceNotFoundException', `Event bus ${String(busName)} does not exist. This endpoint serves the bus "${bus.eventBusName}".`);
  }
  if (busName === undefined || busName === null) {
    // On AWS an entry without EventBusName goes to the default bus, where no governance rule
    // listens: refusing it here is kinder than accepting an event that nothing will see.
    return fail('InvalidArgument', `Parameter EventBusName is not valid. Reason: it is required; set it to "${bus.eventBusName}" (the default bus has no governance rules).`);
  }
  const source = textField(e, 'Source', MAX_SOURCE_LENGTH);
  if (typeof source !== 'string') return source;
  const refusedSource = sourceRefusal(source, door);
  if (refusedSource !== undefined) return fail('NotAuthorizedForSourceException', refusedSource);
  const detailType = textField(e, 'DetailType', MAX_DETAIL_TYPE_LENGTH);
  if (typeof detailType !== 'string') return detailType;

  if (typeof e.Detail !== 'string') return fail('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument and must be a string holding a JSON object.');
  let detail: unknown;
  try {
    detail = JSON.parse(e.Detail);
  } catch (err) {
    return fail('MalformedDetail', `Detail is malformed: not JSON (${(err as Error).message}).`);
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return fail('MalformedDetail', `Detail is malformed: it must be a JSON object, got ${detail === null ? 'null' : Array.isArray(detail) ? 'an array' : typeof detail}.`);
  }

  const resources = e.Resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string' || r.length === 0 || r.length > MAX_RESOURCE_LENGTH)) {
    return fail('InvalidArgument', `Parameter Resources is not valid. Reason: it must be a list of non-empty strings (ARNs or ids) of at most ${MAX_RESOURCE_LENGTH} characters.`);
  }

  const time = eventTime(e.Time, receivedAt);
  if (time === undefined) {
    return fail('InvalidArgument', `Parameter Time is not valid. Reason: ${JSON.stringify(e.Time)} is neither epoch seconds nor an ISO-8601 timestamp.`);
  }

  const contract = validateDetail(detailType, detail);
  if (!contract.ok) {
    return fail(contract.reason === 'unknown-detail-type' ? 'UnknownDetailType' : 'InvalidDetail', contract.message);
  }

  return {
    ok: true,
    event: {
      version: '0',
      id,
      'detail-type': detailType,
      source,
      account: bus.account,
      time,
      region: bus.region,
      resources: resources as string[],
      detail: detail as Record<string, unknown>,
    },
  };
}

function isThisBus(value: unknown, name: string): boolean {
  return typeof value === 'string' && (value === name || value.endsWith(`:event-bus/${name}`));
}

function textField(e: Record<string, unknown>, field: string, maxLength: number): string | EntryOutcome {
  const value = e[field];
  if (typeof value !== 'string' || value.trim() === '') {
    return fail('InvalidArgument', `Parameter ${field} is not valid. Reason: ${field} is a required argument (a non-empty string).`);
  }
  if (value.length > maxLength) {
    return fail('InvalidArgument', `Parameter ${field} is not valid. Reason: ${value.length} characters, at most ${maxLength} allowed.`);
  }
  return value;
}

/** EventBridge's event time: the entry's Time (epoch seconds over JSON, or ISO) or receipt, to the second. */
function eventTime(raw: unknown, receivedAt: Date): string | undefined {
  let date: Date;
  if (raw === undefined || raw === null) date = receivedAt;
  else if (typeof raw === 'number') date = new Date(raw * 1000);
  else if (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw)) date = new Date(Number(raw) * 1000);
  else if (typeof raw === 'string') date = new Date(raw);
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Judges a complete event (as EventBridge delivers it: `id`, `source`, `detail-type`, `time`,
 * `detail`, ...) that `erpgov replay` injects through the runtime's admin channel:
 *   - `aws.*`: AWS's own events, kept exactly as AWS emits them (quirks and all: odd ids and
 *     accounts, no `version` or `resources`); only `source`, `detail-type` and a `detail`
 *     object are required, and an id is added only when there is none;
 *   - `erpgov.*`: refused — the pipeline's own events are produced again by replaying the
 *     facts that caused them, never injected;
 *   - anything else goes through the public door's checks and the contract like a PutEvents
 *     entry, keeping its own id (a replayed file replayed again is deduplicated) and time.
 */
export function completeEventToBusEvent(raw: unknown, fallbackId: string, receivedAt: Date, bus: BusIdentity, door: Door = publicDoor()): EntryOutcome {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('InvalidArgument', 'An event must be a JSON object with source, detail-type and detail.');
  const e = raw as Record<string, unknown>;
  if (typeof e.source !== 'string' || e.source.trim() === '') return fail('InvalidArgument', 'Parameter source is not valid. Reason: an event needs a non-empty "source".');
  if (typeof e['detail-type'] !== 'string' || e['detail-type'].trim() === '') return fail('InvalidArgument', 'Parameter detail-type is not valid. Reason: an event needs a non-empty "detail-type".');
  if (typeof e.detail !== 'object' || e.detail === null || Array.isArray(e.detail)) return fail('MalformedDetail', 'Detail is malformed: an event\'s "detail" must be a JSON object.');
  const id = typeof e.id === 'string' && e.id !== '' ? e.id : fallbackId;
  if (e.source.startsWith(AWS_SOURCE_PREFIX)) {
    // Verbatim: consumers of AWS events accept what AWS sends (see ../shared/aws-native-events).
    return { ok: true, event: (e.id === id ? e : { ...e, id }) as unknown as BusEvent };
  }
  if (e.source.startsWith(PIPELINE_SOURCE_PREFIX)) {
    return fail('NotAuthorizedForSourceException', `Not authorized for the source ${e.source}: the pipeline's own events are not replayed in; replay the facts that caused them and the functions produce them again.`);
  }
  const asEntry = {
    EventBusName: bus.eventBusName,
    Source: e.source,
    DetailType: e['detail-type'],
    Detail: JSON.stringify(e.detail),
    ...(Array.isArray(e.resources) ? { Resources: e.resources } : {}),
    ...(e.time !== undefined ? { Time: e.time } : {}),
  };
  return entryToEvent(asEntry, id, receivedAt, bus, door);
}
