/**
 * Canonical JSON is what the audit chain hashes: its text must stay exactly what the rule says
 * (keys sorted by code unit, undefined-valued keys left out), whatever the value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../schemas/canonical-json.ts';

/** The rule written the plain way, as the reference. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

describe('canonical JSON', () => {
  it('sorts keys by code unit at every depth and leaves out undefined values', () => {
    expect(canonicalJson({ b: 1, a: [{ z: null, y: undefined, x: 'é' }], A: true, '10': 0, '9': 1 })).toBe('{"10":0,"9":1,"A":true,"a":[{"x":"é","z":null}],"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
  });

  it('gives the reference text for any JSON value, with undefined values mixed in', () => {
    const withUndefined = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 })),
    })).value;
    fc.assert(fc.property(withUndefined, (value) => canonicalJson(value) === reference(value)), { numRuns: 2000 });
  });
});
