/**
 * Drills as recorded (guide 5.3): one item per Drill Completed, in one partition ordered by
 * finish time (a few a quarter; the continuity checks and the report read them all).
 *
 *   DRILLS / DRILL#<finishedAt ISO>#<drillId>
 *        the drill's kind, scenario, service, outcome, measured RTO and RPO, event id.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { queryAll } from '../shared/dynamo-access.ts';

export interface DrillRecord {
  readonly drillId: string;
  readonly kind: 'failover' | 'restore' | 'offline-mode' | 'tabletop';
  readonly scenario: string;
  readonly service?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: 'passed' | 'failed';
  readonly recoveryTimeSeconds: number;
  readonly recoveryPointSeconds?: number;
  readonly eventId: string;
}

export interface DrillStore {
  put(drill: DrillRecord): Promise<void>;
  /** Every drill, oldest first. */
  list(): Promise<DrillRecord[]>;
}

const PARTITION = 'DRILLS';
const sortKey = (d: DrillRecord) => `DRILL#${new Date(d.finishedAt).toISOString()}#${d.drillId}`;

export function dynamoDrillStore(client: DynamoDBDocumentClient, tableName: string): DrillStore {
  const { partitionKey: pk, sortKey: sk } = stateTable;
  return {
    async put(drill) {
      // Idempotent: a redelivered drill overwrites itself.
      await client.send(new PutCommand({ TableName: tableName, Item: { [pk]: PARTITION, [sk]: sortKey(drill), drill } }));
    },
    async list() {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': 'DRILL#' },
      });
      return items.map((item) => item.drill as DrillRecord);
    },
  };
}

export function memoryDrillStore(): DrillStore {
  const items = new Map<string, DrillRecord>();
  return {
    async put(drill) {
      items.set(sortKey(drill), structuredClone(drill));
    },
    async list() {
      return [...items.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, d]) => structuredClone(d));
    },
  };
}
