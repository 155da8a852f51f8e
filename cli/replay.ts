/**
 * `erpgov replay FILE.jsonl`: every line into the running runtime, keeping its event time.
 * PutEvents entries go through the endpoint (the public door and the contract, as any ERP's);
 * complete EventBridge events go through the runtime's admin channel, which keeps `aws.*`
 * events exactly as AWS emits them and refuses `erpgov.*`. The file is checked whole before
 * anything is sent: a line of neither shape is a usage error (exit 2, nothing written).
 *
 * In order by default: each line is sent once everything the previous one caused has been
 * delivered (the runtime's WaitIdle), so a series (a host's samples a minute apart, a change's
 * request, approvals and deploy) is judged as it happened. EventBridge itself does not order
 * deliveries; `--unordered` sends batches of 10 and lets the bus deliver them concurrently.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PutEventsResult } from '../runtime/eventbridge-endpoint.ts';
import { entrySize, MAX_ENTRIES_PER_REQUEST, MAX_REQUEST_SIZE_BYTES } from '../runtime/put-events.ts';
import { parseReplayFile, ReplayFileError, type ReplayLine } from '../runtime/replay-lines.ts';
import { dataDirFrom } from './options.ts';
import { adminCall, putEventsRaw, requireRuntime, retryingThrottled } from './runtime-client.ts';
import { UsageError } from './usage.ts';

type Out = (line: string) => void;
/** Longest wait for one line's deliveries before the next line is sent anyway. */
const IDLE_TIMEOUT_MS = 60_000;
const stdout: Out = (line) => process.stdout.write(`${line}\n`);

export interface ReplayOutcome {
  readonly accepted: number;
  readonly refused: number;
  readonly refusals: readonly { readonly line: number; readonly errorCode: string; readonly errorMessage: string }[];
}

/** Reads and checks a JSON Lines file of events; a missing file or a line of neither shape is a usage error. */
export function readEventsFile(file: string): ReplayLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`"${file}" cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a JSON Lines file of events`);
  }
  try {
    return parseReplayFile(text, file);
  } catch (err) {
    if (err instanceof ReplayFileError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runReplayCommand(args: string[], out: Out = stdout): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, unordered: { type: 'boolean' }, 'data-dir': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`replay: give exactly one file (got ${positionals.length}); e.g. erpgov replay events.jsonl`);
  const file = positionals[0] as string;
  const lines = readEventsFile(file);
  if (lines.length === 0) throw new UsageError(`"${file}" holds no events (every line is blank)`);
  const runtime = await requireRuntime(dataDirFrom(values['data-dir']), 'replay');
  const refusals: { line: number; errorCode: string; errorMessage: string }[] = [];
  let accepted = 0;
  const record = (batch: readonly ReplayLine[], result: PutEventsResult) => {
    result.Entries.forEach((entry, i) => {
      if ('EventId' in entry) accepted++;
      else refusals.push({ line: (batch[i] as ReplayLine).line, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage });
    });
  };
  for (const batch of values.unordered ? batches(lines) : lines.map((line) => [line])) {
    // Entries go over the EventBridge API as they are written (Time kept verbatim: ISO text or epoch seconds).
    // A runtime whose backlog is full answers ThrottlingException: the batch goes again after a wait.
    if (batch[0]?.kind === 'entry') record(batch, await retryingThrottled(() => putEventsRaw(runtime.eventBridgeUrl, batch.map((l) => (l.kind === 'entry' ? l.entry : {})))));
    else record(batch, await retryingThrottled(() => adminCall<PutEventsResult>(runtime, 'InjectEvents', { Events: batch.map((l) => (l.kind === 'event' ? l.event : {})) })));
    if (!values.unordered) await adminCall<{ idle: boolean }>(runtime, 'WaitIdle', { TimeoutMs: IDLE_TIMEOUT_MS });
  }
  const outcome: ReplayOutcome = { accepted, refused: refusals.length, refusals };
  if (values.json) out(JSON.stringify(outcome, null, 2));
  else {
    for (const r of refusals) out(`line ${r.line}: refused, ${r.errorCode}: ${r.errorMessage}`);
    out(`replayed ${file}: ${accepted} accepted, ${refusals.length} refused`);
  }
  return refusals.length === 0 ? 0 : 1;
}

/** Consecutive lines of one kind, at most 10 per call and within PutEvents' 256 KB per request. */
function* batches(lines: readonly ReplayLine[]): Generator<ReplayLine[]> {
  let batch: ReplayLine[] = [];
  let size = 0;
  for (const line of lines) {
    const lineSize = line.kind === 'entry' ? entrySize(line.entry) : 0;
    if (batch.length > 0 && (batch[0]?.kind !== line.kind || batch.length >= MAX_ENTRIES_PER_REQUEST || size + lineSize > MAX_REQUEST_SIZE_BYTES)) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(line);
    size += lineSize;
  }
  if (batch.length > 0) yield batch;
}
