/**
 * Turns zod issues into problems a person can act on: the key path, the bad value, and what
 * is allowed — `detail.expiresAt: "tomorrow" — must be an ISO-8601 date-time with offset`.
 * Shared by the event contract (`validateDetail`) and the policy loader so both speak alike.
 *
 * Convention: a custom message written in a schema (`refine`, `superRefine`, `regex`) starts
 * with "must ..." and is used as is; zod's generic messages are rephrased here.
 */
import type * as z from 'zod/v4/core';

export interface Problem {
  /** Key path, e.g. `detail.modules[0]` or `audit.retention.days`. */
  readonly path: string;
  /** The offending value (`undefined` when the key is missing). */
  readonly value: unknown;
  /** What is allowed, e.g. `must be at least 183 ...`. */
  readonly message: string;
}

const MAX_VALUE_TEXT = 60;

/** One problem per issue (an unknown-keys issue yields one per key). Needs `reportInput: true` at parse time. */
export function describeIssues(issues: readonly z.$ZodIssue[], root: string, schema?: z.$ZodType): Problem[] {
  return issues.flatMap((issue) => describeIssue(issue, root, schema));
}

export function describeIssue(issue: z.$ZodIssue, root: string, schema?: z.$ZodType): Problem[] {
  const path = formatPath(root, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.input as Record<string, unknown> | undefined;
    const allowed = schema === undefined ? undefined : objectKeysAt(schema, issue.path);
    const hint = allowed === undefined ? 'remove it or check its spelling' : `allowed here: ${allowed.join(', ')}`;
    return issue.keys.map((key) => ({ path: formatPath(root, [...issue.path, key]), value: parent?.[key], message: `unknown key; ${hint}` }));
  }
  return [{ path, value: issue.input, message: expectation(issue) }];
}

/** `path: value — what is allowed`, the line every problem is printed as. */
export function formatProblem(problem: Problem): string {
  return `${problem.path}: ${formatValue(problem.value)} — ${problem.message}`;
}

export function formatValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 1)}…` : text;
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let text = root;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === '' ? '(document)' : text;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
  date: 'a date',
  bigint: 'a whole number',
};

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  datetime: 'an ISO-8601 date-time with offset, e.g. 2026-03-01T09:30:00+08:00',
  date: 'an ISO-8601 date, e.g. 2026-03-01',
  time: 'a time of day, e.g. 08:00',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  email: 'an e-mail address',
  url: 'a URL',
  uuid: 'a UUID',
};

function expectation(issue: z.$ZodIssue): string {
  if (issue.message.startsWith('must ')) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const wanted = TYPE_NAMES[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `required (${wanted})` : `must be ${wanted}, not ${kindOf(issue.input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${formatValue(issue.values[0])}` : `must be one of ${issue.values.map(formatValue).join(', ')}`;
    case 'invalid_format':
      return `must be ${FORMAT_NAMES[issue.format] ?? `in ${issue.format} format`}`;
    case 'too_small':
      return bound(issue.origin, 'at least', issue.minimum, issue.inclusive !== false);
    case 'too_big':
      return bound(issue.origin, 'at most', issue.maximum, issue.inclusive !== false);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'does not match any of the allowed forms';
    default:
      return issue.message;
  }
}

function bound(origin: string, direction: 'at least' | 'at most', limit: number | bigint, inclusive: boolean): string {
  const n = Number(limit);
  if (origin === 'string') return direction === 'at least' && n === 1 ? 'must be non-empty text' : `must be ${direction} ${n} characters long`;
  if (origin === 'array' || origin === 'set') return `must list ${direction} ${n} item${n === 1 ? '' : 's'}`;
  if (!inclusive) return `must be ${direction === 'at least' ? 'more' : 'less'} than ${n}`;
  return `must be ${direction} ${n}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/**
 * The keys an object schema accepts at `path`, looking through wrappers (default, optional,
 * refinements) and into records and arrays. Best effort: undefined when it cannot tell.
 */
export function objectKeysAt(schema: z.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: unknown = schema;
  for (let i = 0; ; i++) {
    current = unwrap(current);
    const def = defOf(current);
    if (def === undefined) return undefined;
    if (i === path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
    const key = path[i];
    if (def.type === 'object' && def.shape && typeof key === 'string') current = def.shape[key];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return undefined;
  }
}

interface InspectableDef {
  type: string;
  innerType?: unknown;
  shape?: Record<string, unknown>;
  valueType?: unknown;
  element?: unknown;
  in?: unknown;
}

function defOf(schema: unknown): InspectableDef | undefined {
  return (schema as { _zod?: { def?: InspectableDef } } | undefined)?._zod?.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let def = defOf(current); def?.innerType !== undefined || def?.type === 'pipe'; def = defOf(current)) {
    current = def.type === 'pipe' ? def.in : def.innerType;
  }
  return current;
}
