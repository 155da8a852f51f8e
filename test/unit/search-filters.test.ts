/**
 * The audit search filters from the command line (cli/search-filters.ts), shared by `erpgov
 * audit search` and `erpgov sql --query audit-search`: the range as given, only the flags that
 * were given, and one --limit check that refuses as a usage error.
 */
import { describe, expect, it } from 'vitest';
import { limitFrom } from '../../cli/options.ts';
import { searchFilters } from '../../cli/search-filters.ts';
import { UsageError } from '../../cli/usage.ts';

describe('search filters', () => {
  it('keeps the range, leaves out flags not given or empty, and applies the default limit only when given one', () => {
    expect(searchFilters({ from: '2026-11-01', to: '2026-11-30' }, { actor: 'u9', action: '', keyword: 'orders', limit: '5' })).toEqual({ from: '2026-11-01', to: '2026-11-30', actor: 'u9', keyword: 'orders', limit: 5 });
    expect(searchFilters({ from: '2026-11-01', to: '2026-11-30' }, { module: 'sales', source: 'erp.sap' }, 100)).toEqual({ from: '2026-11-01', to: '2026-11-30', module: 'sales', source: 'erp.sap', limit: 100 });
    expect(searchFilters({}, {})).toEqual({});
  });

  it('checks --limit once: a whole number, 1 or more, else a usage error naming the flag and the value', () => {
    expect(limitFrom('12', 50)).toBe(12);
    expect(limitFrom(undefined, 50)).toBe(50);
    expect(limitFrom(undefined, undefined)).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'x', '']) {
      expect(() => limitFrom(bad, 50)).toThrow(UsageError);
      expect(() => limitFrom(bad, 50)).toThrow(`--limit: "${bad}" is not allowed; give a whole number, 1 or more`);
    }
    expect(() => searchFilters({}, { limit: '0' })).toThrow(UsageError);
  });
});
