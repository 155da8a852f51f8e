/**
 * The backup-verification aggregate: one dataset's state with its findings, its evidence
 * ledger, and the due-time index the sweep reads. Key layout (state table):
 *
 *   BACKUP#<dataset> / STATE              the folded state, `version` for optimistic writes;
 *        gsi1pk BACKUP-DUE, gsi1sk <next due ISO>#<dataset>: the sweep queries what is due,
 *        so its cost grows with the datasets due, not with the catalogue or the history
 *   BACKUP#<dataset> / FINDING#<id>       its findings (the shared findings layout), read with
 *        the state in one query
 *   BACKUP-LEDGER#<dataset> / <at>#<eventId>   every observation (backup, copy, heartbeat,
 *        restore test, key event), kept for the cold retention; the report reads a month
 *   BACKUP-RP#<recovery point ARN> / MAP  the dataset a recovery point belongs to (restore
 *        jobs name only the recovery point)
 *   BACKUP-CATALOGUE / ENROLMENT          fingerprint of the catalogue last enrolled
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { conditionally, queryAll, queryDueOnIndex, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import { findingRecordFromItem, isFindingItem, memoryFindingsStore, type FindingRecord, type FindingScope, type FindingsStore } from '../shared/findings/findings-store.ts';
import type { DatasetState } from './dataset-state.ts';
import type { Observation } from './observations.ts';

export const DUE_PARTITION = 'BACKUP-DUE';
export const datasetScope = (datasetId: string): FindingScope => ({ partition: `BACKUP#${datasetId}`, label: `dataset ${datasetId}` });

export interface LedgerEntry {
  readonly datasetId: string;
  readonly observation: Observation;
}

export interface DatasetRecord {
  readonly state?: DatasetState;
  readonly version?: number;
  readonly findings: FindingRecord[];
}

export interface BackupStore {
  /** The state and findings of a dataset (one consistent query). */
  read(datasetId: string): Promise<DatasetRecord>;
  /** Writes the state if still at `expectedVersion` (undefined: none yet), with its next due time. */
  save(state: DatasetState, expectedVersion: number | undefined, nextDueAt: string | undefined): Promise<boolean>;
  /** Creates the state if absent; otherwise makes the dataset due at `dueAt`. */
  enrol(state: DatasetState, dueAt: string): Promise<void>;
  /** Dataset ids due before `before`. */
  due(before: Date): Promise<string[]>;
  appendLedger(entry: LedgerEntry, expiresAt: number): Promise<void>;
  /** Ledger entries with `from <= at < to`, oldest first. */
  ledger(datasetId: string, from: string, to: string): Promise<Observation[]>;
  mapRecoveryPoint(arn: string, datasetId: string, expiresAt: number): Promise<void>;
  datasetOfRecoveryPoint(arn: string): Promise<string | undefined>;
  enrolment(): Promise<string | undefined>;
  setEnrolment(fingerprint: string): Promise<void>;
  readonly findings: FindingsStore;
}

const { partitionKey: pk, sortKey: sk } = stateTable;
const dueKey = (at: string, datasetId: string) => `${at}#${datasetId}`;

export function dynamoBackupStore(client: DynamoDBDocumentClient, tableName: string, findings: FindingsStore): BackupStore {
  const get = async (key: Record<string, string>) => (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  return {
    findings,
    async read(datasetId) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': pk }, ExpressionAttributeValues: { ':pk': datasetScope(datasetId).partition }, ConsistentRead: true });
      const stateItem = items.find((i) => i[sk] === 'STATE');
      return { ...(stateItem ? { state: stateItem.state as DatasetState, version: Number(stateItem.version) } : {}), findings: items.filter(isFindingItem).map(findingRecordFromItem) };
    },
    async save(state, expectedVersion, nextDueAt) {
      const item = {
        [pk]: datasetScope(state.datasetId).partition, [sk]: 'STATE', state, version: (expectedVersion ?? 0) + 1,
        ...(nextDueAt ? { [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: dueKey(nextDueAt, state.datasetId) } : {}),
      };
      return conditionally(() => client.send(new PutCommand({
        TableName: tableName, Item: item,
        ...(expectedVersion === undefined ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } } : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
      })));
    },
    async enrol(state, dueAt) {
      const key = { [pk]: datasetScope(state.datasetId).partition, [sk]: 'STATE' };
      const created = await conditionally(() => client.send(new PutCommand({ TableName: tableName, Item: { ...key, state, version: 1, [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: dueKey(dueAt, state.datasetId) }, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } })));
      if (!created) {
        await client.send(new UpdateCommand({ TableName: tableName, Key: key, UpdateExpression: 'SET #ipk = :p, #isk = :s', ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey }, ExpressionAttributeValues: { ':p': DUE_PARTITION, ':s': dueKey(dueAt, state.datasetId) } }));
      }
    },
    async due(before) {
      const items = await queryDueOnIndex(client, tableName, DUE_PARTITION, before);
      return [...new Set(items.map((i) => String(i[stateIndex.sortKey]).slice(String(i[stateIndex.sortKey]).indexOf('#') + 1)))];
    },
    async appendLedger(entry, expiresAt) {
      await client.send(new PutCommand({ TableName: tableName, Item: { [pk]: `BACKUP-LEDGER#${entry.datasetId}`, [sk]: `${entry.observation.at}#${entry.observation.eventId}`, observation: entry.observation, [TTL_ATTRIBUTE]: expiresAt } }));
    },
    async ledger(datasetId, from, to) {
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to', ExpressionAttributeNames: { '#pk': pk, '#sk': sk }, ExpressionAttributeValues: { ':pk': `BACKUP-LEDGER#${datasetId}`, ':from': from, ':to': to } });
      return items.map((i) => i.observation as Observation).filter((o) => o.at < to);
    },
    async mapRecoveryPoint(arn, datasetId, expiresAt) {
      await client.send(new PutCommand({ TableName: tableName, Item: { [pk]: `BACKUP-RP#${arn}`, [sk]: 'MAP', datasetId, [TTL_ATTRIBUTE]: expiresAt } }));
    },
    async datasetOfRecoveryPoint(arn) {
      const item = await get({ [pk]: `BACKUP-RP#${arn}`, [sk]: 'MAP' });
      return item ? String(item.datasetId) : undefined;
    },
    async enrolment() {
      const item = await get({ [pk]: 'BACKUP-CATALOGUE', [sk]: 'ENROLMENT' });
      return item ? String(item.fingerprint) : undefined;
    },
    async setEnrolment(fingerprint) {
      await client.send(new PutCommand({ TableName: tableName, Item: { [pk]: 'BACKUP-CATALOGUE', [sk]: 'ENROLMENT', fingerprint } }));
    },
  };
}

/** The same store in memory (unit tests share it). */
export function memoryBackupStore(): BackupStore & { readonly states: Map<string, { state: DatasetState; version: number; due?: string }>; readonly entries: LedgerEntry[] } {
  const findings = memoryFindingsStore();
  const states = new Map<string, { state: DatasetState; version: number; due?: string }>();
  const entries: LedgerEntry[] = [];
  const rp = new Map<string, string>();
  let fingerprint: string | undefined;
  return {
    findings, states, entries,
    async read(datasetId) {
      const s = states.get(datasetId);
      return { ...(s ? { state: structuredClone(s.state), version: s.version } : {}), findings: await findings.inScope(datasetScope(datasetId)) };
    },
    async save(state, expectedVersion, nextDueAt) {
      const current = states.get(state.datasetId);
      if ((current?.version) !== expectedVersion) return false;
      states.set(state.datasetId, { state: structuredClone(state), version: (expectedVersion ?? 0) + 1, ...(nextDueAt ? { due: nextDueAt } : {}) });
      return true;
    },
    async enrol(state, dueAt) {
      const current = states.get(state.datasetId);
      states.set(state.datasetId, current ? { ...current, due: dueAt } : { state: structuredClone(state), version: 1, due: dueAt });
    },
    async due(before) {
      return [...states.entries()].filter(([, s]) => s.due !== undefined && s.due < before.toISOString()).sort((a, b) => (a[1].due as string).localeCompare(b[1].due as string)).map(([id]) => id);
    },
    async appendLedger(entry) {
      if (!entries.some((e) => e.datasetId === entry.datasetId && e.observation.eventId === entry.observation.eventId && e.observation.at === entry.observation.at)) entries.push(structuredClone(entry));
    },
    async ledger(datasetId, from, to) {
      return entries.filter((e) => e.datasetId === datasetId && e.observation.at >= from && e.observation.at < to).map((e) => e.observation).sort((a, b) => a.at.localeCompare(b.at));
    },
    async mapRecoveryPoint(arn, datasetId) {
      rp.set(arn, datasetId);
    },
    async datasetOfRecoveryPoint(arn) {
      return rp.get(arn);
    },
    async enrolment() {
      return fingerprint;
    },
    async setEnrolment(f) {
      fingerprint = f;
    },
  };
}
