/**
 * Temporary grants (guide 2.4) and the operations performed under them.
 *
 *   ACCESS#ACCT#<account> / GRANT#<grantId>        the grant; while not ended, on the state index
 *                                                  ACCESS#GRANT-OPEN / <effective expiry>#<account>#<grantId>
 *   ACCESS#ACCT#<account> / META                   `grantWindow:<grantId>` {startsAt, expiresAt} per grant not
 *                                                  yet ended, so that an operation finds the grants covering it
 *                                                  in the META write it makes anyway
 *   ACCESS#GRANTOPS#<grantId> / <time>#<eventId>   an operation tagged with the grant, with its account
 *                                                  (expires with the audit retention)
 *
 * Grants and windows sit in the account's partition (keys.ts) so that the checks read them
 * with the rest of the account; the account store decodes them with `grantFromItem` and
 * `grantWindowsOf`. Single-item conditional writes, each safe to repeat.
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryDueOnIndex, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import { addMs } from '../shared/time.ts';
import { accountMetaKey, accountPartition, inKeyOrder } from './keys.ts';
import type { Grant, GrantOperation, GrantWindow } from './permission-state.ts';

const OPEN_GRANTS = 'ACCESS#GRANT-OPEN';
const GRANT_SK = 'GRANT#';
const WINDOW_ATTRIBUTE = 'grantWindow:';
const grantKey = (account: string, grantId: string) => ({ pk: accountPartition(account), sk: `${GRANT_SK}${grantId}` });
const operationsPartition = (grantId: string) => `ACCESS#GRANTOPS#${grantId}`;
const openGrantsSortKey = (grant: Pick<Grant, 'grantExpiresAt' | 'account' | 'grantId'>) => `${grant.grantExpiresAt}#${grant.account}#${grant.grantId}`;

export interface DueGrant {
  readonly account: string;
  readonly grantId: string;
}

export type TaggedOperation = GrantOperation & { readonly account: string };

export interface GrantStore {
  /** Puts the grant's window on the account and stores the grant, open until it ends; false when the grant was already stored. */
  open(grant: Grant): Promise<boolean>;
  /** active → ended, off the index of open grants and out of the account's windows; false when already ended. */
  end(account: string, grantId: string): Promise<boolean>;
  /** Grants not yet ended whose effective expiry is at or before `now`. */
  due(now: Date): Promise<DueGrant[]>;
  /** Tags an operation with the grant, once; `expiresAt` in epoch seconds. */
  recordOperation(account: string, grantId: string, operation: GrantOperation, expiresAt: number): Promise<void>;
  /** The operations tagged with the grant, in time order. */
  operations(grantId: string): Promise<TaggedOperation[]>;
}

export function dynamoGrantStore(client: DynamoDBDocumentClient, tableName: string): GrantStore {
  return {
    async open(grant) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: accountMetaKey(grant.account),
          UpdateExpression: 'SET account = :a, #window = :w',
          ExpressionAttributeNames: { '#window': `${WINDOW_ATTRIBUTE}${grant.grantId}` },
          ExpressionAttributeValues: { ':a': grant.account, ':w': { startsAt: grant.startsAt, expiresAt: grant.grantExpiresAt } },
        }),
      );
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...grantKey(grant.account, grant.grantId), kind: 'grant', ...grant, [stateIndex.partitionKey]: OPEN_GRANTS, [stateIndex.sortKey]: openGrantsSortKey(grant) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async end(account, grantId) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: accountMetaKey(account), UpdateExpression: 'REMOVE #window', ExpressionAttributeNames: { '#window': `${WINDOW_ATTRIBUTE}${grantId}` } }),
      );
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: grantKey(account, grantId),
            UpdateExpression: 'SET #state = :ended REMOVE #ipk, #isk',
            ConditionExpression: '#state = :active',
            ExpressionAttributeNames: { '#state': 'state', '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey },
            ExpressionAttributeValues: { ':ended': 'ended', ':active': 'active' },
          }),
        ),
      );
    },

    async due(now) {
      // `<expiry>#…` sorts before the next millisecond exactly when the expiry is at or before `now`.
      const items = await queryDueOnIndex(client, tableName, OPEN_GRANTS, addMs(now, 1));
      return items.map((i) => ({ account: String(i.account), grantId: String(i.grantId) }));
    },

    async recordOperation(account, grantId, operation, expiresAt) {
      await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: operationsPartition(grantId), sk: `${operation.time}#${operation.eventId}`, account, ...operation, [TTL_ATTRIBUTE]: expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async operations(grantId) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': operationsPartition(grantId) }, ConsistentRead: true });
      return items.map((i) => ({
        account: String(i.account), eventId: String(i.eventId), time: String(i.time), action: String(i.action), target: String(i.target), module: String(i.module),
        attribution: i.attribution === 'explicit' ? ('explicit' as const) : ('window' as const),
        ...(typeof i.operationKey === 'string' ? { operationKey: i.operationKey } : {}),
      }));
    },
  };
}

/** Whether an item of the account's partition is one of its grants. */
export const isGrantItem = (item: Record<string, unknown>) => String(item.sk).startsWith(GRANT_SK);

const strs = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

export function grantFromItem(item: Record<string, unknown>): Grant {
  const person = typeof item.person === 'string' ? item.person : undefined;
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

/** The windows of the grants not yet ended, from the account's META item, in grant id order. */
export function grantWindowsOf(meta: Record<string, unknown>): GrantWindow[] {
  return Object.entries(meta)
    .filter(([name]) => name.startsWith(WINDOW_ATTRIBUTE))
    .map(([name, w]) => ({ grantId: name.slice(WINDOW_ATTRIBUTE.length), startsAt: String((w as GrantWindow).startsAt), expiresAt: String((w as GrantWindow).expiresAt) }))
    .sort((a, b) => a.grantId.localeCompare(b.grantId));
}

/** The in-memory twin; `grantsOf` and `windowsOf` stand for the account partition the DynamoDB store shares with the account store. */
export function memoryGrantStore(): GrantStore & { grantsOf(account: string): Grant[]; windowsOf(account: string): GrantWindow[] } {
  const grants = new Map<string, Grant>();
  const windows = new Map<string, Map<string, GrantWindow>>();
  const operations = new Map<string, Map<string, TaggedOperation>>();
  const keyOf = (account: string, grantId: string) => `${account}\n${grantId}`;
  return {
    async open(grant) {
      (windows.get(grant.account) ?? windows.set(grant.account, new Map()).get(grant.account)!).set(grant.grantId, { grantId: grant.grantId, startsAt: grant.startsAt, expiresAt: grant.grantExpiresAt });
      if (grants.has(keyOf(grant.account, grant.grantId))) return false;
      grants.set(keyOf(grant.account, grant.grantId), grant);
      return true;
    },
    async end(account, grantId) {
      windows.get(account)?.delete(grantId);
      const grant = grants.get(keyOf(account, grantId));
      if (grant?.state !== 'active') return false;
      grants.set(keyOf(account, grantId), { ...grant, state: 'ended' });
      return true;
    },
    async due(now) {
      return [...grants.values()]
        .filter((g) => g.state === 'active' && g.grantExpiresAt <= now.toISOString())
        .sort((a, b) => inKeyOrder(openGrantsSortKey(a), openGrantsSortKey(b)))
        .map((g) => ({ account: g.account, grantId: g.grantId }));
    },
    async recordOperation(account, grantId, operation) {
      const tagged = operations.get(grantId) ?? operations.set(grantId, new Map()).get(grantId)!;
      const sk = `${operation.time}#${operation.eventId}`;
      if (!tagged.has(sk)) tagged.set(sk, { account, ...operation });
    },
    async operations(grantId) {
      return [...(operations.get(grantId) ?? new Map<string, TaggedOperation>())].sort(([a], [b]) => inKeyOrder(a, b)).map(([, op]) => op);
    },
    grantsOf: (account) => [...grants.values()].filter((g) => g.account === account).sort((a, b) => inKeyOrder(a.grantId, b.grantId)),
    windowsOf: (account) => [...(windows.get(account)?.values() ?? [])].sort((a, b) => a.grantId.localeCompare(b.grantId)),
  };
}
