/**
 * The stores for one batch of facts (one SQS batch, handled in order): the same stores, but an
 * account's META read back by a `touch` is remembered for the rest of the batch, so that an
 * account's many operations in a batch cost one UpdateItem instead of one each (an ERP's
 * operations come mostly from the same accounts).
 *
 * A remembered META is returned only for a touch that would not change it (a known account
 * touched as unknown, the same person and job): the write it saves would have been a no-op, and
 * its "before" is the META itself. Every write to the META through these stores keeps the entry
 * true: a touch that changes it replaces it with the META it leaves, and a grant opened or ended
 * (its window lives on the META) drops it before the write, so a write that fails leaves no
 * stale entry. Writes by other containers are not seen until the next batch, a window of one
 * batch that unordered delivery already has (a grant's earlier operations are tagged from the
 * trail when the grant is stored). So the cache lives for one batch, never for the container,
 * and holds at most `maxEntries` accounts (the least recently touched goes first).
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

export function batchStores<S extends AccessStores>(stores: S, maxEntries = BATCH_ACCOUNT_ENTRIES): S {
  const metas = new Map<string, AccountMeta>();
  const remember = (meta: AccountMeta) => {
    metas.delete(meta.account);
    metas.set(meta.account, meta);
    if (metas.size > maxEntries) metas.delete(metas.keys().next().value as string);
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
        metas.delete(account);
        const before = await stores.accounts.touch(account, fields);
        remember(metaAfterTouch(account, before, fields));
        return before;
      },
    },
    grants: {
      ...stores.grants,
      async open(grant) {
        metas.delete(grant.account);
        return stores.grants.open(grant);
      },
      async end(account, grantId) {
        metas.delete(account);
        return stores.grants.end(account, grantId);
      },
    },
  };
}
