/**
 * The lines of a replay or simulation file (JSON Lines), each in one of two shapes:
 *   - a PutEvents entry: `Source`, `DetailType`, `Detail` (a JSON string, or an object for
 *     convenience), optional `Time`, `Resources`, `EventBusName` — sent through the door;
 *   - a complete EventBridge event as AWS delivers it: `source`, `detail-type`, `detail`,
 *     usually `id`, `time`, `account`, `region`, `resources` — injected as it is (the only way
 *     an `aws.*` event enters locally).
 * A line that is neither is an error naming the line and what is allowed; blank lines are
 * skipped. Pure.
 */
import { PIPELINE_EVENT_BUS_NAME } from '../schemas/envelope.ts';

export type ReplayLine =
  | { readonly kind: 'entry'; readonly line: number; readonly entry: Readonly<Record<string, unknown>>; readonly time: string | undefined }
  | { readonly kind: 'event'; readonly line: number; readonly event: Readonly<Record<string, unknown>>; readonly time: string | undefined };

export class ReplayFileError extends Error {}

const ALLOWED = 'allowed: a PutEvents entry {"Source","DetailType","Detail"[,"Time"]} or a complete EventBridge event {"source","detail-type","detail"[,"id","time",...]}';

/** Every line of `text`, or a ReplayFileError naming the first line that is neither shape. */
export function parseReplayFile(text: string, file = 'file'): ReplayLine[] {
  const lines: ReplayLine[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    const parsed = parseReplayLine(raw, i + 1);
    if ('error' in parsed) throw new ReplayFileError(`${file}:${i + 1}: ${parsed.error}`);
    lines.push(parsed);
  }
  return lines;
}

export function parseReplayLine(text: string, line: number): ReplayLine | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `not JSON (${(err as Error).message}): ${preview(text)}; ${ALLOWED}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: `${preview(text)} is not a JSON object; ${ALLOWED}` };
  const o = value as Record<string, unknown>;
  if (typeof o.Source === 'string' && typeof o.DetailType === 'string' && o.Detail !== undefined) {
    const detail = typeof o.Detail === 'string' ? o.Detail : JSON.stringify(o.Detail);
    const entry = { EventBusName: PIPELINE_EVENT_BUS_NAME, ...o, Detail: detail };
    return { kind: 'entry', line, entry, time: timeOf(o.Time) };
  }
  if (typeof o.source === 'string' && typeof o['detail-type'] === 'string' && typeof o.detail === 'object' && o.detail !== null && !Array.isArray(o.detail)) {
    return { kind: 'event', line, event: o, time: timeOf(o.time) };
  }
  return { error: `${preview(text)} is neither shape; ${ALLOWED}` };
}

/** The line's event time as ISO text, when it has one that parses (epoch seconds or ISO). */
function timeOf(raw: unknown): string | undefined {
  const date = typeof raw === 'number' || (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw)) ? new Date(Number(raw) * 1000) : typeof raw === 'string' ? new Date(raw) : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

function preview(text: string): string {
  const flat = text.trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}
