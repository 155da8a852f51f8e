/**
 * Logins, kept for the shared-account check (guide 2.2) over the policy's window.
 *
 *   ACCESS#LOGIN#<account> / <time>#<eventId>   one login: person, deviceId, outcome
 *                                               (expires: the window, plus a day)
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import type { LoginFact } from './access-checks.ts';
import { inKeyOrder } from './keys.ts';

const loginPartition = (account: string) => `ACCESS#LOGIN#${account}`;
const loginSortKey = (login: Pick<LoginFact, 'time' | 'eventId'>) => `${login.time}#${login.eventId}`;
/** Sorts after every `<to>#<eventId>`: the upper bound of a time range. */
const through = (to: string) => `${to}~`;

export interface LoginStore {
  /** Keeps the login until `expiresAt` (epoch seconds); a redelivery writes the same item. */
  put(login: LoginFact, expiresAt: number): Promise<void>;
  /** The account's logins from `from` through `to` (ISO, UTC), in time order. */
  between(account: string, from: string, to: string): Promise<LoginFact[]>;
}

export function dynamoLoginStore(client: DynamoDBDocumentClient, tableName: string): LoginStore {
  return {
    async put(login, expiresAt) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: loginPartition(login.account), sk: loginSortKey(login), ...login, [TTL_ATTRIBUTE]: expiresAt } }));
    },

    async between(account, from, to) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': loginPartition(account), ':from': from, ':to': through(to) },
        ConsistentRead: true,
      });
      return items.map((i) => ({
        eventId: String(i.eventId),
        account: String(i.account),
        ...(typeof i.person === 'string' ? { person: i.person } : {}),
        deviceId: String(i.deviceId),
        time: String(i.time),
        outcome: i.outcome === 'success' ? 'success' : 'failure',
      }));
    },
  };
}

export function memoryLoginStore(): LoginStore {
  const logins = new Map<string, Map<string, LoginFact>>();
  return {
    async put(login) {
      (logins.get(login.account) ?? logins.set(login.account, new Map()).get(login.account)!).set(loginSortKey(login), login);
    },
    async between(account, from, to) {
      return [...(logins.get(account) ?? new Map<string, LoginFact>())]
        .filter(([sk]) => sk >= from && sk <= through(to))
        .sort(([a], [b]) => inKeyOrder(a, b))
        .map(([, login]) => login);
    },
  };
}
