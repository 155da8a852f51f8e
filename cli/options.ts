/** Defaults shared by the CLI commands; environment variables override them, flags override both. */
import { resolve } from 'node:path';
import { UsageError } from './usage.ts';

export const DEFAULT_EVENTBRIDGE_PORT = 4010;
export const DEFAULT_DYNAMODB_PORT = 4011;

export function dataDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.ERPGOV_DATA_DIR ?? '.erpgov');
}

export function portFrom(flag: string | undefined, envValue: string | undefined, fallback: number, name: string): number {
  const raw = flag ?? envValue;
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${name}: "${raw}" is not a port number; allowed 0-65535 (0 picks a free port)`);
  }
  return port;
}

/** `raw` as a whole number of 1 or more (a count), undefined when it is not one. */
function countOf(raw: string): number | undefined {
  const n = Number(raw);
  return raw.trim() !== '' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** `erpgov start --max-backlog N` (or $ERPGOV_MAX_BACKLOG): a whole number of 1 or more; absent, the fallback. */
export function maxBacklogFrom(flag: string | undefined, envValue: string | undefined, fallback: number): number {
  const raw = flag ?? envValue;
  if (raw === undefined) return fallback;
  const max = countOf(raw);
  if (max === undefined) {
    throw new UsageError(`--max-backlog${flag === undefined ? ' ($ERPGOV_MAX_BACKLOG)' : ''}: "${raw}" is not allowed; give a whole number of undelivered events, 1 or more (default ${fallback})`);
  }
  return max;
}

/** `--limit N`: a whole number of 1 or more; absent, the fallback (undefined: the command's own default applies later). */
export function limitFrom<F extends number | undefined>(flag: string | undefined, fallback: F): number | F {
  if (flag === undefined) return fallback;
  const limit = countOf(flag);
  if (limit === undefined) throw new UsageError(`--limit: "${flag}" is not allowed; give a whole number, 1 or more`);
  return limit;
}
