/**
 * Incidents as the SLA clocks keep them: one item per incident in one partition (incidents
 * are few; the operations report reads them all).
 *
 *   INCIDENTS / INCIDENT#<incidentId>
 *        the IncidentRecord (severity, opened/acknowledged/resolved times, announcements made),
 *        version (optimistic writes);
 *        gsi1pk INCIDENT-DUE, gsi1sk "<next check ISO>#<incidentId>" while open: the sweep
 *        finds incidents whose next step is due;
 *        expiresAt: 400 days after resolution (reports look back a year).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { queryAll, queryDueOnIndex, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import { getItem, memoryVersionedItems, putVersioned } from '../shared/versioned-items.ts';
import { retentionExpiry } from '../shared/time.ts';
import type { IncidentRecord } from './incident-clock.ts';

const PARTITION = 'INCIDENTS';
const PREFIX = 'INCIDENT#';
const DUE_PARTITION = 'INCIDENT-DUE';
const KEPT_DAYS_AFTER_RESOLUTION = 400;

export interface StoredIncident {
  readonly version: number;
  readonly incident: IncidentRecord;
}

export interface IncidentStore {
  get(incidentId: string): Promise<StoredIncident | undefined>;
  /** Writes at `version` if the stored one is `version - 1`; `nextCheckAt` undefined takes it off the due index. */
  save(stored: StoredIncident, nextCheckAt: string | undefined): Promise<boolean>;
  dueBefore(now: Date): Promise<StoredIncident[]>;
  list(): Promise<StoredIncident[]>;
}

export function dynamoIncidentStore(client: DynamoDBDocumentClient, tableName: string): IncidentStore {
  const { partitionKey: pk, sortKey: sk } = stateTable;
  const fromItem = (item: Record<string, unknown>): StoredIncident => ({ version: Number(item.version), incident: item.incident as IncidentRecord });
  return {
    async get(incidentId) {
      const item = await getItem(client, tableName, PARTITION, `${PREFIX}${incidentId}`);
      return item ? fromItem(item) : undefined;
    },
    async save(stored, nextCheckAt) {
      const { incident } = stored;
      const item: Record<string, unknown> = {
        [pk]: PARTITION,
        [sk]: `${PREFIX}${incident.incidentId}`,
        incident,
        ...(nextCheckAt ? { [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: `${nextCheckAt}#${incident.incidentId}` } : {}),
        ...(incident.resolvedAt ? { [TTL_ATTRIBUTE]: retentionExpiry(incident.resolvedAt, KEPT_DAYS_AFTER_RESOLUTION) } : {}),
      };
      return putVersioned(client, tableName, item, stored.version);
    },
    async dueBefore(now) {
      return (await queryDueOnIndex(client, tableName, DUE_PARTITION, now)).map(fromItem);
    },
    async list() {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': PREFIX },
      });
      return items.map(fromItem);
    },
  };
}

export function memoryIncidentStore(): IncidentStore {
  return memoryVersionedItems((stored: StoredIncident) => stored.incident.incidentId, (stored) => stored.version);
}
