/**
 * The EventBridge wire shapes: the event as EventBridge delivers it to a target, and the
 * PutEvents request entry an ERP sends, with the limits EventBridge documents
 * (API reference: PutEventsRequestEntry; quotas: 256 KB per entry).
 */
import * as z from './zod-mini.ts';

/** EventBridge's limit on one entry (and on a whole PutEvents request): 256 KB. */
/** The pipeline's event bus: ERP systems put their events here (locally and on AWS). */
export const PIPELINE_EVENT_BUS_NAME = 'erpgov-bus';
export const MAX_ENTRY_SIZE_BYTES = 256 * 1024;
export const MAX_DETAIL_TYPE_LENGTH = 128;
export const MAX_EVENT_BUS_NAME_LENGTH = 1600;
export const MAX_RESOURCE_LENGTH = 2048;
export const MAX_TRACE_HEADER_LENGTH = 500;
/**
 * EventBridge documents no length for Source; 256 is the pipeline's own cap (the local
 * endpoint applies the same), generous for `erp.<system>`.
 */
export const MAX_SOURCE_LENGTH = 256;
/** Name or ARN of a bus, as EventBridge's API reference gives the pattern. */
export const EVENT_BUS_NAME_PATTERN = /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[.\-_A-Za-z0-9]+$/;

/**
 * The event as delivered to a target (Lambda, SQS...). Loose: EventBridge adds fields in
 * some cases (`replay-name` on replayed events) and a target must not break on them.
 */
export const eventEnvelope = z
  .looseObject({
    version: z.literal('0').check(z.describe('Envelope version; always "0".')),
    id: z.string().check(z.minLength(1), z.describe('Event id, unique per PutEvents entry; handlers are idempotent on it (delivery is at least once).')),
    'detail-type': z.string().check(z.minLength(1), z.maxLength(MAX_DETAIL_TYPE_LENGTH), z.describe('Names the fact, e.g. "Role Assigned"; selects the detail schema.')),
    source: z.string().check(z.minLength(1), z.maxLength(MAX_SOURCE_LENGTH), z.describe('Emitting system: "erp.<system>" for ERP systems (e.g. "erp.sap"), "erpgov.<function>" for the pipeline itself.')),
    account: z.string().check(z.regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }), z.describe('AWS account of the bus.')),
    time: z.iso.datetime({ offset: true }).check(z.describe('When the fact happened (the entry\'s Time, or the moment EventBridge received it).')),
    region: z.string().check(z.minLength(1), z.describe('AWS region of the bus, e.g. "eu-central-1".')),
    resources: z.array(z.string().check(z.minLength(1), z.maxLength(MAX_RESOURCE_LENGTH))).check(z.describe('ARNs or ids the event concerns; often empty.')),
    detail: z.record(z.string(), z.unknown()).check(z.describe('The fact itself; validated against the schema registered for detail-type.')),
  })
  .check(z.describe('An EventBridge event as delivered to a target.'));
export type EventEnvelope = z.infer<typeof eventEnvelope>;

/**
 * One PutEvents entry. Strict: the API takes no other member, so an unknown one is almost
 * always a misspelling (`Detailtype`) that would otherwise be dropped without a word.
 */
export const putEventsRequestEntry = z
  .strictObject({
    Source: z
      .string()
      .check(z.trim(), z.minLength(1), z.maxLength(MAX_SOURCE_LENGTH), z.refine((source) => !source.startsWith('aws.'), { message: 'must not start with "aws." (reserved for AWS services); ERP systems use "erp.<system>"' }), z.describe('Emitting system, "erp.<system>".')),
    DetailType: z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_DETAIL_TYPE_LENGTH), z.describe('A detail-type of the contract, e.g. "Role Assigned".')),
    Detail: z
      .string()
      .check(z.refine(isJsonObjectText, { message: 'must be a string holding a JSON object, e.g. JSON.stringify(detail)' }), z.describe('The detail, serialised: a string holding a JSON object.')),
    Resources: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(MAX_RESOURCE_LENGTH)))).check(z.describe('ARNs or ids the event concerns.')),
    Time: z.optional(z.union([z.date(), z.iso.datetime({ offset: true })])).check(z.describe('When the fact happened; the time of the call if absent.')),
    EventBusName: z.optional(z
      .string()
      .check(z.minLength(1), z.maxLength(MAX_EVENT_BUS_NAME_LENGTH), z.regex(EVENT_BUS_NAME_PATTERN, { message: 'must be a bus name (letters, digits, . - _) or an event-bus ARN' })))
      .check(z.describe('Name or ARN of the bus; the pipeline\'s bus is "erpgov-bus".')),
    TraceHeader: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_TRACE_HEADER_LENGTH))).check(z.describe('AWS X-Ray trace header.')),
  })
  .check(z.superRefine((entry, ctx) => {
    const size = putEventsEntrySize(entry);
    if (size > MAX_ENTRY_SIZE_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['Detail'], input: `${size} bytes`, message: `must keep the entry within ${MAX_ENTRY_SIZE_BYTES} bytes (256 KB); shrink the Detail` });
    }
  }), z.describe('One entry of an EventBridge PutEvents request.'));
export type PutEventsRequestEntry = z.infer<typeof putEventsRequestEntry>;

/** Entry size as EventBridge computes it: 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType, Detail and each resource. */
export function putEventsEntrySize(entry: Pick<PutEventsRequestEntry, 'Source' | 'DetailType' | 'Detail' | 'Resources' | 'Time'>): number {
  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
  let size = entry.Time === undefined ? 0 : 14;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

function isJsonObjectText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
