/**
 * audit-analysis's items in the state table. Single-item conditional writes only (dynalite
 * has no transactions), each safe to repeat, so a redelivery resumes where a crash stopped.
 *
 *   HIGHRISK#<operationKey> / OPERATION          the high-risk operation and its status;
 *        gsi1pk HIGHRISK#OPEN, gsi1sk <decideAfter>#<operationKey> while it is still open,
 *        so the sweep reads exactly the overdue ones (gsi1sk < now)
 *   HIGHRISK#<operationKey> / VERIFICATION#<eventId>   one verification (stored even before its operation)
 *   BEHAVIOUR#CURSOR / HOURLY                    end of the last hour the behaviour analysis covered
 *   BEHAVIOUR#HOURS  / <hour start, ISO>         one closed hour's baseline counts, gzip JSON (TTL: baselineDays + 2 days)
 *
 * One partition per operation: a single Query returns the operation with all its verifications.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, UpdateCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll } from '../shared/dynamo-access.ts';
import type { Baseline } from './behaviour-baseline.ts';
import type { HighRiskOperation, OperationStatus, Verification } from './high-risk.ts';

export interface HighRiskStore {
  /** Stores the operation unless its key is already stored (a duplicate); true when this call stored it. */
  putOperation(operation: HighRiskOperation, expiresAt: number): Promise<boolean>;
  /** Idempotent on the verification's event id. */
  putVerification(verification: Verification, expiresAt: number): Promise<void>;
  read(operationKey: string): Promise<{ operation: HighRiskOperation | undefined; verifications: Verification[] }>;
  /** Keys of open operations whose `decideAfter` is before `now`. */
  overdueOperationKeys(now: Date): Promise<string[]>;
  /** Moves the status from `from` to `to`; false when another delivery moved it first. */
  transition(operationKey: string, from: OperationStatus, to: OperationStatus): Promise<boolean>;
  /** Records findings as raised and, with `close`, takes the operation off the sweep's index. */
  markRaised(operationKey: string, findingIds: readonly string[], close: boolean): Promise<void>;
}

export interface BehaviourCursor {
  /** End (exclusive) of the last hour analysed, if any run finished. */
  analysedUntil(): Promise<Date | undefined>;
  /** Moves the cursor forward to `until`; never backwards. */
  advance(until: Date): Promise<void>;
}

export interface HourlyBaselineStore {
  /** Stored counts of the hours starting in [from, to), by hour start (ISO). */
  hoursBetween(from: Date, to: Date): Promise<Map<string, Baseline>>;
  /** Stores a closed hour's counts (idempotent: the same hour always folds to the same counts). */
  putHour(hourStart: Date, counts: Baseline, expiresAt: number): Promise<void>;
}

const OPEN_INDEX = 'HIGHRISK#OPEN';
const operationPk = (key: string) => `HIGHRISK#${key}`;



export function dynamoHighRiskStore(client: DynamoDBDocumentClient, tableName: string): HighRiskStore {
  return {
    async putOperation(operation, expiresAt) {
      const { raisedFindingIds: _none, ...fields } = operation;
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: operationPk(operation.operationKey), sk: 'OPERATION', ...fields, gsi1pk: OPEN_INDEX, gsi1sk: `${operation.decideAfter}#${operation.operationKey}`, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async putVerification(verification, expiresAt) {
      await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: operationPk(verification.operationKey), sk: `VERIFICATION#${verification.eventId}`, ...verification, expiresAt },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async read(operationKey) {
      let operation: HighRiskOperation | undefined;
      const verifications: Verification[] = [];
      const items = await queryAll(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': operationPk(operationKey) }, ConsistentRead: true });
      for (const item of items) {
        if (item.sk === 'OPERATION') operation = toOperation(item);
        else if (String(item.sk).startsWith('VERIFICATION#')) verifications.push(toVerification(item));
      }
      return { operation, verifications };
    },

    async overdueOperationKeys(now) {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        // `<decideAfter ISO>#key` sorts before the bare `now` ISO exactly when decideAfter < now.
        KeyConditionExpression: 'gsi1pk = :open AND gsi1sk < :now',
        ExpressionAttributeValues: { ':open': OPEN_INDEX, ':now': now.toISOString() },
      });
      return items.map((item) => String(item.operationKey));
    },

    async transition(operationKey, from, to) {
      return conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: operationPk(operationKey), sk: 'OPERATION' },
            UpdateExpression: 'SET #status = :to',
            ConditionExpression: '#status = :from',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':from': from, ':to': to },
          }),
        ),
      );
    },

    async markRaised(operationKey, findingIds, close) {
      const clauses: string[] = [];
      const values: Record<string, unknown> = {};
      if (findingIds.length > 0) {
        clauses.push('ADD raisedFindingIds :ids');
        values[':ids'] = new Set(findingIds);
      }
      if (close) clauses.push('REMOVE gsi1pk, gsi1sk');
      if (clauses.length === 0) return;
      await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: operationPk(operationKey), sk: 'OPERATION' },
            UpdateExpression: clauses.join(' '),
            // Never create a stray item for an operation that expired meanwhile.
            ConditionExpression: 'attribute_exists(pk)',
            ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          }),
        ),
      );
    },
  };
}

export function dynamoBehaviourCursor(client: DynamoDBDocumentClient, tableName: string): BehaviourCursor {
  const key = { pk: 'BEHAVIOUR#CURSOR', sk: 'HOURLY' };
  return {
    async analysedUntil() {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return typeof out.Item?.analysedUntil === 'string' ? new Date(out.Item.analysedUntil) : undefined;
    },
    async advance(until) {
      await conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key, analysedUntil: until.toISOString() },
            ConditionExpression: 'attribute_not_exists(pk) OR analysedUntil < :until',
            ExpressionAttributeValues: { ':until': until.toISOString() },
          }),
        ),
      );
    },
  };
}

function toOperation(item: Record<string, unknown>): HighRiskOperation {
  const raised = item.raisedFindingIds;
  return {
    operationKey: String(item.operationKey),
    eventId: String(item.eventId),
    source: String(item.source),
    detailType: String(item.detailType),
    kind: item.kind as HighRiskOperation['kind'],
    actor: String(item.actor),
    description: String(item.description),
    occurredAt: String(item.occurredAt),
    receivedAt: String(item.receivedAt),
    deadline: String(item.deadline),
    decideAfter: String(item.decideAfter),
    status: item.status as OperationStatus,
    // A string set comes back as a Set; sorted so reads are deterministic.
    raisedFindingIds: raised instanceof Set ? [...(raised as Set<string>)].sort() : [],
  };
}

function toVerification(item: Record<string, unknown>): Verification {
  return {
    operationKey: String(item.operationKey),
    eventId: String(item.eventId),
    verifier: String(item.verifier),
    occurredAt: String(item.occurredAt),
    inline: item.inline === true,
  };
}

const HOURS_PK = 'BEHAVIOUR#HOURS';
/** An hour too busy to fit one item even compressed is not stored; it is recounted from the trail when needed. */
const MAX_HOUR_BYTES = 350_000;

export function dynamoHourlyBaselineStore(client: DynamoDBDocumentClient, tableName: string): HourlyBaselineStore {
  return {
    async hoursBetween(from, to) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': HOURS_PK, ':from': from.toISOString(), ':to': new Date(to.getTime() - 1).toISOString() },
      });
      return new Map(items.map((i) => [String(i.sk), JSON.parse(gunzipSync(i.counts as Uint8Array).toString('utf8')) as Baseline]));
    },
    async putHour(hourStart, counts, expiresAt) {
      const body = gzipSync(JSON.stringify(counts));
      if (body.byteLength > MAX_HOUR_BYTES) return;
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: HOURS_PK, sk: hourStart.toISOString(), counts: new Uint8Array(body), expiresAt } }));
    },
  };
}
