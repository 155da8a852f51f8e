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
import { createHash } from 'node:crypto';
import { PermanentError } from '../schemas/errors.ts';
import { MAX_ENTRY_SIZE_BYTES, MAX_SOURCE_LENGTH, MAX_DETAIL_TYPE_LENGTH, MAX_RESOURCE_LENGTH, putEventsEntrySize } from '../schemas/envelope.ts';
import { validateDetail } from '../schemas/registry.ts';
import { PIPELINE_SOURCE_PREFIX } from '../infra/routes.ts';

/** Limits EventBridge documents for PutEvents. */
export const MAX_ENTRIES_PER_REQUEST = 10;
/** "PutEvents will only process nested JSON up to 1100 levels deep" (PutEvents API reference). */
export const MAX_EVENT_DEPTH = 1100;
/** PutEvents' JSON integers: a signed 64-bit range (PutEvents API reference). */
const MIN_JSON_INTEGER = -(2n ** 63n);
const MAX_JSON_INTEGER = 2n ** 63n - 1n;
/** Event times the door takes: what a delivered event's ISO `time` can say (years 1970 to 9999). */
const EARLIEST_EVENT_TIME_MS = 0;
const LATEST_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
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
    return fail('ResourceNotFoundException', `Event bus ${clip(safeShow(busName), 200)} does not exist. This endpoint serves the bus "${bus.eventBusName}".`);
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
  const shape = scanJsonText(e.Detail);
  // The delivered event wraps the detail in one more level.
  if (shape.depth + 1 > MAX_EVENT_DEPTH) {
    return fail('MalformedDetail', `Detail is malformed: nested ${shape.depth} levels deep; PutEvents processes events nested up to ${MAX_EVENT_DEPTH} levels (the detail up to ${MAX_EVENT_DEPTH - 1}).`);
  }
  if (shape.outOfRangeInteger !== undefined) {
    return fail('MalformedDetail', `Detail is malformed: the integer ${clip(shape.outOfRangeInteger, 80)} is outside the 64-bit range PutEvents accepts (${MIN_JSON_INTEGER} to ${MAX_JSON_INTEGER}).`);
  }
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
    return fail('InvalidArgument', `Parameter Time is not valid. Reason: ${clip(safeShow(e.Time), 80)} is not epoch seconds or an ISO-8601 timestamp between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z.`);
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
  else if (typeof raw === 'string' && ISO_TIMESTAMP.test(raw)) date = new Date(raw);
  else return undefined;
  const ms = date.getTime();
  if (Number.isNaN(ms) || ms < EARLIEST_EVENT_TIME_MS || ms > LATEST_EVENT_TIME_MS) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 / ISO-8601 date-time with a 4-digit year and an offset (or Z), as EventBridge takes it. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** The shape of a JSON text, read iteratively (no recursion a payload can exhaust). */
export interface JsonTextShape {
  /** Deepest nesting of objects and arrays (a scalar is 0, `{}` is 1). */
  readonly depth: number;
  /** The first integer literal outside the signed 64-bit range, as written. */
  readonly outOfRangeInteger: string | undefined;
}

/** Scans a JSON text without parsing it: nesting depth and integers beyond 64 bits. Text need not be valid JSON. */
export function scanJsonText(text: string): JsonTextShape {
  let depth = 0;
  let deepest = 0;
  let outOfRangeInteger: string | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \\ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b /* { [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d /* } ] */) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39) /* - digit */) {
      let j = i + 1;
      while (j < n && /[0-9.eE+-]/.test(text[j] as string)) j++;
      const token = text.slice(i, j);
      if (outOfRangeInteger === undefined && /^-?\d+$/.test(token) && token.replace('-', '').length >= 19) {
        const value = BigInt(token);
        if (value < MIN_JSON_INTEGER || value > MAX_JSON_INTEGER) outOfRangeInteger = token;
      }
      i = j - 1;
    }
  }
  return { depth: deepest, outOfRangeInteger };
}

/** Nesting depth of a parsed value, iteratively (a scalar is 0, `{}` is 1); stops counting past `limit`. */
export function valueDepth(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    const here = d + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v as Record<string, unknown>)) if (typeof child === 'object' && child !== null) stack.push([child, here]);
  }
  return deepest;
}

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** At most `max` characters of `text`, marked when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} characters)`;
}

function safeShow(value: unknown): string {
  if (typeof value === 'object' && value !== null && valueDepth(value, 64) > 64) return '(a value nested too deep to show)';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Largest entry text kept whole with a refusal; bigger ones are kept as a preview and the digest of the whole. */
export const MAX_KEPT_ENTRY_CHARS = 64 * 1024;
/** Nesting kept whole with a refusal (well under what a record's JSON.stringify handles). */
const MAX_KEPT_DEPTH = 64;

/**
 * What is kept of a refused entry (`rejected list`, the "Entry Rejected" event and so the audit
 * trail): the entry itself when it is small, shallow and its Source fits a key; otherwise its
 * fields as far as they fit, each oversized one replaced by a preview, its length and the
 * SHA-256 of the whole, so the record always fits one DynamoDB item and a chain key.
 */
export function keptEntry(entry: unknown): unknown {
  if (typeof entry !== 'object' || entry === null) return typeof entry === 'string' ? keptText(entry, MAX_KEPT_ENTRY_CHARS) : entry;
  if (valueDepth(entry, MAX_KEPT_DEPTH) > MAX_KEPT_DEPTH) return { truncated: true, reason: `nested deeper than ${MAX_KEPT_DEPTH} levels`, ...textSummary(boundedStringify(entry)) };
  const whole = JSON.stringify(entry);
  const source = (entry as { Source?: unknown }).Source;
  if (whole.length <= MAX_KEPT_ENTRY_CHARS && !(typeof source === 'string' && source.length > MAX_SOURCE_LENGTH)) return entry;
  if (Array.isArray(entry)) return { truncated: true, ...textSummary(whole) };
  const kept: Record<string, unknown> = { truncated: true, sha256: sha256(whole), chars: whole.length };
  for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
    if (key === 'Source' && typeof value === 'string') kept[key] = keptText(value, MAX_SOURCE_LENGTH - 128);
    else if (typeof value === 'string') kept[key] = keptText(value, MAX_KEPT_ENTRY_CHARS / 4);
    else {
      const text = JSON.stringify(value) ?? 'null';
      kept[key] = text.length <= 1024 ? value : { truncated: true, ...textSummary(text) };
    }
  }
  return kept;
}

function keptText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated: ${text.length} characters, sha256 ${sha256(text)}]`;
}

function textSummary(text: string): { preview: string; chars: number; sha256: string } {
  return { preview: text.slice(0, 1024), chars: text.length, sha256: sha256(text) };
}

/** JSON of a value of any depth, iteratively (objects/arrays beyond the stack's reach included). */
function boundedStringify(value: unknown): string {
  class Punctuation {
    constructor(readonly text: string) {}
  }
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof Punctuation) out.push(v.text);
    else if (Array.isArray(v)) {
      out.push('[');
      stack.push(new Punctuation(']'));
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push(v[i]);
        if (i > 0) stack.push(new Punctuation(','));
      }
    } else if (typeof v === 'object' && v !== null) {
      out.push('{');
      stack.push(new Punctuation('}'));
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        stack.push(child, new Punctuation(`${JSON.stringify(k)}:`));
        if (i > 0) stack.push(new Punctuation(','));
      }
    } else out.push(JSON.stringify(v) ?? 'null');
  }
  return out.join('');
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
  if (valueDepth(e, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) return fail('MalformedDetail', `Detail is malformed: the event is nested deeper than the ${MAX_EVENT_DEPTH} levels EventBridge processes.`);
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
