/**
 * An account's own state (guide 2.1–2.5), and the per-account summaries the monthly report
 * reads.
 *
 *   ACCESS#ACCT#<account> / META                    known?, person, job (and the grant windows: grant-store.ts)
 *   ACCESS#ACCT#<account> / ROLE#<role>#<grantKey>   one holding, versioned by event time (latest wins, a tombstone wins a tie)
 *   ACCESS#ACCT#<account> / USE#<module>            the first operation in the module on the latest day it was used (2.5 unused permissions)
 *   ACCESS#SUMMARY#<shard> / <account>              the account's state as compact JSON (account-summary.ts), its
 *                                                   revision, and `revisions`, the counter revisions come from
 *
 * The account's partition (keys.ts) also holds its grants (grant-store.ts) and its findings
 * (the shared lifecycle), so `read` gets everything the checks need about an account with one
 * Query, whatever the length of its history; the person is kept apart (person-store.ts).
 *
 * The monthly report must not make two requests per account (100,000 accounts would take
 * minutes), so every reconcile also copies the account's current state into its summary, and
 * summaries sit in 16 shard partitions (shards.ts) that the report reads page by page. A
 * summary is written only if it is newer than the stored one. Its revision comes from a
 * counter bumped before the account is read (`nextRevision`), so of two concurrent reconciles
 * the one that read later — and so saw every write the other saw — wins.
 *
 * Single-item conditional writes only (dynalite has no transactions); each is safe to repeat
 * and to receive out of order.
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../shared/concurrency.ts';
import { conditionally, queryAll, queryPages } from '../shared/dynamo-access.ts';
import { findingRecordFromItem, isFindingItem, memoryFindingsStore, type FindingRecord, type FindingsStore } from '../shared/findings/findings-store.ts';
import { shardOf, SHARDS } from '../shared/shards.ts';
import { utcDay } from '../shared/time.ts';
import { decodeSummary, encodeSummary, MAX_SUMMARY_CHARS } from './account-summary.ts';
import { grantFromItem, grantWindowsOf, isGrantItem, memoryGrantStore } from './grant-store.ts';
import { accountMetaKey, accountPartition, accountScope, inKeyOrder } from './keys.ts';
import { holdingKey, supersedes, withPerson, type AccountMeta, type AccountSnapshot, type AccountState, type Grant, type GrantWindow, type PersonState, type RoleHolding } from './permission-state.ts';

const summaryPartition = (shard: number) => `ACCESS#SUMMARY#${shard}`;
const summaryKey = (account: string) => ({ pk: summaryPartition(shardOf(account)), sk: account });
const shardNumbers = Array.from({ length: SHARDS }, (_, i) => i);
/** The first instant of the day of `time`: a use on a later day moves the last-use day forward. */
/** Account-module pairs whose stored use day a container remembers (see `recordUse`). */
const USE_DAY_CACHE_ENTRIES = 10_000;
const dayStart = (time: string) => `${utcDay(time)}T00:00:00.000Z`;

export interface AccountFields {
  /** false: seen only in a login or an operation; never turns a known account back to unknown. */
  readonly known: boolean;
  readonly person?: string;
  readonly job?: string;
}

/** The META a touch leaves: what `fields` set over what was there (a known account stays known; grant windows are not the touch's). Pure. */
export function metaAfterTouch(account: string, before: AccountMeta | undefined, fields: AccountFields): AccountMeta {
  const person = fields.person ?? before?.person;
  const job = fields.job ?? before?.job;
  return { ...before, account, known: fields.known || (before?.known ?? false), ...(person ? { person } : {}), ...(job ? { job } : {}) };
}

/** Whether a touch with `fields` would leave `meta` as it is (then the write can be skipped). Pure. */
export function touchChangesNothing(meta: AccountMeta, fields: AccountFields): boolean {
  return (!fields.known || meta.known) && (fields.person === undefined || fields.person === meta.person) && (fields.job === undefined || fields.job === meta.job);
}

export interface AccountStore {
  /** Creates or updates the account's META; returns the META before the call (undefined: a new account). */
  touch(account: string, fields: AccountFields): Promise<AccountMeta | undefined>;
  /** Stores the holding unless a newer (or tie-winning) version is stored; true when it was stored. */
  putHolding(holding: RoleHolding): Promise<boolean>;
  /** Records a use of the module at day precision; true when it moved the account's last-use day forward. */
  recordUse(account: string, module: string, time: string): Promise<boolean>;
  /** The account's current state and the findings kept beside it, in one strongly consistent read. */
  read(account: string): Promise<{ state: AccountState; findings: FindingRecord[] }>;
  /** A new revision number for the account's summary; call before reading the state it will summarise. */
  nextRevision(account: string): Promise<number>;
  /** Stores the state as the account's summary unless a later revision is stored; true when stored. */
  saveSummary(state: AccountState, revision: number): Promise<boolean>;
  /** Every account's current state with its person joined from `people`, for the monthly report, in no particular order. */
  forEachAccount(people: ReadonlyMap<string, PersonState>, visit: (snapshot: AccountSnapshot) => void): Promise<void>;
}

/** The account's summary item as the store writes it, for bulk loads (the benchmark) that bypass the event flow. */
export const summaryItem = (state: AccountState, revision: number) => ({ ...summaryKey(state.meta.account), account: state.meta.account, revisions: revision, revision, summary: encodeSummary(state) });

export function dynamoAccountStore(client: DynamoDBDocumentClient, tableName: string, options: { maxSummaryChars?: number } = {}): AccountStore {
  const maxSummaryChars = options.maxSummaryChars ?? MAX_SUMMARY_CHARS;
  /**
   * Per container: the latest use day known to be stored per account and module. A use on a day
   * already stored cannot change the item (the write is conditional on an earlier day), so it
   * is answered here without a request: an ERP's operations are mostly by the same accounts in
   * the same modules all day. Bounded: the oldest entry goes first.
   */
  const storedUseDays = new Map<string, string>();
  const rememberUseDay = (key: string, day: string) => {
    storedUseDays.delete(key);
    storedUseDays.set(key, day);
    if (storedUseDays.size > USE_DAY_CACHE_ENTRIES) storedUseDays.delete(storedUseDays.keys().next().value as string);
  };
  const store: AccountStore = {
    async touch(account, fields) {
      const sets = ['account = :a'];
      const values: Record<string, unknown> = { ':a': account };
      if (fields.known) {
        sets.push('known = :true');
        values[':true'] = true;
      } else {
        sets.push('known = if_not_exists(known, :false)');
        values[':false'] = false;
      }
      if (fields.person !== undefined) {
        sets.push('person = :p');
        values[':p'] = fields.person;
      }
      if (fields.job !== undefined) {
        sets.push('job = :j');
        values[':j'] = fields.job;
      }
      const out = await client.send(
        new UpdateCommand({ TableName: tableName, Key: accountMetaKey(account), UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeValues: values, ReturnValues: 'ALL_OLD' }),
      );
      return out.Attributes ? metaFromItem(account, out.Attributes) : undefined;
    },

    async putHolding(h) {
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: accountPartition(h.account), sk: `ROLE#${h.role}#${h.grantKey}`, kind: 'role', ...h },
            // The store's twin of `supersedes`: later event time wins; at a tie a revocation beats an assignment.
            ConditionExpression: 'attribute_not_exists(pk) OR eventTime < :t OR (eventTime = :t AND #state = :assigned AND :state = :revoked)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':t': h.eventTime, ':state': h.state, ':assigned': 'assigned', ':revoked': 'revoked' },
          }),
        ),
      );
    },

    async recordUse(account, module, time) {
      // Day precision (the audit counts unused days): one write per account, module and day, not one per operation.
      const key = `${account}\n${module}`;
      const day = dayStart(time);
      const known = storedUseDays.get(key);
      if (known !== undefined && known >= day) return false;
      const stored = await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: accountPartition(account), sk: `USE#${module}`, kind: 'use', module, lastUsedAt: time },
            ConditionExpression: 'attribute_not_exists(pk) OR lastUsedAt < :day',
            ExpressionAttributeValues: { ':day': day },
          }),
        ),
      );
      // Written, or refused because a use of this day or later is stored: either way this day is there.
      if (known === undefined || known < day) rememberUseDay(key, day);
      return stored;
    },

    async read(account) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': accountPartition(account) }, ConsistentRead: true });
      let meta: AccountMeta = { account, known: false };
      const roles: RoleHolding[] = [];
      const grants: Grant[] = [];
      const lastUse: Record<string, string> = {};
      const findings: FindingRecord[] = [];
      for (const item of items) {
        const sk = String(item.sk);
        if (sk === 'META') meta = metaFromItem(account, item);
        else if (sk.startsWith('ROLE#')) roles.push(holdingFromItem(item));
        else if (isGrantItem(item)) grants.push(grantFromItem(item));
        else if (sk.startsWith('USE#')) lastUse[String(item.module)] = String(item.lastUsedAt);
        else if (isFindingItem(item)) findings.push(findingRecordFromItem(item));
      }
      return { state: { meta, roles, grants, lastUse }, findings };
    },

    async nextRevision(account) {
      const out = await client.send(
        new UpdateCommand({ TableName: tableName, Key: summaryKey(account), UpdateExpression: 'SET account = :a ADD revisions :one', ExpressionAttributeValues: { ':a': account, ':one': 1 }, ReturnValues: 'UPDATED_NEW' }),
      );
      return Number(out.Attributes?.revisions);
    },

    async saveSummary(state, revision) {
      const encoded = encodeSummary(state);
      const fits = encoded.length <= maxSummaryChars;
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: summaryKey(state.meta.account),
            UpdateExpression: fits ? 'SET account = :a, revision = :r, summary = :s' : 'SET account = :a, revision = :r REMOVE summary',
            ConditionExpression: 'attribute_not_exists(revision) OR revision < :r',
            ExpressionAttributeValues: { ':a': state.meta.account, ':r': revision, ...(fits ? { ':s': encoded } : {}) },
          }),
        ),
      );
    },

    async forEachAccount(people, visit) {
      await mapWithConcurrency(shardNumbers, 4, async (shard) => {
        for await (const page of queryPages(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': summaryPartition(shard) } })) {
          const unsummarised: string[] = [];
          for (const item of page) {
            if (typeof item.summary === 'string') visit(decodeSummary(item.summary, people));
            else unsummarised.push(String(item.account));
          }
          // Too large to summarise, or a reconcile that stopped between its revision and its save: read the account itself.
          for (const account of unsummarised) visit(joined((await store.read(account)).state, people));
        }
      });
    },
  };
  return store;
}

const joined = (state: AccountState, people: ReadonlyMap<string, PersonState>) => withPerson(state, state.meta.person === undefined ? undefined : people.get(state.meta.person));

function metaFromItem(account: string, item: Record<string, unknown>): AccountMeta {
  const person = typeof item.person === 'string' ? item.person : undefined;
  const job = typeof item.job === 'string' ? item.job : undefined;
  const grantWindows = grantWindowsOf(item);
  return { account, known: item.known === true, ...(person ? { person } : {}), ...(job ? { job } : {}), ...(grantWindows.length > 0 ? { grantWindows } : {}) };
}

function holdingFromItem(item: Record<string, unknown>): RoleHolding {
  const optional = Object.fromEntries((['person', 'job', 'commandId', 'reason'] as const).flatMap((k) => (typeof item[k] === 'string' ? [[k, item[k]]] : [])));
  const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    account: String(item.account),
    role: String(item.role),
    grantKey: String(item.grantKey),
    state: item.state === 'revoked' ? 'revoked' : 'assigned',
    eventTime: String(item.eventTime),
    eventId: String(item.eventId),
    modules: strs(item.modules),
    permissions: strs(item.permissions),
    ...optional,
  };
}

/**
 * The in-memory twin. The DynamoDB store reads the grants and findings that share the
 * account's partition; the twin asks their twins (`grants`, `findings`) for the same.
 */
export function memoryAccountStore(shared: { grants: { grantsOf(account: string): Grant[]; windowsOf(account: string): GrantWindow[] }; findings: FindingsStore } = { grants: memoryGrantStore(), findings: memoryFindingsStore() }): AccountStore {
  const metas = new Map<string, Omit<AccountMeta, 'grantWindows'>>();
  const holdings = new Map<string, RoleHolding>();
  const uses = new Map<string, Record<string, string>>();
  const revisions = new Map<string, number>();
  const summaries = new Map<string, { revision: number; summary: string }>();
  const metaOf = (account: string): AccountMeta | undefined => {
    const meta = metas.get(account);
    const grantWindows = shared.grants.windowsOf(account);
    // A grant's window creates the META item in the table, as an unknown account.
    if (meta === undefined) return grantWindows.length > 0 ? { account, known: false, grantWindows } : undefined;
    return { ...meta, ...(grantWindows.length > 0 ? { grantWindows } : {}) };
  };
  const store: AccountStore = {
    async touch(account, fields) {
      const before = metaOf(account);
      // The windows stay the grant twin's.
      const { grantWindows: _windows, ...after } = metaAfterTouch(account, before, fields);
      metas.set(account, after);
      return before;
    },
    async putHolding(h) {
      if (!supersedes(holdings.get(holdingKey(h)), h)) return false;
      holdings.set(holdingKey(h), h);
      return true;
    },
    async recordUse(account, module, time) {
      const used = uses.get(account) ?? uses.set(account, {}).get(account)!;
      if (used[module] !== undefined && used[module] >= dayStart(time)) return false;
      used[module] = time;
      return true;
    },
    async read(account) {
      const state: AccountState = {
        meta: metaOf(account) ?? { account, known: false },
        roles: [...holdings.values()].filter((h) => h.account === account).sort((a, b) => inKeyOrder(`${a.role}#${a.grantKey}`, `${b.role}#${b.grantKey}`)),
        grants: shared.grants.grantsOf(account),
        lastUse: { ...uses.get(account) },
      };
      return { state, findings: await shared.findings.inScope(accountScope(account)) };
    },
    async nextRevision(account) {
      const next = (revisions.get(account) ?? 0) + 1;
      revisions.set(account, next);
      return next;
    },
    async saveSummary(state, revision) {
      if ((summaries.get(state.meta.account)?.revision ?? 0) >= revision) return false;
      summaries.set(state.meta.account, { revision, summary: encodeSummary(state) });
      return true;
    },
    async forEachAccount(people, visit) {
      for (const account of revisions.keys()) {
        const summary = summaries.get(account)?.summary;
        visit(summary === undefined ? joined((await store.read(account)).state, people) : decodeSummary(summary, people));
      }
    },
  };
  return store;
}
