/**
 * An HTTP endpoint on loopback that speaks the EventBridge API (JSON 1.1 protocol), so
 * `@aws-sdk/client-eventbridge` and `aws events ... --endpoint-url` work unchanged.
 * Operations: PutEvents, TestEventPattern, ListRules. Errors are AWS-shaped:
 * HTTP 400 with `{"__type", "message"}` and the `x-amzn-ErrorType` header. While the bus
 * holds `maxBacklog` undelivered events, the public door and the admin channel answer
 * ThrottlingException (the SDKs retry it with back-off); the pipeline's own door never does.
 *
 * Three ways in, each its own door (see put-events.ts):
 *   POST /                        the public door: ERP systems and operators (`erp.*`, and
 *                                 the sources the policy lists); `erpgov.*`/`aws.*` refused;
 *   POST /pipeline/<token>/       the pipeline's own functions (in-process; the runtime points
 *                                 their AWS_ENDPOINT_URL_EVENTBRIDGE here): `erpgov.*` only;
 *   POST / with X-Amz-Target `ErpGovAdmin.<operation>` and the `x-erpgov-admin-token` header
 *                                 from the data folder's runtime.json, from loopback only:
 *                                 the operator's admin channel — InjectEvents (`erpgov replay`
 *                                 of complete events, the only way `aws.*` enters locally),
 *                                 RunSchedule and ListSchedules (`erpgov schedule`),
 *                                 WaitIdle (`erpgov replay` delivering lines in order).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './http-server.ts';
import { compileEventPattern, InvalidEventPatternError } from '../infra/event-pattern/index.ts';
import type { RoutedFunction } from '../infra/routes.ts';
import { INGRESS_SOURCE } from '../schemas/details/pipeline.ts';
import { systemClock, type Clock } from '../functions/shared/clock.ts';
import type { LocalEventBus } from './event-bus.ts';
import type { JsonlStore } from './jsonl-store.ts';
import { ApiError, clip, completeEventToBusEvent, entryToEvent, keptEntry, pipelineDoor, publicDoor, readPutEventsRequest, type BusEvent, type BusIdentity, type Door, type EntryOutcome } from './put-events.ts';

/** An entry refused at the door, kept for an admin to inspect (`erpgov rejected`). */
export interface RejectedEntry {
  readonly rejectedAt: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly entry: unknown;
}

/** The operator's admin operations the runtime serves on its endpoint (loopback, with the admin token). */
export interface AdminOperations {
  readonly token: string;
  runSchedule(scheduleId: string, at: Date | undefined): Promise<unknown>;
  listSchedules(): unknown;
  /** Resolves once every delivery on the bus (and what it caused) has finished, or after `timeoutMs`; says which. */
  waitIdle(timeoutMs: number): Promise<{ idle: boolean }>;
}

export interface EndpointOptions {
  readonly bus: LocalEventBus;
  readonly rejected: JsonlStore<RejectedEntry>;
  readonly identity: BusIdentity;
  readonly routes: readonly RoutedFunction[];
  readonly host: string;
  readonly port: number;
  /** Receipt times (a simulation's virtual clock). Default: the system clock. */
  readonly clock?: Clock;
  /** Event ids (deterministic in simulations). Default: random UUIDs. */
  readonly ids?: () => string;
  /** Sources the public door takes besides `erp.<system>` (policy `ingress.allowedSources`). */
  readonly allowedSources?: readonly string[];
  /** The path segment of the pipeline's own door; without it the endpoint has no pipeline door. */
  readonly pipelineToken?: string;
  readonly admin?: AdminOperations;
  /**
   * Back-pressure: while this many accepted events (or more) wait for their deliveries, the
   * public door answers PutEvents (and the admin channel's injections) with ThrottlingException,
   * as EventBridge does over its quota, and the SDKs retry with back-off. The backlog is held in
   * memory, so this bounds the runtime's memory under a flood. The pipeline's own door and the
   * schedules are never turned away: they are how the backlog drains. Undefined: no bound.
   */
  readonly maxBacklog?: number;
}

/** The path of the pipeline's own door for `token`: the functions' EventBridge endpoint is the server's URL plus this. */
export const pipelineDoorPath = (token: string) => `/pipeline/${token}`;

export const ADMIN_TARGET_PREFIX = 'ErpGovAdmin.';
export const ADMIN_TOKEN_HEADER = 'x-erpgov-admin-token';

/** Bodies larger than this are refused before parsing; the 256 KB entry limit is checked after. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startEventBridgeEndpoint(options: EndpointOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => sendError(res, new ApiError('InternalException', (err as Error).message, 500)));
  });
  return listenOnLoopback(server, options);
}

async function handle(options: EndpointOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
    return sendJson(res, 200, { status: 'ok', bus: options.identity.eventBusName, pid: process.pid, backlog: options.bus.backlog, maxBacklog: options.maxBacklog ?? null, pendingDeliveries: options.bus.pendingDeliveries, stats: options.bus.stats });
  }
  if (req.method !== 'POST') {
    await readBody(req);
    return sendError(res, new ApiError('UnknownOperationException', `${req.method} is not supported; EventBridge calls are POST with an X-Amz-Target header`));
  }
  const door = doorOf(options, req.url ?? '/');
  if (door === undefined) {
    await readBody(req);
    return sendError(res, new ApiError('AccessDeniedException', 'This path is not a door of this endpoint: EventBridge calls go to "/".', 403));
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith(ADMIN_TARGET_PREFIX)) return handleAdmin(options, req, res, target.slice(ADMIN_TARGET_PREFIX.length), door);
  const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
  const read = await readBody(req);
  // Every refused PutEvents call (and call to no operation) is kept like a refused entry.
  const refuseCall = (err: ApiError) => {
    if (operation === 'PutEvents' || !['TestEventPattern', 'ListRules'].includes(operation)) keepCallRefusal(options, err, target, read);
    return sendError(res, err);
  };
  if (read.tooLarge) {
    return refuseCall(new ApiError('ValidationException', `Total size of the entries in the request is over the limit: the request body exceeds ${MAX_BODY_BYTES} bytes`));
  }
  const body = read.text;
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body);
  } catch (err) {
    return refuseCall(new ApiError('SerializationException', `the request body is not valid JSON: ${(err as Error).message}`));
  }
  try {
    switch (operation) {
      case 'PutEvents': {
        let entries: unknown[];
        try {
          entries = readPutEventsRequest(parsed);
        } catch (err) {
          if (err instanceof ApiError) return refuseCall(err);
          throw err;
        }
        const result = putEvents(options, entries, door);
        // Acknowledged only once on disk, like PutEvents: a caller that got an event id may forget the event.
        await options.bus.whenJournaled();
        return sendJson(res, 200, result);
      }
      case 'TestEventPattern':
        return sendJson(res, 200, testEventPattern(parsed));
      case 'ListRules':
        return sendJson(res, 200, listRules(options));
      default:
        return refuseCall(
          new ApiError('UnknownOperationException', `X-Amz-Target "${clip(target, 200)}" is not an operation this endpoint serves; allowed: AWSEvents.PutEvents, AWSEvents.TestEventPattern, AWSEvents.ListRules`),
        );
    }
  } catch (err) {
    if (err instanceof ApiError) return sendError(res, err);
    throw err;
  }
}

/** The door a request path opens: the public one at "/", the pipeline's at its token path, none elsewhere. */
function doorOf(options: EndpointOptions, url: string): Door | undefined {
  const path = url.split('?')[0] ?? '/';
  if (path === '/' || path === '') return publicDoor(options.allowedSources);
  if (options.pipelineToken !== undefined) {
    const own = pipelineDoorPath(options.pipelineToken);
    if (path === own || path === `${own}/`) return pipelineDoor;
  }
  return undefined;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

/**
 * PutEvents as the endpoint does it, entry by entry through `door`: accepted entries are
 * journaled and routed; refused ones are kept (`erpgov rejected list`) and go on the bus as
 * "Entry Rejected" so the audit trail records them too. The simulator calls it in-process.
 */
export function putEvents(options: EndpointOptions, entries: readonly unknown[], door: Door = publicDoor(options.allowedSources)): PutEventsResult {
  if (door.kind === 'public') refuseWhileBacklogFull(options);
  const receivedAt = (options.clock ?? systemClock).now();
  const id = options.ids ?? randomUUID;
  return accept(options, entries, receivedAt, entries.map((entry) => entryToEvent(entry, id(), receivedAt, options.identity, door)));
}

/**
 * Complete events (as EventBridge delivers them) through the admin channel: `aws.*` kept
 * verbatim, `erpgov.*` refused, the rest judged like PutEvents entries with their own id and
 * time (see `completeEventToBusEvent`).
 */
export function injectEvents(options: EndpointOptions, events: readonly unknown[]): PutEventsResult {
  refuseWhileBacklogFull(options);
  const receivedAt = (options.clock ?? systemClock).now();
  const id = options.ids ?? randomUUID;
  const door = publicDoor(options.allowedSources);
  return accept(options, events, receivedAt, events.map((event) => completeEventToBusEvent(event, id(), receivedAt, options.identity, door)));
}

/**
 * Throws ThrottlingException while the bus holds `maxBacklog` events or more. The whole call is
 * turned away, nothing of it accepted or kept as a refusal (it is not one): the caller keeps the
 * entries and sends them again, as after EventBridge's own throttling.
 */
function refuseWhileBacklogFull(options: EndpointOptions): void {
  const backlog = options.bus.backlog;
  if (options.maxBacklog === undefined || backlog < options.maxBacklog) return;
  options.bus.stats.throttled++;
  throw new ApiError(
    'ThrottlingException',
    `Rate exceeded: ${backlog} events accepted earlier still wait for delivery, and this runtime takes no more while ${options.maxBacklog} or more wait (erpgov start --max-backlog); nothing of this call was accepted: send it again with back-off`,
  );
}

function accept(options: EndpointOptions, entries: readonly unknown[], receivedAt: Date, outcomes: readonly EntryOutcome[]): PutEventsResult {
  const accepted = outcomes.flatMap((o) => (o.ok ? [o.event] : []));
  const rejected: RejectedEntry[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) rejected.push({ rejectedAt: receivedAt.toISOString(), errorCode: o.errorCode, errorMessage: o.errorMessage, entry: keptEntry(entries[i]) });
  });
  // Rejections are kept before answering, like acceptances: the caller's view and the disk agree.
  options.rejected.append(rejected);
  // ...and go on the bus as "Entry Rejected", so the audit trail records them too (raw, flagged
  // invalid): the trail never drops anything the pipeline received.
  const id = options.ids ?? randomUUID;
  const rejectionEvents = rejected.map((r) => rejectionEvent(r, id(), receivedAt, options.identity));
  try {
    options.bus.accept([...accepted, ...rejectionEvents]);
  } catch (err) {
    throw new ApiError('ServiceUnavailableException', `the local bus is not accepting events: ${(err as Error).message}`, 503);
  }
  return {
    FailedEntryCount: rejected.length,
    Entries: outcomes.map((o) => (o.ok ? { EventId: o.event.id } : { ErrorCode: o.errorCode, ErrorMessage: o.errorMessage })),
  };
}

/**
 * A whole call refused (too many entries, too large, not JSON, no such operation): kept in
 * `rejected list` and on the bus as "Entry Rejected" like a refused entry, so the trail has it
 * too. The body is kept whole when small, else a preview, its size and the SHA-256 of all of it.
 */
function keepCallRefusal(options: EndpointOptions, err: ApiError, target: string, read: BodyRead): void {
  const receivedAt = (options.clock ?? systemClock).now();
  const body = read.tooLarge || read.text.length > MAX_KEPT_CALL_CHARS
    ? { preview: read.text.slice(0, 1024), bytes: read.bytes, sha256: read.sha256, truncated: true }
    : { text: read.text, bytes: read.bytes, sha256: read.sha256 };
  const refusal: RejectedEntry = {
    rejectedAt: receivedAt.toISOString(),
    errorCode: err.type,
    errorMessage: err.message,
    entry: { wholeCall: true, target: clip(target, 200), body },
  };
  try {
    options.rejected.append([refusal]);
    options.bus.accept([rejectionEvent(refusal, (options.ids ?? randomUUID)(), receivedAt, options.identity)]);
  } catch {
    // The caller still gets its refusal; a bus that is not accepting is reported on the next call.
  }
}

/** Largest refused call body kept whole. */
const MAX_KEPT_CALL_CHARS = 64 * 1024;

async function handleAdmin(options: EndpointOptions, req: IncomingMessage, res: ServerResponse, operation: string, door: Door): Promise<void> {
  const admin = options.admin;
  const given = String(req.headers[ADMIN_TOKEN_HEADER] ?? '');
  if (admin === undefined || door.kind !== 'public' || !isLoopback(req.socket.remoteAddress) || !sameSecret(given, admin.token)) {
    await readBody(req);
    return sendError(res, new ApiError('AccessDeniedException', `Admin operations need the ${ADMIN_TOKEN_HEADER} header from the data folder's runtime.json, over loopback.`, 403));
  }
  const read = await readBody(req);
  if (read.tooLarge) return sendError(res, new ApiError('ValidationException', `the request body exceeds ${MAX_BODY_BYTES} bytes`));
  const body = read.text;
  let parsed: Record<string, unknown>;
  try {
    const value: unknown = body.length === 0 ? {} : JSON.parse(body);
    parsed = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch (err) {
    return sendError(res, new ApiError('SerializationException', `the request body is not valid JSON: ${(err as Error).message}`));
  }
  try {
    switch (operation) {
      case 'InjectEvents': {
        const events = parsed.Events;
        if (!Array.isArray(events) || events.length < 1 || events.length > 10) throw new ApiError('ValidationException', 'Parameter Events must be an array of 1 to 10 complete events');
        return sendJson(res, 200, injectEvents(options, events));
      }
      case 'RunSchedule': {
        const id = parsed.ScheduleId;
        if (typeof id !== 'string' || id === '') throw new ApiError('ValidationException', 'Parameter ScheduleId is required');
        const at = parsed.At === undefined ? undefined : new Date(String(parsed.At));
        if (at !== undefined && Number.isNaN(at.getTime())) throw new ApiError('ValidationException', `Parameter At: "${String(parsed.At)}" is not a time`);
        return sendJson(res, 200, await admin.runSchedule(id, at));
      }
      case 'ListSchedules':
        return sendJson(res, 200, admin.listSchedules());
      case 'WaitIdle': {
        const timeout = parsed.TimeoutMs === undefined ? 60_000 : Number(parsed.TimeoutMs);
        if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) throw new ApiError('ValidationException', 'Parameter TimeoutMs must be an integer from 1 to 600000');
        return sendJson(res, 200, await admin.waitIdle(timeout));
      }
      default:
        throw new ApiError('UnknownOperationException', `"${ADMIN_TARGET_PREFIX}${operation}" is not an admin operation; allowed: InjectEvents, RunSchedule, ListSchedules, WaitIdle`);
    }
  } catch (err) {
    if (err instanceof ApiError) return sendError(res, err);
    if ((err as Error).name === 'UnknownScheduleError') return sendError(res, new ApiError('ResourceNotFoundException', (err as Error).message));
    throw err;
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function rejectionEvent(r: RejectedEntry, id: string, receivedAt: Date, identity: BusIdentity): BusEvent {
  return {
    version: '0',
    id,
    'detail-type': 'Entry Rejected',
    source: INGRESS_SOURCE,
    account: identity.account,
    time: receivedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: identity.region,
    resources: [],
    detail: { schemaVersion: 1, errorCode: r.errorCode, errorMessage: r.errorMessage, entry: r.entry },
  };
}

const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

function testEventPattern(body: unknown): { Result: boolean } {
  const { EventPattern, Event } = (body ?? {}) as { EventPattern?: unknown; Event?: unknown };
  if (typeof EventPattern !== 'string') throw new ApiError('ValidationException', 'Parameter EventPattern is required and must be a string holding the pattern JSON');
  if (typeof Event !== 'string') throw new ApiError('ValidationException', 'Parameter Event is required and must be a string holding the event JSON');
  let event: unknown;
  try {
    event = JSON.parse(Event);
  } catch (err) {
    throw new ApiError('InvalidEventPatternException', `Parameter Event is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new ApiError('ValidationException', 'Parameter Event must be a JSON object');
  const missing = REQUIRED_EVENT_FIELDS.filter((f) => !(f in event));
  if (missing.length > 0) throw new ApiError('ValidationException', `Parameter Event is not valid: missing ${missing.join(', ')} (an event needs ${REQUIRED_EVENT_FIELDS.join(', ')})`);
  try {
    return { Result: compileEventPattern(EventPattern).matches(event as BusEvent) };
  } catch (err) {
    if (err instanceof InvalidEventPatternError) throw new ApiError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${err.message}`);
    throw err;
  }
}

function listRules(options: EndpointOptions) {
  const { eventBusName, region, account } = options.identity;
  return {
    Rules: options.routes.flatMap((fn) =>
      fn.rules.map((rule) => ({
        Name: rule.id,
        Arn: `arn:aws:events:${region}:${account}:rule/${eventBusName}/${rule.id}`,
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
        Description: `${rule.description} → ${fn.name}`,
        EventBusName: eventBusName,
      })),
    ),
  };
}

interface BodyRead {
  /** The body, or its first MAX_BODY_BYTES when it is too large. */
  readonly text: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly tooLarge: boolean;
}

/**
 * Reads the whole body, always: an oversize one is drained (kept only up to the limit, hashed
 * whole) so the answer comes after the request and the keep-alive connection stays usable
 * (answering before the body is read left the next request on the connection hanging).
 */
async function readBody(req: IncomingMessage): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    hash.update(buffer);
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  const kept = Buffer.concat(chunks);
  return { text: kept.toString('utf8'), bytes: size, sha256: hash.digest('hex'), tooLarge: size > MAX_BODY_BYTES };
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) return;
  res.setHeader('x-amzn-errortype', err.type);
  sendJson(res, err.status, { __type: err.type, message: err.message });
}
