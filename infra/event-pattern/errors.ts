/**
 * The one error the matcher throws, and the helpers that make its messages point at the
 * offending spot: `detail.amount[0].numeric: ... got [">", "x"]`.
 */
import { PermanentError } from '../../schemas/errors.ts';

/** A pattern EventBridge would refuse (PutRule / TestEventPattern "Event pattern is not valid"). */
export class InvalidEventPatternError extends PermanentError {}

/** Where we are inside the pattern: object keys and array indexes, outermost first. */
export type PatternPath = readonly (string | number)[];

// Keys that read well after a dot; anything else (dots, spaces, quotes, "") is bracketed.
const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `detail.amount[0].numeric`, or `pattern` for the root. */
export function formatPath(path: PatternPath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (PLAIN_KEY.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out === '' ? 'pattern' : out;
}

const MAX_SHOWN = 120;

/** A short JSON-ish rendering of a bad value for an error message (`[">", "x"]`). */
export function show(value: unknown): string {
  const text = render(value, 0);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

function render(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return `<${typeof value}>`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (depth > 3) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${render(v, depth + 1)}`);
  return `{${entries.join(', ')}}`;
}

/** Throw `path: problem` (callers put the bad value and what is allowed into `problem`). */
export function fail(path: PatternPath, problem: string): never {
  throw new InvalidEventPatternError(`${formatPath(path)}: ${problem}`);
}
