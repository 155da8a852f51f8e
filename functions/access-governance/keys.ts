/**
 * The partitions of the state table that more than one of access-governance's stores write,
 * so that they agree on them. Each store's header documents the items it keeps.
 *
 *   ACCESS#ACCT#<account>    the account's META, holdings and usage (account-store.ts), its
 *                            grants (grant-store.ts) and its findings (the shared finding
 *                            lifecycle): the checks read all of it with one Query
 *   ACCESS#PERSON#<person>   the person's accounts (person-store.ts), leaver/mover clocks
 *                            (leaver-clock-store.ts) and the findings about the person
 *                            across their accounts (the lifecycle)
 */
import type { FindingScope } from '../shared/findings/findings-store.ts';

export const accountPartition = (account: string) => `ACCESS#ACCT#${account}`;
export const personPartition = (person: string) => `ACCESS#PERSON#${person}`;
/** The account's META item: the account store keeps the account's own fields on it, the grant store its grant windows. */
export const accountMetaKey = (account: string) => ({ pk: accountPartition(account), sk: 'META' });

/** Where the findings about an account live: beside the account's state, read with it. */
export const accountScope = (account: string): FindingScope => ({ partition: accountPartition(account), label: account });
/** Where the findings about a person across their accounts live. */
export const personScope = (person: string): FindingScope => ({ partition: personPartition(person), label: person });

/** The order a Query returns sort keys in, for this area's in-memory twins. */
export { inKeyOrder } from '../shared/key-order.ts';
