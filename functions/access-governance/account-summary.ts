/**
 * The monthly report's view of each account (guide 2.5): a compact JSON summary per account
 * and one item per person, spread over shard partitions so that the report reads about one
 * item per account and one per person, in 1 MB pages, whatever the length of the history.
 * Keys and encodings only; the store (`access-state.ts`) reads and writes them.
 */
import { shardOf } from '../shared/shards.ts';
import { heldRoles, type AccountSnapshot, type PersonState } from './permission-state.ts';

export const peoplePk = (shard: number) => `ACCESS#PEOPLE#${shard}`;
export const summaryPk = (shard: number) => `ACCESS#SUMMARY#${shard}`;
export const personKey = (p: string) => ({ pk: peoplePk(shardOf(p)), sk: p });
export const summaryKey = (a: string) => ({ pk: summaryPk(shardOf(a)), sk: a });
/** Summaries larger than this are not stored; the report reads such an account's items instead (DynamoDB's item limit is 400 KB). */
export const MAX_SUMMARY_CHARS = 300_000;

/** The report's view of an account, as compact JSON: revoked roles and finished grants nobody refers to are left out; the person is joined when read. */
export function encodeSummary(snapshot: AccountSnapshot): string {
  const roles = heldRoles(snapshot);
  const grantsInUse = new Set(roles.map((r) => r.grantKey));
  const grants = snapshot.grants.filter((g) => g.state === 'active' || grantsInUse.has(g.grantId));
  return JSON.stringify({ meta: snapshot.meta, roles, grants, lastUse: snapshot.lastUse });
}

export function decodeSummary(json: string, people: ReadonlyMap<string, PersonState>): AccountSnapshot {
  const summary = JSON.parse(json) as Omit<AccountSnapshot, 'person'>;
  const personId = summary.meta.person;
  const person = personId === undefined ? undefined : (people.get(personId) ?? { person: personId });
  return { ...summary, ...(person ? { person } : {}) };
}

/** Items as the store writes them, for bulk loads (the benchmark) that bypass the event flow. */
export const storedItems = {
  person: (person: PersonState) => ({ ...personKey(person.person), ...person, ...(person.transfer ? { transferEffectiveAt: person.transfer.effectiveAt } : {}) }),
  summary: (snapshot: AccountSnapshot, revision: number) => ({ ...summaryKey(snapshot.meta.account), account: snapshot.meta.account, revisions: revision, revision, summary: encodeSummary(snapshot) }),
};
