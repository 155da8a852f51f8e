/**
 * Who holds what (guide 2.1–2.5), folded from role, grant, HR and usage events. Pure.
 *
 * A holding is one (account, role, grant) — `grantKey` is the grant id, or `standing` for a
 * role assigned outside any temporary grant. Each holding is a versioned fact: the event with
 * the latest event time wins, and at equal times a revocation (tombstone) wins over an
 * assignment. So duplicates are no-ops and a revoke that arrives before its assignment keeps
 * the permission revoked. The DynamoDB store applies the very same rule as a condition
 * expression (`account-store.ts`). Times are ISO UTC (`isoUtc`), so they compare as text.
 */
import { addDays, isoUtc } from '../shared/time.ts';

export const STANDING = 'standing';

export interface RoleHolding {
  readonly account: string;
  readonly role: string;
  /** Grant id, or `standing`. */
  readonly grantKey: string;
  readonly state: 'assigned' | 'revoked';
  /** Event time (ISO, UTC) of the fact that set this version. */
  readonly eventTime: string;
  readonly eventId: string;
  readonly person?: string;
  readonly modules: readonly string[];
  readonly permissions: readonly string[];
  readonly job?: string;
  /** On a revocation: the pipeline command it carried out, if any (revocation evidence). */
  readonly commandId?: string;
  readonly reason?: string;
}

export interface Grant {
  readonly grantId: string;
  readonly account: string;
  readonly person?: string;
  readonly permissions: readonly string[];
  readonly modules: readonly string[];
  readonly reason: string;
  readonly approver: string;
  readonly startsAt: string;
  /** Effective expiry: the requested one, capped at startsAt + policy maxDurationDays. */
  readonly grantExpiresAt: string;
  readonly requestedExpiresAt: string;
  readonly state: 'active' | 'ended';
  readonly eventId: string;
}

export interface GrantWindow {
  readonly grantId: string;
  readonly startsAt: string;
  readonly expiresAt: string;
}

export interface AccountMeta {
  readonly account: string;
  /** false: the account was only seen in a login or an operation, never assigned anything. */
  readonly known: boolean;
  readonly person?: string;
  readonly job?: string;
  /** The account's grants not yet ended, so that an operation can be tagged with them without another read. */
  readonly grantWindows?: readonly GrantWindow[];
}

/** An operation performed while a temporary grant was active (2.4), kept for the approver's review. */
export interface GrantOperation {
  readonly eventId: string;
  readonly time: string;
  readonly action: string;
  readonly target: string;
  readonly module: string;
  /** explicit: the ERP named the grant on the operation; window: the grant was active on the account at the time. */
  readonly attribution: 'explicit' | 'window';
  /** The ERP operation (schemas/erp-identity.ts): deliveries with the same key are one operation resent. */
  readonly operationKey?: string;
}

/** The grants an operation at `time` falls under: the one the ERP names, otherwise every grant active on the account then. */
export function grantsCovering(windows: readonly GrantWindow[], time: string, explicitGrantId: string | undefined): { grantId: string; attribution: GrantOperation['attribution'] }[] {
  if (explicitGrantId !== undefined) return [{ grantId: explicitGrantId, attribution: 'explicit' }];
  return windows.filter((w) => w.startsAt <= time && time < w.expiresAt).map((w) => ({ grantId: w.grantId, attribution: 'window' as const }));
}

export interface PersonState {
  readonly person: string;
  readonly job?: string;
  readonly departedAt?: string;
  readonly transfer?: { readonly fromJob: string; readonly toJob: string; readonly effectiveAt: string };
}

/** Everything the checks and the monthly report need about one account: its current state only. */
export interface AccountSnapshot {
  readonly meta: AccountMeta;
  readonly person?: PersonState;
  readonly roles: readonly RoleHolding[];
  readonly grants: readonly Grant[];
  /** module → last time (ISO) the account performed an operation in it. */
  readonly lastUse: Readonly<Record<string, string>>;
}

/** An account's own state: the person is kept apart (one item per person) and joined when read. */
export type AccountState = Omit<AccountSnapshot, 'person'>;

/** The account's snapshot with its person joined; a bound person HR never described is known by id only. */
export function withPerson(state: AccountState, stored: PersonState | undefined): AccountSnapshot {
  const person = state.meta.person === undefined ? undefined : (stored ?? { person: state.meta.person });
  return { meta: state.meta, ...(person ? { person } : {}), roles: state.roles, grants: state.grants, lastUse: state.lastUse };
}

export const holdingKey = (h: Pick<RoleHolding, 'account' | 'role' | 'grantKey'>) => `${h.account}\n${h.role}\n${h.grantKey}`;

/** Whether `incoming` replaces `existing` (latest event time wins; a tombstone wins a tie). */
export function supersedes(existing: Pick<RoleHolding, 'eventTime' | 'state'> | undefined, incoming: Pick<RoleHolding, 'eventTime' | 'state'>): boolean {
  if (existing === undefined) return true;
  if (incoming.eventTime > existing.eventTime) return true;
  return incoming.eventTime === existing.eventTime && existing.state === 'assigned' && incoming.state === 'revoked';
}

/** Folds holding facts in any order into the current holdings (the in-memory twin of the store). */
export function foldHoldings(facts: Iterable<RoleHolding>, into = new Map<string, RoleHolding>()): Map<string, RoleHolding> {
  for (const fact of facts) {
    const key = holdingKey(fact);
    if (supersedes(into.get(key), fact)) into.set(key, fact);
  }
  return into;
}

export function grantIsActive(grant: Grant, now: Date): boolean {
  return grant.state === 'active' && grant.startsAt <= now.toISOString() && now.toISOString() < grant.grantExpiresAt;
}

/** Roles the account still holds (assigned, whatever grant they came through: the ERP keeps them until revoked). */
export function heldRoles(snapshot: Pick<AccountSnapshot, 'roles'>): RoleHolding[] {
  return snapshot.roles.filter((r) => r.state === 'assigned').sort((a, b) => (a.role + a.grantKey).localeCompare(b.role + b.grantKey));
}

export function activeGrants(snapshot: Pick<AccountSnapshot, 'grants'>, now: Date): Grant[] {
  return snapshot.grants.filter((g) => grantIsActive(g, now)).sort((a, b) => a.grantId.localeCompare(b.grantId));
}

/** Role → the permissions it carries, from the policy (`access.segregationOfDuties.rolePermissions`), for ERPs whose role events do not list them. */
export type RolePermissions = Readonly<Record<string, readonly string[]>>;

/** What a role carries: the permissions its event listed plus those the policy's catalogue gives the role. */
export function permissionsOfRole(role: Pick<RoleHolding, 'role' | 'permissions'>, catalogue: RolePermissions = {}): string[] {
  const fromCatalogue = catalogue[role.role] ?? [];
  return fromCatalogue.length === 0 ? [...role.permissions] : [...new Set([...role.permissions, ...fromCatalogue])];
}

/** permission → where it comes from (role names and grant ids). */
export function heldPermissions(snapshot: Pick<AccountSnapshot, 'roles' | 'grants'>, now: Date, catalogue: RolePermissions = {}): Map<string, string[]> {
  const held = new Map<string, string[]>();
  const add = (permission: string, via: string) => held.set(permission, [...(held.get(permission) ?? []), via]);
  for (const role of heldRoles(snapshot)) for (const p of permissionsOfRole(role, catalogue)) add(p, role.grantKey === STANDING ? `role ${role.role}` : `role ${role.role} (grant ${role.grantKey})`);
  for (const grant of activeGrants(snapshot, now)) for (const p of grant.permissions) add(p, `grant ${grant.grantId}`);
  return held;
}

/** Effective expiry of a grant: never later than startsAt + maxDurationDays. */
export function cappedExpiry(startsAt: string, requestedExpiresAt: string, maxDurationDays: number): string {
  const cap = addDays(startsAt, maxDurationDays).toISOString();
  const requested = isoUtc(requestedExpiresAt);
  return requested < cap ? requested : cap;
}

/**
 * What ending `grant` takes away: its permissions (and those of roles assigned under it) that
 * no other active grant and no standing role still gives. Overlapping grants keep access.
 */
export function permissionsToRevokeAtExpiry(snapshot: Pick<AccountSnapshot, 'roles' | 'grants'>, grant: Grant, now: Date, catalogue: RolePermissions = {}): string[] {
  const ending = new Set(grant.permissions);
  for (const role of heldRoles(snapshot)) if (role.grantKey === grant.grantId) for (const p of permissionsOfRole(role, catalogue)) ending.add(p);
  const kept = new Set<string>();
  for (const role of heldRoles(snapshot)) {
    if (role.grantKey === grant.grantId) continue;
    const otherGrant = snapshot.grants.find((g) => g.grantId === role.grantKey);
    if (role.grantKey === STANDING || (otherGrant !== undefined && grantIsActive(otherGrant, now))) for (const p of permissionsOfRole(role, catalogue)) kept.add(p);
  }
  for (const other of activeGrants(snapshot, now)) if (other.grantId !== grant.grantId) for (const p of other.permissions) kept.add(p);
  return [...ending].filter((p) => !kept.has(p)).sort();
}
