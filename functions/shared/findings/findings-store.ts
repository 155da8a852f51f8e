/**
 * Where every function's findings are kept: one item per finding in the state table, in the
 * partition of the scope it belongs to, so a function reads a scope's findings together with
 * the scope's own state in one query (access-governance keeps an account's findings beside
 * the account).
 *
 *   <scope partition> / FINDING#<findingId>
 *        the finding as last raised, its state (open, acknowledged, excepted, resolved), who
 *        acknowledged it, its exception, its history, and `version` for optimistic writes;
 *        `pending`: events decided with this version but not yet known to be published
 *        (a crash between the write and the publish is finished by the next touch);
 *        gsi1pk FINDINGS#<shard of id>, gsi1sk <findingId>: look-up by id and listing,
 *        16 shards so that no index partition runs hot.
 *        expiresAt: sticky findings after 90 days; resolved ones after the audit retention.
 *
 * Single-item conditional writes only (dynalite has no transactions).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../../infra/state-table.ts';
import { conditionally, queryAll } from '../dynamo-access.ts';
import type { OutgoingEvent } from '../ports.ts';
import { shardOf, SHARDS } from '../shards.ts';
import type { StoredFinding } from './finding.ts';

export const FINDING_SK_PREFIX = 'FINDING#';
const INDEX = stateTable.globalSecondaryIndexes[0];
const indexPartition = (findingId: string) => `FINDINGS#${shardOf(findingId)}`;

/** Where a set of findings lives: a partition of the state table, and a readable label for messages. */
export interface FindingScope {
  readonly partition: string;
  readonly label: string;
}

/** The scope for findings about one subject of a function that keeps no other state with them. */
export const subjectScope = (detectedBy: string, subjectKey: string): FindingScope => ({ partition: `FINDINGS#${detectedBy}#${subjectKey}`, label: subjectKey });

export interface FindingRecord {
  readonly partition: string;
  readonly version: number;
  readonly finding: StoredFinding;
  readonly pending: readonly OutgoingEvent[];
}

export interface FindingsStore {
  /** Every finding kept in the scope (live and resolved), strongly consistent. */
  inScope(scope: FindingScope): Promise<FindingRecord[]>;
  /** One finding of the scope by id (a strongly consistent read of its one item, not of the scope). */
  inScopeById(scope: FindingScope, findingId: string): Promise<FindingRecord | undefined>;
  /** One finding by id, wherever it lives. */
  get(findingId: string): Promise<FindingRecord | undefined>;
  /** Every finding kept, in id order within each shard. */
  list(): Promise<FindingRecord[]>;
  /**
   * Writes `record` if the stored version is still `expectedVersion` (undefined: no item yet).
   * False when another writer got there first (re-read and decide again).
   */
  save(record: FindingRecord, expectedVersion: number | undefined, expiresAt?: number): Promise<boolean>;
  /** Drops the pending events once published, if the finding is still at `version`. */
  clearPending(partition: string, findingId: string, version: number): Promise<void>;
}

/** A stored item of the findings layout back as a record (stores that read a partition in one query use it). */
export function findingRecordFromItem(item: Record<string, unknown>): FindingRecord {
  return {
    partition: String(item[stateTable.partitionKey]),
    version: Number(item.version),
    finding: item.finding as StoredFinding,
    pending: (item.pending as OutgoingEvent[] | undefined) ?? [],
  };
}

export const isFindingItem = (item: Record<string, unknown>) => String(item[stateTable.sortKey]).startsWith(FINDING_SK_PREFIX);

export function dynamoFindingsStore(client: DynamoDBDocumentClient, tableName: string): FindingsStore {
  const { partitionKey: pk, sortKey: sk } = stateTable;
  const key = (partition: string, findingId: string) => ({ [pk]: partition, [sk]: `${FINDING_SK_PREFIX}${findingId}` });
  /** The finding's item in `partition`, read consistently. */
  const read = async (partition: string, findingId: string): Promise<FindingRecord | undefined> => {
    const item = (await client.send(new GetCommand({ TableName: tableName, Key: key(partition, findingId), ConsistentRead: true }))).Item;
    return item ? findingRecordFromItem(item) : undefined;
  };
  return {
    async inScope(scope) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: { ':pk': scope.partition, ':prefix': FINDING_SK_PREFIX },
        ConsistentRead: true,
      });
      return items.map(findingRecordFromItem);
    },
    inScopeById(scope, findingId) {
      return read(scope.partition, findingId);
    },
    async get(findingId) {
      const out = await client.send(new QueryCommand({
        TableName: tableName,
        IndexName: INDEX.indexName,
        KeyConditionExpression: '#ipk = :ipk AND #isk = :id',
        ExpressionAttributeNames: { '#ipk': INDEX.partitionKey, '#isk': INDEX.sortKey },
        ExpressionAttributeValues: { ':ipk': indexPartition(findingId), ':id': findingId },
      }));
      const hit = out.Items?.[0];
      if (!hit) return undefined;
      // The index is eventually consistent on AWS: read the item itself for the current version.
      return read(String(hit[pk]), findingId);
    },
    async list() {
      const records: FindingRecord[] = [];
      for (let shard = 0; shard < SHARDS; shard++) {
        const items = await queryAll(client, {
          TableName: tableName,
          IndexName: INDEX.indexName,
          KeyConditionExpression: '#ipk = :ipk',
          ExpressionAttributeNames: { '#ipk': INDEX.partitionKey },
          ExpressionAttributeValues: { ':ipk': `FINDINGS#${shard}` },
        });
        records.push(...items.map(findingRecordFromItem));
      }
      return records;
    },
    async save(record, expectedVersion, expiresAt) {
      const item: Record<string, unknown> = {
        ...key(record.partition, record.finding.findingId),
        [INDEX.partitionKey]: indexPartition(record.finding.findingId),
        [INDEX.sortKey]: record.finding.findingId,
        version: record.version,
        finding: record.finding,
        pending: record.pending,
        ...(expiresAt !== undefined ? { [stateTable.ttlAttribute]: expiresAt } : {}),
      };
      return conditionally(() =>
        client.send(new PutCommand({
          TableName: tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } }
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
        })),
      );
    },
    async clearPending(partition, findingId, version) {
      await conditionally(() =>
        client.send(new UpdateCommand({
          TableName: tableName,
          Key: key(partition, findingId),
          UpdateExpression: 'SET pending = :none',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':none': [], ':v': version },
        })),
      );
    },
  };
}

/** The same store in memory, for unit tests of the flows above it (and the simulator's dry runs). */
export function memoryFindingsStore(): FindingsStore & { readonly records: Map<string, FindingRecord & { expiresAt?: number }> } {
  const records = new Map<string, FindingRecord & { expiresAt?: number }>();
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    records,
    async inScope(scope) {
      return [...records.values()].filter((r) => r.partition === scope.partition).map(copy);
    },
    async inScopeById(scope, findingId) {
      const found = records.get(findingId);
      return found?.partition === scope.partition ? copy(found) : undefined;
    },
    async get(findingId) {
      const found = records.get(findingId);
      return found ? copy(found) : undefined;
    },
    async list() {
      return [...records.values()].map(copy);
    },
    async save(record, expectedVersion, expiresAt) {
      const current = records.get(record.finding.findingId);
      if (expectedVersion === undefined ? current !== undefined : current?.version !== expectedVersion) return false;
      records.set(record.finding.findingId, { ...copy(record), ...(expiresAt !== undefined ? { expiresAt } : {}) });
      return true;
    },
    async clearPending(_partition, findingId, version) {
      const current = records.get(findingId);
      if (current?.version === version) records.set(findingId, { ...current, pending: [] });
    },
  };
}
