/**
 * The EventBridge wire shapes: the event as EventBridge delivers it to a target, and the
 * PutEvents request entry an ERP sends, with the limits EventBridge documents
 * (API reference: PutEventsRequestEntry; quotas: 256 KB per entry).
 */
import * as z from 'zod';

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
    version: z.literal('0').describe('Envelope version; always "0".'),
    id: z.string().min(1).describe('Event id, unique per PutEvents entry; handlers are idempotent on it (delivery is at least once).'),
    'detail-type': z.string().min(1).max(MAX_DETAIL_TYPE_LENGTH).describe('Names the fact, e.g. "Role Assigned"; selects the detail schema.'),
    source: z.string().min(1).max(MAX_SOURCE_LENGTH).describe('Emitting system: "erp.<system>" for ERP systems (e.g. "erp.sap"), "erpgov.<function>" for the pipeline itself.'),
    account: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }).describe('AWS account of the bus.'),
    time: z.iso.datetime({ offset: true }).describe('When the fact happened (the entry\'s Time, or the moment EventBridge received it).'),
    region: z.string().min(1).describe('AWS region of the bus, e.g. "eu-central-1".'),
    resources: z.array(z.string().min(1).max(MAX_RESOURCE_LENGTH)).describe('ARNs or ids the event concerns; often empty.'),
    detail: z.record(z.string(), z.unknown()).describe('The fact itself; validated against the schema registered for detail-type.'),
  })
  .describe('An EventBridge event as delivered to a target.');
export type EventEnvelope = z.infer<typeof eventEnvelope>;

/**
 * One PutEvents entry. Strict: the API takes no other member, so an unknown one is almost
 * always a misspelling (`Detailtype`) that would otherwise be dropped without a word.
 */
export const putEventsRequestEntry = z
  .strictObject({
    Source: z
      .string()
      .trim()
      .min(1)
      .max(MAX_SOURCE_LENGTH)
      .refine((source) => !source.startsWith('aws.'), { message: 'must not start with "aws." (reserved for AWS services); ERP systems use "erp.<system>"' })
      .describe('Emitting system, "erp.<system>".'),
    DetailType: z.string().trim().min(1).max(MAX_DETAIL_TYPE_LENGTH).describe('A detail-type of the contract, e.g. "Role Assigned".'),
    Detail: z
      .string()
      .refine(isJsonObjectText, { message: 'must be a string holding a JSON object, e.g. JSON.stringify(detail)' })
      .describe('The detail, serialised: a string holding a JSON object.'),
    Resources: z.array(z.string().min(1).max(MAX_RESOURCE_LENGTH)).optional().describe('ARNs or ids the event concerns.'),
    Time: z.union([z.date(), z.iso.datetime({ offset: true })]).optional().describe('When the fact happened; the time of the call if absent.'),
    EventBusName: z
      .string()
      .min(1)
      .max(MAX_EVENT_BUS_NAME_LENGTH)
      .regex(EVENT_BUS_NAME_PATTERN, { message: 'must be a bus name (letters, digits, . - _) or an event-bus ARN' })
      .optional()
      .describe('Name or ARN of the bus; the pipeline\'s bus is "erpgov-bus".'),
    TraceHeader: z.string().min(1).max(MAX_TRACE_HEADER_LENGTH).optional().describe('AWS X-Ray trace header.'),
  })
  .superRefine((entry, ctx) => {
    const size = putEventsEntrySize(entry);
    if (size > MAX_ENTRY_SIZE_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['Detail'], input: `${size} bytes`, message: `must keep the entry within ${MAX_ENTRY_SIZE_BYTES} bytes (256 KB); shrink the Detail` });
    }
  })
  .describe('One entry of an EventBridge PutEvents request.');
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
