/**
 * An HTTP endpoint on loopback that speaks the EventBridge API (JSON 1.1 protocol), so
 * `@aws-sdk/client-eventbridge` and `aws events ... --endpoint-url` work unchanged.
 * Operations: PutEvents, TestEventPattern, ListRules. Errors are AWS-shaped:
 * HTTP 400 with `{"__type", "message"}` and the `x-amzn-ErrorType` header.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { keepIdleSocketsOpen } from './http-server.ts';
import type { AddressInfo } from 'node:net';
import { compileEventPattern, InvalidEventPatternError } from '../infra/event-pattern/index.ts';
import type { RoutedFunction } from '../infra/routes.ts';
import { INGRESS_SOURCE } from '../schemas/details/pipeline.ts';
import type { LocalEventBus } from './event-bus.ts';
import type { JsonlStore } from './jsonl-store.ts';
import { ApiError, entryToEvent, readPutEventsRequest, type BusEvent, type BusIdentity, type EntryOutcome } from './put-events.ts';

/** An entry refused at the door, kept for an admin to inspect (`erpgov rejected`). */
export interface RejectedEntry {
  readonly rejectedAt: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly entry: unknown;
}

export interface EndpointOptions {
  readonly bus: LocalEventBus;
  readonly rejected: JsonlStore<RejectedEntry>;
  readonly identity: BusIdentity;
  readonly routes: readonly RoutedFunction[];
  readonly host: string;
  readonly port: number;
  readonly clock?: () => Date;
}

/** Bodies larger than this are refused before parsing; the 256 KB entry limit is checked after. */
const MAX_BODY_BYTES = 1024 * 1024;

export async function startEventBridgeEndpoint(options: EndpointOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => sendError(res, new ApiError('InternalException', (err as Error).message, 500)));
  });
  keepIdleSocketsOpen(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host}:${port}` };
}

async function handle(options: EndpointOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
    return sendJson(res, 200, { status: 'ok', bus: options.identity.eventBusName, pendingDeliveries: options.bus.pendingDeliveries, stats: options.bus.stats });
  }
  if (req.method !== 'POST') {
    return sendError(res, new ApiError('UnknownOperationException', `${req.method} is not supported; EventBridge calls are POST with an X-Amz-Target header`));
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
  const body = await readBody(req);
  if (body === undefined) {
    return sendError(res, new ApiError('ValidationException', `Total size of the entries in the request is over the limit: the request body exceeds ${MAX_BODY_BYTES} bytes`));
  }
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body);
  } catch (err) {
    return sendError(res, new ApiError('SerializationException', `the request body is not valid JSON: ${(err as Error).message}`));
  }
  try {
    switch (operation) {
      case 'PutEvents':
        return sendJson(res, 200, putEvents(options, parsed));
      case 'TestEventPattern':
        return sendJson(res, 200, testEventPattern(parsed));
      case 'ListRules':
        return sendJson(res, 200, listRules(options));
      default:
        return sendError(
          res,
          new ApiError('UnknownOperationException', `X-Amz-Target "${target}" is not an operation this endpoint serves; allowed: AWSEvents.PutEvents, AWSEvents.TestEventPattern, AWSEvents.ListRules`),
        );
    }
  } catch (err) {
    if (err instanceof ApiError) return sendError(res, err);
    throw err;
  }
}

function putEvents(options: EndpointOptions, body: unknown) {
  const entries = readPutEventsRequest(body);
  const receivedAt = options.clock?.() ?? new Date();
  const outcomes: EntryOutcome[] = entries.map((entry) => entryToEvent(entry, randomUUID(), receivedAt, options.identity));
  const accepted = outcomes.flatMap((o) => (o.ok ? [o.event] : []));
  const rejected: RejectedEntry[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) rejected.push({ rejectedAt: receivedAt.toISOString(), errorCode: o.errorCode, errorMessage: o.errorMessage, entry: entries[i] });
  });
  // Rejections are kept before answering, like acceptances: the caller's view and the disk agree.
  options.rejected.append(rejected);
  // ...and go on the bus as "Entry Rejected", so the audit trail records them too (raw, flagged
  // invalid): the trail never drops anything the pipeline received.
  const rejectionEvents = rejected.map((r) => rejectionEvent(r, receivedAt, options.identity));
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

function rejectionEvent(r: RejectedEntry, receivedAt: Date, identity: BusIdentity): BusEvent {
  return {
    version: '0',
    id: randomUUID(),
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

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
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
