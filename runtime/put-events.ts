/**
 * PutEvents request checks and entry-to-event conversion, as EventBridge does them, plus the
 * pipeline's contract check (the detail must validate against its registered schema).
 * Pure: no I/O, so every rule is unit-tested directly.
 */
import { PermanentError } from '../schemas/errors.ts';
import { MAX_ENTRY_SIZE_BYTES, MAX_SOURCE_LENGTH, MAX_DETAIL_TYPE_LENGTH, MAX_RESOURCE_LENGTH, putEventsEntrySize } from '../schemas/envelope.ts';
import { validateDetail } from '../schemas/registry.ts';

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

/** Turns one PutEvents entry into a bus event, or says precisely why it is refused. */
export function entryToEvent(entry: unknown, id: string, receivedAt: Date, bus: BusIdentity): EntryOutcome {
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
  if (source.startsWith('aws.')) {
    return fail('NotAuthorizedForSourceException', `Not authorized for the source ${source}: sources starting with "aws." are reserved for AWS services; ERP systems use "erp.<system>".`);
  }
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
