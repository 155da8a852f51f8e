/**
 * Amazon EventBridge event patterns: validate once, then match events with a tree of small
 * closures. Used for local routing, the local `TestEventPattern` API and, through the routing
 * table, to fail tests and `cdk synth` on a pattern EventBridge would refuse.
 *
 * Semantics follow EventBridge's documentation and its engine (aws/event-ruler), pinned by the
 * conformance corpus in ../shared/eventbridge-patterns (see test/unit/event-pattern-conformance.test.ts):
 * exact JSON-typed values, prefix/suffix (optionally equals-ignore-case), equals-ignore-case,
 * anything-but, numeric, exists, cidr, wildcard, `$or`, and "any element" matching of arrays
 * with conditions on one array element's fields kept together.
 */
import { InvalidEventPatternError } from './errors.ts';
import { compilePattern } from './structure.ts';

export { InvalidEventPatternError } from './errors.ts';

export interface CompiledEventPattern {
  /** The validated pattern (a frozen copy). */
  readonly pattern: Record<string, unknown>;
  matches(event: unknown): boolean;
}

/**
 * Validate `pattern` (an object, or its JSON text) and compile it.
 * @throws InvalidEventPatternError naming the path in the pattern, the bad value and what is allowed.
 */
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  const source = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  const test = compilePattern(source);
  // Validation accepted only JSON values, so a JSON round trip is a faithful deep copy.
  const frozen = deepFreeze(JSON.parse(JSON.stringify(source)) as Record<string, unknown>);
  return { pattern: frozen, matches: (event) => test(event) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidEventPatternError(`pattern: not valid JSON (${(err as Error).message})`);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

// Recently used patterns, by JSON text, so `matches` in a loop does not recompile.
const cache = new Map<string, CompiledEventPattern>();
const CACHE_LIMIT = 500;

/** Compile (cached by the pattern's JSON text) and match once. Throws like {@link compileEventPattern}. */
export function matches(pattern: unknown, event: unknown): boolean {
  const key = typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
  let compiled = key === undefined ? undefined : cache.get(key);
  if (compiled === undefined) {
    compiled = compileEventPattern(pattern);
    if (key !== undefined) {
      if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
      cache.set(key, compiled);
    }
  }
  return compiled.matches(event);
}
