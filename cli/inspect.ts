/**
 * `erpgov dlq list` and `erpgov rejected list`: read the local runtime's dead letters and
 * rejected entries straight from the data folder, so they work with the runtime up or down.
 */
import { parseArgs } from 'node:util';
import { deadLetterStore } from '../runtime/event-bus.ts';
import { rejectedStore } from '../runtime/local-runtime.ts';
import { dataDirFrom } from './options.ts';
import { UsageError } from './usage.ts';

function listOptions(args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } });
  const sub = positionals[0] ?? 'list';
  if (sub !== 'list') throw new UsageError(`unknown subcommand "${sub}"; allowed: list`);
  return { dataDir: dataDirFrom(values['data-dir']), json: values.json ?? false };
}

/** The JSON lines a store keeps, as read, with the numbers of the lines that were not JSON. */
interface ListedStore<T> {
  readonly file: string;
  readonly unreadableLines: readonly number[];
  readAll(): T[];
}

/** Lists a store's records: as JSON with `--json`, else a heading and one line per record. */
function listStore<T>(args: string[], open: (dataDir: string) => ListedStore<T>, heading: (count: number, dataDir: string) => string, line: (record: T) => string): number {
  const { dataDir, json } = listOptions(args);
  const store = open(dataDir);
  const records = store.readAll();
  warnUnreadable(store.file, store.unreadableLines);
  if (json) {
    process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${heading(records.length, dataDir)}\n`);
  for (const record of records) process.stdout.write(`${line(record)}\n`);
  return 0;
}

export function runDeadLetterCommand(args: string[]): number {
  return listStore(
    args,
    deadLetterStore,
    (count, dataDir) => `${count} dead letter(s) in ${dataDir}`,
    (l) => `- ${l.deadLetteredAt} ${l.target} event ${l.event.id} (${l.event.source} / ${l.event['detail-type']}) after ${l.attempts} attempt(s)${l.retryable ? '' : ', not retryable'}: ${l.lastError.name}: ${l.lastError.message}`,
  );
}

export function runRejectedCommand(args: string[]): number {
  return listStore(
    args,
    rejectedStore,
    (count, dataDir) => `${count} rejected entr${count === 1 ? 'y' : 'ies'} in ${dataDir}`,
    (r) => {
      const e = (r.entry ?? {}) as { Source?: unknown; DetailType?: unknown };
      return `- ${r.rejectedAt} ${String(e.Source)} / ${String(e.DetailType)}: ${r.errorCode}: ${r.errorMessage}`;
    },
  );
}

function warnUnreadable(file: string, lines: readonly number[]): void {
  if (lines.length > 0) process.stderr.write(`warning: ${file}: line(s) ${lines.join(', ')} are not JSON (torn by a crash?) and were skipped\n`);
}
