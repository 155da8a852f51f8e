/**
 * access-governance's stores, remembering each account's META as a `touch` read it back, so
 * that an account's many operations cost one UpdateItem instead of one each (an ERP's
 * operations come mostly from the same accounts). How long the memory may last is the
 * caller's to say (handler.ts):
 *   - on AWS, one batch: other containers write the same accounts, and their writes are seen by
 *     the next batch, a window of one batch that unordered delivery already has (a grant's
 *     earlier operations are tagged from the trail when the grant is stored);
 *   - locally, the sole instance's life (functions/shared/sole-instance.ts): each function runs
 *     as a single instance, so every write to an account goes through these stores and none can
 *     make the memory stale.
 *
 * A remembered META is returned only for a touch that would not change it (a known account
 * touched as unknown, the same person and job): the write it saves would have been a no-op, and
 * its "before" is the META itself. Every write to the META through these stores keeps the entry
 * true: a touch that changes it replaces it with the META it leaves, and a grant opened or ended
 * (its window lives on the META) drops it before the write, so a write that fails leaves no
 * stale entry. Invocations may overlap in one process (the local bus runs a second batch while
 * one is in flight), so what a touch read back is remembered only if no other write to the same
 * account was in flight at any moment of its own: otherwise the order of the two answers says
 * nothing about the order of the writes. At most `maxEntries` accounts are remembered (the
 * least recently touched goes first).
 *
 * Uses of a module (`recordUse`) need nothing here: the account store already answers a use on
 * a day it knows is stored without a request, for the container's life (a use day only moves
 * forward, so that memory cannot go stale).
 */
import { metaAfterTouch, touchChangesNothing } from './account-store.ts';
import type { AccountMeta } from './permission-state.ts';
import type { AccessStores } from './stores.ts';

/** Accounts one batch remembers at most: a batch of 100 operations names at most 100. */
export const BATCH_ACCOUNT_ENTRIES = 1_000;
/** Accounts a sole local instance remembers at most (a META is a few hundred bytes): a large ERP's active users. */
export const INSTANCE_ACCOUNT_ENTRIES = 20_000;

export function rememberingStores<S extends AccessStores>(stores: S, maxEntries = BATCH_ACCOUNT_ENTRIES): S {
  const metas = new Map<string, AccountMeta>();
  const remember = (meta: AccountMeta) => {
    metas.delete(meta.account);
    metas.set(meta.account, meta);
    if (metas.size > maxEntries) metas.delete(metas.keys().next().value as string);
  };
  /**
   * Per account with a META write in flight: how many, and a count of every write's start and
   * end (a touch compares it before and after its own write). Deleted when none is in flight,
   * so it holds only the accounts being written at this moment.
   */
  const inFlight = new Map<string, { writes: number; moves: number }>();
  /** Starts a write; what `end` needs to tell whether it was alone (-1: another was in flight already). */
  const begin = (account: string): number => {
    const entry = inFlight.get(account) ?? { writes: 0, moves: 0 };
    entry.writes++;
    entry.moves++;
    inFlight.set(account, entry);
    return entry.writes === 1 ? entry.moves : -1;
  };
  /** Ends a write; true when it was alone: none in flight when it began, and none began or ended since. */
  const end = (account: string, moves: number): boolean => {
    const entry = inFlight.get(account) as { writes: number; moves: number };
    const alone = entry.moves === moves;
    entry.moves++;
    if (--entry.writes === 0) inFlight.delete(account);
    return alone;
  };
  /** A write to the account's META: its entry goes first (a write that fails leaves none); `alone` as `end` tells. */
  const writing = async <T>(account: string, write: () => Promise<T>): Promise<{ value: T; alone: boolean }> => {
    metas.delete(account);
    const moves = begin(account);
    let value: T;
    try {
      value = await write();
    } catch (err) {
      end(account, moves);
      throw err;
    }
    return { value, alone: end(account, moves) };
  };
  return {
    ...stores,
    accounts: {
      ...stores.accounts,
      async touch(account, fields) {
        const known = metas.get(account);
        if (known !== undefined && touchChangesNothing(known, fields)) {
          remember(known);
          return known;
        }
        const { value: before, alone } = await writing(account, () => stores.accounts.touch(account, fields));
        if (alone) remember(metaAfterTouch(account, before, fields));
        return before;
      },
    },
    grants: {
      ...stores.grants,
      // A grant's window lives on the META: opened or ended, what was remembered goes.
      open: async (grant) => (await writing(grant.account, () => stores.grants.open(grant))).value,
      end: async (account, grantId) => (await writing(account, () => stores.grants.end(account, grantId))).value,
    },
  };
}
