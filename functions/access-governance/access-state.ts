/**
 * access-governance's items in the state table. Single-item conditional writes only (dynalite
 * has no transactions); each is safe to repeat and to receive out of order.
 *
 *   ACCESS#ACCT#<account> / META                     known?, person, job, `grantWindow:<grantId>` per grant not yet ended
 *   ACCESS#ACCT#<account> / ROLE#<role>#<grantKey>    one holding, versioned by event time (latest wins, tombstone wins a tie)
 *   ACCESS#ACCT#<account> / GRANT#<grantId>           a temporary grant; while active gsi1 ACCESS#GRANT-OPEN / <expiry>#<account>#<grantId>
 *   ACCESS#ACCT#<account> / USE#<module>              first operation in the module on the latest day it was used (2.5 unused permissions)
 *   ACCESS#ACCT#<account> / FINDING#<findingId>       a finding raised and not yet resolved
 *   ACCESS#LOGIN#<account> / <time>#<eventId>         a login (TTL: the shared-account window, plus a day)
 *   ACCESS#GRANTOPS#<grantId> / <time>#<eventId>  an operation under a temporary grant, with its account (TTL: audit retention)
 *   ACCESS#PEOPLE#<shard>  / <person>                 the person: job, departedAt, last transfer
 *   ACCESS#PERSON#<person> / ACCT#<account>           the person's accounts
 *   ACCESS#PERSON#<person> / CLOCK#<kind>#<at>        a leaver/mover clock; while open gsi1 ACCESS#CLOCK-OPEN / <deadline>#<person>
 *   ACCESS#PERSON#<person> / FINDING#<findingId>      a finding about the person across their accounts, not yet resolved
 *   ACCESS#SUMMARY#<shard> / <account>                what the monthly report needs of the account, as compact JSON, with its revision
 *   ACCESS#REVIEW#<month>  / SIGNOFF#<reviewer>       a reviewer's sign-off of the monthly report
 *
 * One partition per account: the checks read an account with one Query (plus its person),
 * whatever the length of its history. The monthly report must not make two requests per
 * account (100,000 accounts would take minutes), so every reconcile also copies the account's
 * current state into a summary item, and people and summaries sit in 16 shard partitions each
 * that the report reads page by page: about one item per account and one per person
 * (keys and encoding: `account-summary.ts`).
 *
 * A summary is written only if it is newer than the stored one. Its revision comes from a
 * counter bumped before the account is read (`nextRevision`), so of two concurrent reconciles
 * the one that read later — and so saw every write the other saw — wins.
 */
import { GetCommand, PutCommand, UpdateCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../shared/concurrency.ts';
import { conditionally, queryAll, queryPages } from '../shared/dynamo-access.ts';
import type { LoginFact } from './access-checks.ts';
import type { SignOff } from './permission-report.ts';
import { decodeSummary, encodeSummary, MAX_SUMMARY_CHARS, peoplePk, personKey, summaryKey, summaryPk } from './account-summary.ts';
import { SHARDS } from '../shared/shards.ts';
import { type AccountMeta, type AccountSnapshot, type Grant, type GrantOperation, type GrantWindow, type PersonState, type RoleHolding } from './permission-state.ts';

export interface OpenFinding {
  readonly findingId: string;
  readonly control: string;
  readonly severity: string;
  readonly mode: string;
  readonly rule: string;
  readonly sticky: boolean;
  readonly subject: { type: string; id: string };
}

export interface Clock {
  readonly person: string;
  readonly kind: 'departure' | 'transfer';
  readonly at: string;
  readonly deadline: string;
  readonly eventId: string;
}

export interface AccessStore {
  /** Stores the holding unless a newer (or tie-winning) version is stored; true when it was stored. */
  putHolding(holding: RoleHolding): Promise<boolean>;
  /** Creates or updates the account's META; returns the META before the call (undefined: new account). */
  touchAccount(account: string, fields: { known: boolean; person?: string; job?: string; grantWindow?: GrantWindow }): Promise<AccountMeta | undefined>;
  linkPerson(person: string, account: string): Promise<void>;
  accountsOf(person: string): Promise<string[]>;
  putGrant(grant: Grant): Promise<boolean>;
  /** active → ended, off the expiry index and out of the account's grant windows; false when already ended. */
  endGrant(account: string, grantId: string): Promise<boolean>;
  recordGrantOperation(account: string, grantId: string, operation: GrantOperation, expiresAt: number): Promise<void>;
  /** Operations tagged with the grant, in time order. */
  grantOperations(grantId: string): Promise<(GrantOperation & { account: string })[]>;
  dueGrants(now: Date): Promise<{ account: string; grantId: string }[]>;
  /** Records a use of the module at day precision; true when it moved the account's last-use day forward. */
  recordUse(account: string, module: string, time: string): Promise<boolean>;
  recordDeparture(person: string, departedAt: string): Promise<void>;
  recordTransfer(person: string, transfer: NonNullable<PersonState['transfer']>): Promise<void>;
  setPersonJob(person: string, job: string): Promise<void>;
  putClock(clock: Clock): Promise<void>;
  dueClocks(now: Date): Promise<Clock[]>;
  closeClock(clock: Clock): Promise<boolean>;
  putLogin(login: LoginFact, expiresAt: number): Promise<void>;
  loginsBetween(account: string, from: string, to: string): Promise<LoginFact[]>;
  snapshot(account: string): Promise<{ snapshot: AccountSnapshot; openFindings: OpenFinding[] }>;
  /** true when this call opened it (it was not open). `expiresAt` (epoch seconds): for sticky findings, which nothing resolves. */
  openFinding(account: string, finding: OpenFinding, expiresAt?: number): Promise<boolean>;
  /** true when this call closed it. */
  closeFinding(account: string, findingId: string): Promise<boolean>;
  /** The person's accounts and the open findings about the person (across accounts), in one read. */
  personState(person: string): Promise<{ accounts: string[]; openFindings: OpenFinding[] }>;
  openPersonFinding(person: string, finding: OpenFinding): Promise<boolean>;
  closePersonFinding(person: string, findingId: string): Promise<boolean>;
  /** A new revision number for the account's summary; call before reading the snapshot it will summarise. */
  nextRevision(account: string): Promise<number>;
  /** Stores the snapshot as the account's summary unless a later revision is stored; true when stored. */
  saveSummary(snapshot: AccountSnapshot, revision: number): Promise<boolean>;
  /** Every account's current state, for the monthly report, in no particular order. */
  forEachAccount(visit: (snapshot: AccountSnapshot) => void): Promise<void>;
  recordSignOff(month: string, reviewer: string, comment: string | undefined, eventId: string, time: string): Promise<void>;
  signOffs(month: string): Promise<SignOff[]>;
}

const GRANT_INDEX = 'ACCESS#GRANT-OPEN';
const CLOCK_INDEX = 'ACCESS#CLOCK-OPEN';
const accountPk = (a: string) => `ACCESS#ACCT#${a}`;
const personPk = (p: string) => `ACCESS#PERSON#${p}`;
const loginPk = (a: string) => `ACCESS#LOGIN#${a}`;
const grantOpsPk = (g: string) => `ACCESS#GRANTOPS#${g}`;
const GRANT_WINDOW = 'grantWindow:';
const shardNumbers = Array.from({ length: SHARDS }, (_, i) => i);

export function dynamoAccessStore(client: DynamoDBDocumentClient, tableName: string, options: { maxSummaryChars?: number } = {}): AccessStore {
  const maxSummaryChars = options.maxSummaryChars ?? MAX_SUMMARY_CHARS;
  const put = (Item: Record<string, unknown>, condition?: { expr: string; values?: Record<string, unknown>; names?: Record<string, string> }) =>
    conditionally(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item,
          ...(condition ? { ConditionExpression: condition.expr } : {}),
          ...(condition?.values ? { ExpressionAttributeValues: condition.values } : {}),
          ...(condition?.names ? { ExpressionAttributeNames: condition.names } : {}),
        }),
      ),
    );
  const deleteFinding = (pk: string, findingId: string) =>
    conditionally(() => client.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: `FINDING#${findingId}` }, ConditionExpression: 'attribute_exists(pk)' })));
  const get = async (pk: string, sk: string) => (await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

  const store: AccessStore = {
    async putHolding(h) {
      return put(
        { pk: accountPk(h.account), sk: `ROLE#${h.role}#${h.grantKey}`, kind: 'role', ...h },
        {
          // The store's twin of `supersedes`: later event time wins; at a tie a revocation beats an assignment.
          expr: 'attribute_not_exists(pk) OR eventTime < :t OR (eventTime = :t AND #state = :assigned AND :state = :revoked)',
          values: { ':t': h.eventTime, ':state': h.state, ':assigned': 'assigned', ':revoked': 'revoked' },
          names: { '#state': 'state' },
        },
      );
    },

    async touchAccount(account, fields) {
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
      const names: Record<string, string> = {};
      if (fields.grantWindow !== undefined) {
        sets.push('#gw = :gw');
        names['#gw'] = `${GRANT_WINDOW}${fields.grantWindow.grantId}`;
        values[':gw'] = { startsAt: fields.grantWindow.startsAt, expiresAt: fields.grantWindow.expiresAt };
      }
      const out = await client.send(
        new UpdateCommand({
          TableName: tableName, Key: { pk: accountPk(account), sk: 'META' }, UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeValues: values,
          ...(fields.grantWindow ? { ExpressionAttributeNames: names } : {}), ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? toMeta(out.Attributes) : undefined;
    },

    async linkPerson(person, account) {
      await put({ pk: personPk(person), sk: `ACCT#${account}`, person, account });
    },

    async accountsOf(person) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :acct)',
        ExpressionAttributeValues: { ':pk': personPk(person), ':acct': 'ACCT#' },
        ConsistentRead: true,
      });
      return items.map((i) => String(i.account));
    },

    async putGrant(grant) {
      return put(
        { pk: accountPk(grant.account), sk: `GRANT#${grant.grantId}`, kind: 'grant', ...grant, gsi1pk: GRANT_INDEX, gsi1sk: `${grant.grantExpiresAt}#${grant.account}#${grant.grantId}` },
        { expr: 'attribute_not_exists(pk)' },
      );
    },

    async endGrant(account, grantId) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: { pk: accountPk(account), sk: 'META' }, UpdateExpression: 'REMOVE #gw', ExpressionAttributeNames: { '#gw': `${GRANT_WINDOW}${grantId}` } }),
      );
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: accountPk(account), sk: `GRANT#${grantId}` },
            UpdateExpression: 'SET #state = :ended REMOVE gsi1pk, gsi1sk',
            ConditionExpression: '#state = :active',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':ended': 'ended', ':active': 'active' },
          }),
        ),
      );
    },

    async recordGrantOperation(account, grantId, operation, expiresAt) {
      await put({ pk: grantOpsPk(grantId), sk: `${operation.time}#${operation.eventId}`, account, ...operation, expiresAt }, { expr: 'attribute_not_exists(pk)' });
    },

    async grantOperations(grantId) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': grantOpsPk(grantId) }, ConsistentRead: true });
      return items.map((i) => ({
        account: String(i.account), eventId: String(i.eventId), time: String(i.time), action: String(i.action), target: String(i.target), module: String(i.module),
        attribution: i.attribution === 'explicit' ? ('explicit' as const) : ('window' as const),
      }));
    },

    async dueGrants(now) {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :idx AND gsi1sk <= :now',
        // `<expiry>#...` sorts at or before `<now>#\uffff` exactly when expiry <= now.
        ExpressionAttributeValues: { ':idx': GRANT_INDEX, ':now': `${now.toISOString()}#\uffff` },
      });
      return items.map((i) => ({ account: String(i.account), grantId: String(i.grantId) }));
    },

    async recordUse(account, module, time) {
      // Day precision (the audit counts unused days): one write per account, module and day, not one per operation.
      return put({ pk: accountPk(account), sk: `USE#${module}`, kind: 'use', module, lastUsedAt: time }, { expr: 'attribute_not_exists(pk) OR lastUsedAt < :day', values: { ':day': `${time.slice(0, 10)}T00:00:00.000Z` } });
    },

    async recordDeparture(person, departedAt) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: personKey(person), UpdateExpression: 'SET person = :p, departedAt = :d', ExpressionAttributeValues: { ':p': person, ':d': departedAt } }),
      );
    },

    async recordTransfer(person, transfer) {
      await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: personKey(person),
            UpdateExpression: 'SET person = :p, job = :job, #transfer = :t, transferEffectiveAt = :e',
            ConditionExpression: 'attribute_not_exists(transferEffectiveAt) OR transferEffectiveAt < :e',
            ExpressionAttributeNames: { '#transfer': 'transfer' },
            ExpressionAttributeValues: { ':p': person, ':job': transfer.toJob, ':t': transfer, ':e': transfer.effectiveAt },
          }),
        ),
      );
    },

    async setPersonJob(person, job) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: personKey(person), UpdateExpression: 'SET person = :p, job = if_not_exists(job, :j)', ExpressionAttributeValues: { ':p': person, ':j': job } }),
      );
    },

    async putClock(clock) {
      await put({ pk: personPk(clock.person), sk: `CLOCK#${clock.kind}#${clock.at}`, ...clock, gsi1pk: CLOCK_INDEX, gsi1sk: `${clock.deadline}#${clock.person}` }, { expr: 'attribute_not_exists(pk)' });
    },

    async dueClocks(now) {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :idx AND gsi1sk <= :now',
        ExpressionAttributeValues: { ':idx': CLOCK_INDEX, ':now': `${now.toISOString()}#\uffff` },
      });
      return items.map((i) => ({ person: String(i.person), kind: i.kind as Clock['kind'], at: String(i.at), deadline: String(i.deadline), eventId: String(i.eventId) }));
    },

    async closeClock(clock) {
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: personPk(clock.person), sk: `CLOCK#${clock.kind}#${clock.at}` },
            UpdateExpression: 'SET closed = :true REMOVE gsi1pk, gsi1sk',
            ConditionExpression: 'attribute_exists(gsi1pk)',
            ExpressionAttributeValues: { ':true': true },
          }),
        ),
      );
    },

    async putLogin(login, expiresAt) {
      await put({ pk: loginPk(login.account), sk: `${login.time}#${login.eventId}`, ...login, expiresAt });
    },

    async loginsBetween(account, from, to) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': loginPk(account), ':from': from, ':to': `${to}~` },
        ConsistentRead: true,
      });
      return items.map((i) => ({
        eventId: String(i.eventId),
        account: String(i.account),
        ...(typeof i.person === 'string' ? { person: i.person } : {}),
        deviceId: String(i.deviceId),
        time: String(i.time),
        outcome: i.outcome as LoginFact['outcome'],
      }));
    },

    async snapshot(account) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': accountPk(account) }, ConsistentRead: true });
      let meta: AccountMeta = { account, known: false };
      const roles: RoleHolding[] = [];
      const grants: Grant[] = [];
      const lastUse: Record<string, string> = {};
      const openFindings: OpenFinding[] = [];
      for (const item of items) {
        const sk = String(item.sk);
        if (sk === 'META') meta = toMeta(item);
        else if (sk.startsWith('ROLE#')) roles.push(toHolding(item));
        else if (sk.startsWith('GRANT#')) grants.push(toGrant(item));
        else if (sk.startsWith('USE#')) lastUse[String(item.module)] = String(item.lastUsedAt);
        else if (sk.startsWith('FINDING#')) openFindings.push(item.finding as OpenFinding);
      }
      let person: PersonState | undefined;
      if (meta.person !== undefined) {
        const key = personKey(meta.person);
        const p = await get(key.pk, key.sk);
        person = p ? toPerson(p) : { person: meta.person };
      }
      return { snapshot: { meta, ...(person ? { person } : {}), roles, grants, lastUse }, openFindings };
    },

    async openFinding(account, finding, expiresAt) {
      return put({ pk: accountPk(account), sk: `FINDING#${finding.findingId}`, finding, ...(expiresAt ? { expiresAt } : {}) }, { expr: 'attribute_not_exists(pk)' });
    },

    async closeFinding(account, findingId) {
      return deleteFinding(accountPk(account), findingId);
    },

    async personState(person) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': personPk(person) }, ConsistentRead: true });
      const accounts: string[] = [];
      const openFindings: OpenFinding[] = [];
      for (const item of items) {
        const sk = String(item.sk);
        if (sk.startsWith('ACCT#')) accounts.push(String(item.account));
        else if (sk.startsWith('FINDING#')) openFindings.push(item.finding as OpenFinding);
      }
      return { accounts, openFindings };
    },

    async openPersonFinding(person, finding) {
      return put({ pk: personPk(person), sk: `FINDING#${finding.findingId}`, finding }, { expr: 'attribute_not_exists(pk)' });
    },

    async closePersonFinding(person, findingId) {
      return deleteFinding(personPk(person), findingId);
    },

    async nextRevision(account) {
      const out = await client.send(
        new UpdateCommand({ TableName: tableName, Key: summaryKey(account), UpdateExpression: 'SET account = :a ADD revisions :one', ExpressionAttributeValues: { ':a': account, ':one': 1 }, ReturnValues: 'UPDATED_NEW' }),
      );
      return Number(out.Attributes?.revisions);
    },

    async saveSummary(snapshot, revision) {
      const encoded = encodeSummary(snapshot);
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: summaryKey(snapshot.meta.account),
            UpdateExpression: encoded.length <= maxSummaryChars ? 'SET account = :a, revision = :r, summary = :s' : 'SET account = :a, revision = :r REMOVE summary',
            ConditionExpression: 'attribute_not_exists(revision) OR revision < :r',
            ExpressionAttributeValues: { ':a': snapshot.meta.account, ':r': revision, ...(encoded.length <= maxSummaryChars ? { ':s': encoded } : {}) },
          }),
        ),
      );
    },

    async forEachAccount(visit) {
      const people = new Map<string, PersonState>();
      await mapWithConcurrency(shardNumbers, 4, async (shard) => {
        for await (const page of queryPages(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': peoplePk(shard) } })) {
          for (const item of page) people.set(String(item.person), toPerson(item));
        }
      });
      await mapWithConcurrency(shardNumbers, 4, async (shard) => {
        for await (const page of queryPages(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': summaryPk(shard) } })) {
          const unsummarised: string[] = [];
          for (const item of page) {
            if (typeof item.summary === 'string') visit(decodeSummary(item.summary, people));
            else unsummarised.push(String(item.account));
          }
          // Too large to summarise, or a reconcile that stopped between its revision and its save: read the account itself.
          for (const account of unsummarised) visit((await store.snapshot(account)).snapshot);
        }
      });
    },

    async recordSignOff(month, reviewer, comment, eventId, time) {
      await put({ pk: `ACCESS#REVIEW#${month}`, sk: `SIGNOFF#${reviewer}`, month, reviewer, ...(comment ? { comment } : {}), eventId, time });
    },

    async signOffs(month) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ACCESS#REVIEW#${month}` }, ConsistentRead: true });
      return items.map((i) => ({ reviewer: String(i.reviewer), ...(typeof i.comment === 'string' ? { comment: i.comment } : {}), time: String(i.time) }));
    },
  };
  return store;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

function toMeta(item: Record<string, unknown>): AccountMeta {
  const person = str(item.person);
  const job = str(item.job);
  const grantWindows = Object.entries(item)
    .filter(([name]) => name.startsWith(GRANT_WINDOW))
    .map(([name, w]) => ({ grantId: name.slice(GRANT_WINDOW.length), startsAt: String((w as GrantWindow).startsAt), expiresAt: String((w as GrantWindow).expiresAt) }))
    .sort((a, b) => a.grantId.localeCompare(b.grantId));
  return { account: String(item.account), known: item.known === true, ...(person ? { person } : {}), ...(job ? { job } : {}), ...(grantWindows.length > 0 ? { grantWindows } : {}) };
}

function toPerson(item: Record<string, unknown>): PersonState {
  const job = str(item.job);
  const departedAt = str(item.departedAt);
  const transfer = item.transfer as PersonState['transfer'] | undefined;
  return { person: String(item.person), ...(job ? { job } : {}), ...(departedAt ? { departedAt } : {}), ...(transfer ? { transfer } : {}) };
}

function toHolding(item: Record<string, unknown>): RoleHolding {
  const optional = Object.fromEntries((['person', 'job', 'commandId', 'reason'] as const).flatMap((k) => (typeof item[k] === 'string' ? [[k, item[k]]] : [])));
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

function toGrant(item: Record<string, unknown>): Grant {
  const person = str(item.person);
  return {
    grantId: String(item.grantId),
    account: String(item.account),
    ...(person ? { person } : {}),
    permissions: strs(item.permissions),
    modules: strs(item.modules),
    reason: String(item.reason),
    approver: String(item.approver),
    startsAt: String(item.startsAt),
    grantExpiresAt: String(item.grantExpiresAt),
    requestedExpiresAt: String(item.requestedExpiresAt),
    state: item.state === 'ended' ? 'ended' : 'active',
    eventId: String(item.eventId),
  };
}
