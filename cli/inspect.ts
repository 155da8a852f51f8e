/**
 * `erpgov dlq list` and `erpgov rejected list`: read the local runtime's dead letters and
 * rejected entries straight from the data folder, so they work with the runtime up or down.
 */
import { parseArgs } from 'node:util';
import { deadLetterStore } from '../runtime/event-bus.ts';
import { rejectedStore } from '../runtime/local-runtime.ts';
import { dataDirFrom } from './options.ts';

function listOptions(args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } } });
  const sub = positionals[0] ?? 'list';
  if (sub !== 'list') throw new Error(`unknown subcommand "${sub}"; allowed: list`);
  return { dataDir: dataDirFrom(values['data-dir']), json: values.json ?? false };
}

export function runDeadLetterCommand(args: string[]): number {
  const { dataDir, json } = listOptions(args);
  const store = deadLetterStore(dataDir);
  const letters = store.readAll();
  warnUnreadable(store.file, store.unreadableLines);
  if (json) {
    process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${letters.length} dead letter(s) in ${dataDir}\n`);
  for (const l of letters) {
    process.stdout.write(
      `- ${l.deadLetteredAt} ${l.target} event ${l.event.id} (${l.event.source} / ${l.event['detail-type']}) after ${l.attempts} attempt(s)${l.retryable ? '' : ', not retryable'}: ${l.lastError.name}: ${l.lastError.message}\n`,
    );
  }
  return 0;
}

export function runRejectedCommand(args: string[]): number {
  const { dataDir, json } = listOptions(args);
  const store = rejectedStore(dataDir);
  const rejected = store.readAll();
  warnUnreadable(store.file, store.unreadableLines);
  if (json) {
    process.stdout.write(`${JSON.stringify(rejected, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${rejected.length} rejected entr${rejected.length === 1 ? 'y' : 'ies'} in ${dataDir}\n`);
  for (const r of rejected) {
    const e = (r.entry ?? {}) as { Source?: unknown; DetailType?: unknown };
    process.stdout.write(`- ${r.rejectedAt} ${String(e.Source)} / ${String(e.DetailType)}: ${r.errorCode}: ${r.errorMessage}\n`);
  }
  return 0;
}

function warnUnreadable(file: string, lines: readonly number[]): void {
  if (lines.length > 0) process.stderr.write(`warning: ${file}: line(s) ${lines.join(', ')} are not JSON (torn by a crash?) and were skipped\n`);
}
