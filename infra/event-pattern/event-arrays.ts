/**
 * What the matchers need to know about the event's side: leaves and objects, and arrays,
 * whose elements (nested arrays flattened) are tried one by one. Values and nested patterns
 * scan them alike and differ only in which elements count (leaves, or objects).
 */

/** A JSON value other than an object or array. */
export type Leaf = string | number | boolean | null;

export function isLeaf(value: unknown): value is Leaf {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a scan of an event array found: no element of the kind, only ones that fail the test, or one that passes. */
export type ScanResult = 'none' | 'unmatched' | 'matched';

/** Tries `test` on each element of `values` that `counts`, flattening nested arrays; stops at the first that passes. */
export function scanElements<T>(values: readonly unknown[], counts: (value: unknown) => value is T, test: (value: T) => boolean): ScanResult {
  let result: ScanResult = 'none';
  for (const value of values) {
    if (Array.isArray(value)) {
      const inner = scanElements(value, counts, test);
      if (inner === 'matched') return 'matched';
      if (inner === 'unmatched') result = 'unmatched';
    } else if (counts(value)) {
      if (test(value)) return 'matched';
      result = 'unmatched';
    }
  }
  return result;
}
