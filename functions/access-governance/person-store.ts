/**
 * People as HR describes them (job, departure, last transfer) and the accounts each holds.
 *
 *   ACCESS#PEOPLE#<shard>  / <person>         the person: job, departedAt, the last transfer and
 *                                             `transferEffectiveAt`, which orders transfers; spread
 *                                             over 16 shards (shards.ts) that the monthly report
 *                                             reads page by page, one item per person
 *   ACCESS#PERSON#<person> / ACCT#<account>   an account bound to the person
 *
 * The person's partition (keys.ts) also holds their leaver/mover clocks
 * (leaver-clock-store.ts) and the findings about them across their accounts (the shared
 * lifecycle); `read` returns the accounts and the findings in one Query.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from '../shared/concurrency.ts';
import { conditionally, queryAll, queryPages } from '../shared/dynamo-access.ts';
import { findingRecordFromItem, isFindingItem, memoryFindingsStore, type FindingRecord, type FindingsStore } from '../shared/findings/findings-store.ts';
import { shardOf, SHARDS } from '../shared/shards.ts';
import { inKeyOrder, personPartition, personScope } from './keys.ts';
import type { PersonState } from './permission-state.ts';

const ACCOUNT_SK = 'ACCT#';
const peoplePartition = (shard: number) => `ACCESS#PEOPLE#${shard}`;
const personKey = (person: string) => ({ pk: peoplePartition(shardOf(person)), sk: person });
const shardNumbers = Array.from({ length: SHARDS }, (_, i) => i);

export type Transfer = NonNullable<PersonState['transfer']>;

export interface PersonStore {
  get(person: string): Promise<PersonState | undefined>;
  /** Every person, for the monthly report: one item per person, read page by page. */
  everyone(): Promise<Map<string, PersonState>>;
  /** Binds the account to the person. */
  link(person: string, account: string): Promise<void>;
  accountsOf(person: string): Promise<string[]>;
  /** The person's accounts and the findings about the person across them, in one read. */
  read(person: string): Promise<{ accounts: string[]; findings: FindingRecord[] }>;
  recordDeparture(person: string, departedAt: string): Promise<void>;
  /** Records the transfer unless a later one is recorded; its new job becomes the person's job. */
  recordTransfer(person: string, transfer: Transfer): Promise<void>;
  /** Sets the person's job unless one is known already (a role's job only fills the gap). */
  setJob(person: string, job: string): Promise<void>;
}

/** The person's item as the store writes it, for bulk loads (the benchmark) that bypass the event flow. */
export const personItem = (person: PersonState) => ({ ...personKey(person.person), ...person, ...(person.transfer ? { transferEffectiveAt: person.transfer.effectiveAt } : {}) });

export function dynamoPersonStore(client: DynamoDBDocumentClient, tableName: string): PersonStore {
  const partition = (person: string) =>
    queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': personPartition(person) }, ConsistentRead: true });
  return {
    async get(person) {
      const item = (await client.send(new GetCommand({ TableName: tableName, Key: personKey(person), ConsistentRead: true }))).Item;
      return item ? personFromItem(item) : undefined;
    },

    async everyone() {
      const people = new Map<string, PersonState>();
      await mapWithConcurrency(shardNumbers, 4, async (shard) => {
        for await (const page of queryPages(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': peoplePartition(shard) } })) {
          for (const item of page) people.set(String(item.person), personFromItem(item));
        }
      });
      return people;
    },

    async link(person, account) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: personPartition(person), sk: `${ACCOUNT_SK}${account}`, person, account } }));
    },

    async accountsOf(person) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :acct)',
        ExpressionAttributeValues: { ':pk': personPartition(person), ':acct': ACCOUNT_SK },
        ConsistentRead: true,
      });
      return items.map((i) => String(i.account));
    },

    async read(person) {
      const accounts: string[] = [];
      const findings: FindingRecord[] = [];
      for (const item of await partition(person)) {
        if (String(item.sk).startsWith(ACCOUNT_SK)) accounts.push(String(item.account));
        else if (isFindingItem(item)) findings.push(findingRecordFromItem(item));
      }
      return { accounts, findings };
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

    async setJob(person, job) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: personKey(person), UpdateExpression: 'SET person = :p, job = if_not_exists(job, :j)', ExpressionAttributeValues: { ':p': person, ':j': job } }),
      );
    },
  };
}

function personFromItem(item: Record<string, unknown>): PersonState {
  const job = typeof item.job === 'string' ? item.job : undefined;
  const departedAt = typeof item.departedAt === 'string' ? item.departedAt : undefined;
  const transfer = item.transfer as Transfer | undefined;
  return { person: String(item.person), ...(job ? { job } : {}), ...(departedAt ? { departedAt } : {}), ...(transfer ? { transfer } : {}) };
}

/** The in-memory twin; `findings` is the findings store the lifecycle writes the person's findings to. */
export function memoryPersonStore(findings: FindingsStore = memoryFindingsStore()): PersonStore {
  const people = new Map<string, PersonState>();
  const links = new Map<string, Set<string>>();
  const accountsOf = (person: string) => [...(links.get(person) ?? [])].sort(inKeyOrder);
  return {
    get: async (person) => people.get(person),
    everyone: async () => new Map(people),
    async link(person, account) {
      (links.get(person) ?? links.set(person, new Set()).get(person)!).add(account);
    },
    accountsOf: async (person) => accountsOf(person),
    read: async (person) => ({ accounts: accountsOf(person), findings: await findings.inScope(personScope(person)) }),
    async recordDeparture(person, departedAt) {
      people.set(person, { ...people.get(person), person, departedAt });
    },
    async recordTransfer(person, transfer) {
      const before = people.get(person);
      if (before?.transfer !== undefined && before.transfer.effectiveAt >= transfer.effectiveAt) return;
      people.set(person, { ...before, person, job: transfer.toJob, transfer });
    },
    async setJob(person, job) {
      const before = people.get(person);
      people.set(person, { ...before, person, job: before?.job ?? job });
    },
  };
}
