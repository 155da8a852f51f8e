/**
 * access-governance's items in the state table. Single-item conditional writes only (dynalite
 * has no transactions); each is safe to repeat and to receive out of order.
 *
 *   ACCESS#ACCT#<account> / META                     known?, person, job; gsi1 ACCESS#ACCOUNTS / <account> (the report's account list)
 *   ACCESS#ACCT#<account> / ROLE#<role>#<grantKey>    one holding, versioned by event time (latest wins, tombstone wins a tie)
 *   ACCESS#ACCT#<account> / GRANT#<grantId>           a temporary grant; while active gsi1 ACCESS#GRANT-OPEN / <expiry>#<account>#<grantId>
 *   ACCESS#ACCT#<account> / USE#<module>              last operation in the module (2.5 unused permissions)
 *   ACCESS#ACCT#<account> / FINDING#<findingId>       a finding raised and not yet resolved
 *   ACCESS#LOGIN#<account> / <time>#<eventId>         a login (TTL: the shared-account window, plus a day)
 *   ACCESS#PERSON#<person> / META                     job, departedAt, last transfer
 *   ACCESS#PERSON#<person> / ACCT#<account>           the person's accounts
 *   ACCESS#PERSON#<person> / CLOCK#<kind>#<at>        a leaver/mover clock; while open gsi1 ACCESS#CLOCK-OPEN / <deadline>#<person>
 *   ACCESS#REVIEW#<month>  / SIGNOFF#<reviewer>       a reviewer's sign-off of the monthly report
 *
 * One partition per account: the report and the checks read an account with one Query (plus
 * its person's META), whatever the length of its history.
 */
import { GetCommand, PutCommand, UpdateCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryPages } from '../shared/dynamo-access.ts';
import type { LoginFact } from './access-checks.ts';
import type { AccountMeta, AccountSnapshot, Grant, PersonState, RoleHolding } from './permission-state.ts';

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
  touchAccount(account: string, fields: { known: boolean; person?: string; job?: string }): Promise<AccountMeta | undefined>;
  linkPerson(person: string, account: string): Promise<void>;
  accountsOf(person: string): Promise<string[]>;
  putGrant(grant: Grant): Promise<boolean>;
  /** active → ended, off the expiry index; false when already ended. */
  endGrant(account: string, grantId: string): Promise<boolean>;
  dueGrants(now: Date): Promise<{ account: string; grantId: string }[]>;
  recordUse(account: string, module: string, time: string): Promise<void>;
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
  /** Pages of account names, in order. */
  accountPages(): AsyncGenerator<string[]>;
  recordSignOff(month: string, reviewer: string, comment: string | undefined, eventId: string, time: string): Promise<void>;
  signOffs(month: string): Promise<{ reviewer: string; comment?: string; time: string }[]>;
}

const ACCOUNTS_INDEX = 'ACCESS#ACCOUNTS';
const GRANT_INDEX = 'ACCESS#GRANT-OPEN';
const CLOCK_INDEX = 'ACCESS#CLOCK-OPEN';
const accountPk = (a: string) => `ACCESS#ACCT#${a}`;
const personPk = (p: string) => `ACCESS#PERSON#${p}`;
const loginPk = (a: string) => `ACCESS#LOGIN#${a}`;

export function dynamoAccessStore(client: DynamoDBDocumentClient, tableName: string): AccessStore {
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
  const get = async (pk: string, sk: string) => (await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

  return {
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
      const sets = ['account = :a', 'gsi1pk = :idx', 'gsi1sk = :a'];
      const values: Record<string, unknown> = { ':a': account, ':idx': ACCOUNTS_INDEX };
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
        new UpdateCommand({ TableName: tableName, Key: { pk: accountPk(account), sk: 'META' }, UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeValues: values, ReturnValues: 'ALL_OLD' }),
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
      await put({ pk: accountPk(account), sk: `USE#${module}`, kind: 'use', module, lastUsedAt: time }, { expr: 'attribute_not_exists(pk) OR lastUsedAt < :t', values: { ':t': time } });
    },

    async recordDeparture(person, departedAt) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: { pk: personPk(person), sk: 'META' }, UpdateExpression: 'SET person = :p, departedAt = :d', ExpressionAttributeValues: { ':p': person, ':d': departedAt } }),
      );
    },

    async recordTransfer(person, transfer) {
      await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: personPk(person), sk: 'META' },
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
        new UpdateCommand({ TableName: tableName, Key: { pk: personPk(person), sk: 'META' }, UpdateExpression: 'SET person = :p, job = if_not_exists(job, :j)', ExpressionAttributeValues: { ':p': person, ':j': job } }),
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
        const p = await get(personPk(meta.person), 'META');
        person = p ? toPerson(p) : { person: meta.person };
      }
      return { snapshot: { meta, ...(person ? { person } : {}), roles, grants, lastUse }, openFindings };
    },

    async openFinding(account, finding, expiresAt) {
      return put({ pk: accountPk(account), sk: `FINDING#${finding.findingId}`, finding, ...(expiresAt ? { expiresAt } : {}) }, { expr: 'attribute_not_exists(pk)' });
    },

    async closeFinding(account, findingId) {
      return conditionally(() =>
        client.send(new DeleteCommand({ TableName: tableName, Key: { pk: accountPk(account), sk: `FINDING#${findingId}` }, ConditionExpression: 'attribute_exists(pk)' })),
      );
    },

    async *accountPages() {
      for await (const page of queryPages(client, { TableName: tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :idx', ExpressionAttributeValues: { ':idx': ACCOUNTS_INDEX } })) {
        yield page.map((i) => String(i.account));
      }
    },

    async recordSignOff(month, reviewer, comment, eventId, time) {
      await put({ pk: `ACCESS#REVIEW#${month}`, sk: `SIGNOFF#${reviewer}`, month, reviewer, ...(comment ? { comment } : {}), eventId, time });
    },

    async signOffs(month) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ACCESS#REVIEW#${month}` }, ConsistentRead: true });
      return items.map((i) => ({ reviewer: String(i.reviewer), ...(typeof i.comment === 'string' ? { comment: i.comment } : {}), time: String(i.time) }));
    },
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

function toMeta(item: Record<string, unknown>): AccountMeta {
  const person = str(item.person);
  const job = str(item.job);
  return { account: String(item.account), known: item.known === true, ...(person ? { person } : {}), ...(job ? { job } : {}) };
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
