/**
 * change-approvals' items in the state table. Plain puts keyed so that a redelivery overwrites
 * itself (idempotent on the event id) and arrival order does not matter: the decisions always
 * read a change's whole history, so an approval that arrives before its request is simply
 * there when the request comes (the audit trail's way with verifications).
 *
 *   CHANGE#<changeId>        / FACT#<time>#<eventId>       every lifecycle fact of the change, detail verbatim
 *   CHANGE#<changeId>        / FINDING#<findingId>         the change's findings (the shared lifecycle's layout)
 *   CHANGE#MONTH#<YYYY-MM>   / <changeId>                  changes with a fact in the month (the monthly report)
 *   CHANGE#ON#<module|dataset> / <changeId>                requests on an ERP module or dataset, with their window (conflicts)
 *   CHANGE#GATE#<YYYY-MM>    / <time>#<changeKey>          a production change seen on AWS or from the pipeline, matched or not
 *   CHANGE#GATE-FINDINGS     / FINDING#<findingId>         findings about unmatched production changes
 *   CHANGE#CALENDARS         / <calendar>                  SSM Change Calendars seen
 *   CHANGE#CALENDAR#<calendar> / <at>#<eventId>            an OPEN/CLOSED transition of one
 *   CHANGE#DUE               / <deadline>#<changeId>       an emergency change's sign-off deadline, until swept
 *
 * One port (`ChangeStore`) over a tiny key-value port (`ChangeItems`) that has a DynamoDB
 * implementation and an in-memory twin, so unit tests and the local runtime share the logic.
 */
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inKeyOrder } from '../shared/key-order.ts';
import { stateTable } from '../../infra/state-table.ts';
import { queryAll } from '../shared/dynamo-access.ts';

const { partitionKey: PK, sortKey: SK } = stateTable;

/** The few item operations the change store needs. */
export interface ChangeItems {
  put(pk: string, sk: string, item: Record<string, unknown>): Promise<void>;
  delete(pk: string, sk: string): Promise<void>;
  /** Items of a partition whose sort key starts with `prefix` (and is ≤ `upTo` when given), ascending. */
  query(pk: string, prefix?: string, options?: { upTo?: string; latestOnly?: boolean }): Promise<Record<string, unknown>[]>;
}

export function dynamoChangeItems(client: DynamoDBDocumentClient, tableName: string): ChangeItems {
  return {
    async put(pk, sk, item) {
      await client.send(new PutCommand({ TableName: tableName, Item: { ...item, [PK]: pk, [SK]: sk } }));
    },
    async delete(pk, sk) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { [PK]: pk, [SK]: sk } }));
    },
    async query(pk, prefix = '', options = {}) {
      const names = { '#pk': PK, '#sk': SK };
      if (options.upTo !== undefined) {
        const input = {
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':pk': pk, ':from': prefix, ':to': options.upTo },
          ConsistentRead: true,
        };
        if (options.latestOnly) return (await client.send(new QueryCommand({ ...input, ScanIndexForward: false, Limit: 1 }))).Items ?? [];
        return queryAll(client, input);
      }
      return queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: prefix ? names : { '#pk': PK },
        ExpressionAttributeValues: prefix ? { ':pk': pk, ':prefix': prefix } : { ':pk': pk },
        ConsistentRead: true,
      });
    },
  };
}

/** The in-memory twin of `dynamoChangeItems`. */
export function memoryChangeItems(): ChangeItems & { readonly items: Map<string, Map<string, Record<string, unknown>>> } {
  const items = new Map<string, Map<string, Record<string, unknown>>>();
  return {
    items,
    async put(pk, sk, item) {
      let partition = items.get(pk);
      if (!partition) items.set(pk, (partition = new Map()));
      partition.set(sk, structuredClone({ ...item, [PK]: pk, [SK]: sk }));
    },
    async delete(pk, sk) {
      items.get(pk)?.delete(sk);
    },
    async query(pk, prefix = '', options = {}) {
      const found = [...(items.get(pk) ?? new Map<string, Record<string, unknown>>()).entries()]
        .filter(([sk]) => (options.upTo !== undefined ? sk >= prefix && sk <= options.upTo : sk.startsWith(prefix)))
        .sort(([a], [b]) => inKeyOrder(a, b))
        .map(([, item]) => structuredClone(item));
      return options.latestOnly ? found.slice(-1) : found;
    },
  };
}

/** One lifecycle fact of a change, as it arrived. */
export interface ChangeFact {
  readonly eventId: string;
  readonly detailType: string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

export interface Window {
  readonly start: string;
  readonly end: string;
}

/** A production change the gate saw: a pipeline deploy or configuration edit, or an AWS event. */
export interface GateRecord {
  readonly changeKey: string;
  readonly time: string;
  readonly eventIds: readonly string[];
  readonly origin: 'pipeline' | 'aws';
  readonly summary: string;
  readonly resource: string;
  readonly matchedChangeId?: string;
  readonly inFreeze?: string;
}

export interface CalendarState {
  readonly calendar: string;
  readonly state: 'OPEN' | 'CLOSED';
  readonly at: string;
  readonly eventId: string;
}

export interface ChangeStore {
  putFact(changeId: string, fact: ChangeFact): Promise<void>;
  facts(changeId: string): Promise<ChangeFact[]>;
  noteMonth(month: string, changeId: string): Promise<void>;
  changesInMonth(month: string): Promise<string[]>;
  putOn(key: string, changeId: string, window: Window | undefined): Promise<void>;
  changesOn(key: string): Promise<{ changeId: string; window?: Window }[]>;
  putGate(month: string, record: GateRecord): Promise<void>;
  gateRecords(month: string): Promise<GateRecord[]>;
  putCalendarState(state: CalendarState): Promise<void>;
  /** Each known calendar's latest state at or before `at`. */
  calendarStatesAt(at: string): Promise<CalendarState[]>;
  putDue(deadline: string, changeId: string): Promise<void>;
  dueBefore(now: Date): Promise<{ deadline: string; changeId: string }[]>;
  clearDue(deadline: string, changeId: string): Promise<void>;
}

export const changePartition = (changeId: string) => `CHANGE#${changeId}`;
export const GATE_FINDINGS_PARTITION = 'CHANGE#GATE-FINDINGS';
const FACT = 'FACT#';
const HIGH = '\uffff';

export function changeStore(items: ChangeItems): ChangeStore {
  return {
    putFact: (changeId, fact) => items.put(changePartition(changeId), `${FACT}${fact.time}#${fact.eventId}`, { kind: 'change-fact', changeId, fact }),
    async facts(changeId) {
      return (await items.query(changePartition(changeId), FACT)).map((item) => item.fact as ChangeFact);
    },
    noteMonth: (month, changeId) => items.put(`CHANGE#MONTH#${month}`, changeId, { changeId }),
    async changesInMonth(month) {
      return (await items.query(`CHANGE#MONTH#${month}`)).map((item) => String(item.changeId));
    },
    putOn: (key, changeId, window) => items.put(`CHANGE#ON#${key}`, changeId, { changeId, ...(window ? { window } : {}) }),
    async changesOn(key) {
      return (await items.query(`CHANGE#ON#${key}`)).map((item) => ({ changeId: String(item.changeId), ...(item.window ? { window: item.window as Window } : {}) }));
    },
    putGate: (month, record) => items.put(`CHANGE#GATE#${month}`, `${record.time}#${record.changeKey}`, { record }),
    async gateRecords(month) {
      return (await items.query(`CHANGE#GATE#${month}`)).map((item) => item.record as GateRecord);
    },
    async putCalendarState(state) {
      await items.put('CHANGE#CALENDARS', state.calendar, { calendar: state.calendar });
      await items.put(`CHANGE#CALENDAR#${state.calendar}`, `${state.at}#${state.eventId}`, { state });
    },
    async calendarStatesAt(at) {
      const calendars = (await items.query('CHANGE#CALENDARS')).map((item) => String(item.calendar));
      const states: CalendarState[] = [];
      for (const calendar of calendars) {
        const latest = await items.query(`CHANGE#CALENDAR#${calendar}`, '', { upTo: `${at}#${HIGH}`, latestOnly: true });
        if (latest[0]) states.push(latest[0].state as CalendarState);
      }
      return states;
    },
    putDue: (deadline, changeId) => items.put('CHANGE#DUE', `${deadline}#${changeId}`, { deadline, changeId }),
    async dueBefore(now) {
      return (await items.query('CHANGE#DUE', '', { upTo: `${now.toISOString()}#${HIGH}` })).map((item) => ({ deadline: String(item.deadline), changeId: String(item.changeId) }));
    },
    clearDue: (deadline, changeId) => items.delete('CHANGE#DUE', `${deadline}#${changeId}`),
  };
}

/**
 * Access governance's role holdings, read-only, by their documented layout
 * (`ACCESS#ACCT#<account>` / `ROLE#<role>#<grantKey>` with `state` and `eventTime`): whether an
 * account held a role at a moment. Read through this port only; no access-governance code.
 */
export interface RoleHoldingsReader {
  holdings(account: string, role: string): Promise<{ state: 'assigned' | 'revoked'; eventTime: string; grantKey: string }[]>;
}

export function roleHoldingsReader(items: Pick<ChangeItems, 'query'>): RoleHoldingsReader {
  return {
    async holdings(account, role) {
      return (await items.query(`ACCESS#ACCT#${account}`, `ROLE#${role}#`)).map((item) => ({
        state: item.state === 'revoked' ? 'revoked' : 'assigned',
        eventTime: String(item.eventTime),
        grantKey: String(String(item[SK]).slice(`ROLE#${role}#`.length)),
      }));
    },
  };
}
