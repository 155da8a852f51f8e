/**
 * The monthly report's view of an account (guide 2.5): its current state as compact JSON,
 * which the account store keeps in one summary item per account so that the report reads
 * about one item per account, whatever the length of the history. Encoding only; pure.
 */
import { heldRoles, withPerson, type AccountState, type PersonState } from './permission-state.ts';

/** Summaries larger than this are not stored; the report reads such an account's items instead (DynamoDB's item limit is 400 KB). */
export const MAX_SUMMARY_CHARS = 300_000;

/** The report's view of an account, as compact JSON: revoked roles and finished grants nobody refers to are left out; the person is joined when read. */
export function encodeSummary(state: AccountState): string {
  const roles = heldRoles(state);
  const grantsInUse = new Set(roles.map((r) => r.grantKey));
  const grants = state.grants.filter((g) => g.state === 'active' || grantsInUse.has(g.grantId));
  return JSON.stringify({ meta: state.meta, roles, grants, lastUse: state.lastUse });
}

export function decodeSummary(json: string, people: ReadonlyMap<string, PersonState>) {
  const state = JSON.parse(json) as AccountState;
  return withPerson(state, state.meta.person === undefined ? undefined : people.get(state.meta.person));
}
