/**
 * The audit search filters from the command line, one builder for `erpgov audit search` and
 * `erpgov sql --query audit-search` (which prints or runs the same search as SQL): the time
 * range each command takes its own way (--from/--to, or the period), then the filter flags.
 */
import type { SearchFilters } from '../functions/shared/audit-trail/audit-queries.ts';
import { limitFrom } from './options.ts';

/** The filter flags both commands take (parseArgs options). */
export const SEARCH_FILTER_FLAGS = { actor: { type: 'string' }, action: { type: 'string' }, module: { type: 'string' }, source: { type: 'string' }, limit: { type: 'string' } } as const;

export interface SearchFlagValues {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly module?: string | undefined;
  readonly source?: string | undefined;
  readonly keyword?: string | undefined;
  readonly limit?: string | undefined;
}

type FilterFlags = Omit<SearchFilters, 'from' | 'to'>;

/** The range as given, each filter flag that was given (an empty one is no filter), and `--limit` checked (`defaultLimit` when absent). */
export function searchFilters<Range extends { readonly from?: string; readonly to?: string }>(range: Range, flags: SearchFlagValues, defaultLimit?: number): Range & FilterFlags {
  const limit = limitFrom(flags.limit, defaultLimit);
  return {
    ...range,
    ...(flags.actor ? { actor: flags.actor } : {}),
    ...(flags.action ? { action: flags.action } : {}),
    ...(flags.module ? { module: flags.module } : {}),
    ...(flags.source ? { source: flags.source } : {}),
    ...(flags.keyword ? { keyword: flags.keyword } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}
