/**
 * The high-risk operations of guide 6.2 and their verifications, one partition per operation
 * in the state table, so a single Query returns an operation with all its verifications.
 * Single-item conditional writes only (dynalite has no transactions), each safe to repeat, so
 * a redelivery resumes where a crash stopped.
 *
 *   HIGHRISK#<operationKey> / OPERATION          the operation and its status; on the state
 *        table's index (partition HIGHRISK#OPEN, sort key <decideAfter>#<operationKey>) while it
 *        is still open, so the sweep reads exactly the overdue ones (`queryDueOnIndex`);
 *        `raisedFindingIds` (a string set): findings already raised for it
 *   HIGHRISK#<operationKey> / VERIFICATION#<eventId>   one verification (stored even before its operation)
 * Both carry the table's TTL attribute: state outlives every decision by far (the audit trail keeps the evidence).
 */
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll, queryDueOnIndex, stateIndex, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
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

const OPEN_INDEX = 'HIGHRISK#OPEN';
const operationPk = (key: string) => `HIGHRISK#${key}`;
const openSortKey = (operation: HighRiskOperation) => `${operation.decideAfter}#${operation.operationKey}`;

export function dynamoHighRiskStore(client: DynamoDBDocumentClient, tableName: string): HighRiskStore {
  return {
    async putOperation(operation, expiresAt) {
      const { raisedFindingIds: _none, ...fields } = operation;
      return conditionally(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: operationPk(operation.operationKey),
              sk: 'OPERATION',
              ...fields,
              [stateIndex.partitionKey]: OPEN_INDEX,
              [stateIndex.sortKey]: openSortKey(operation),
              [TTL_ATTRIBUTE]: expiresAt,
            },
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
            Item: { pk: operationPk(verification.operationKey), sk: `VERIFICATION#${verification.eventId}`, ...verification, [TTL_ATTRIBUTE]: expiresAt },
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
      // `<decideAfter ISO>#key` sorts before the bare `now` ISO exactly when decideAfter < now.
      return (await queryDueOnIndex(client, tableName, OPEN_INDEX, now)).map((item) => String(item.operationKey));
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
      if (close) clauses.push('REMOVE #ipk, #isk');
      if (clauses.length === 0) return;
      await conditionally(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: operationPk(operationKey), sk: 'OPERATION' },
            UpdateExpression: clauses.join(' '),
            // Never create a stray item for an operation that expired meanwhile.
            ConditionExpression: 'attribute_exists(pk)',
            ...(close ? { ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey, '#isk': stateIndex.sortKey } } : {}),
            ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
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
    detailType: item.detailType as HighRiskOperation['detailType'],
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
    ...(typeof item.clockSkew === 'object' && item.clockSkew !== null ? { clockSkew: item.clockSkew as NonNullable<Verification['clockSkew']> } : {}),
  };
}

/** The same store in memory, with the DynamoDB adapter's contract, for the unit tests of the flows (and the benches). */
export function memoryHighRiskStore(): HighRiskStore & { operation(key: string): (HighRiskOperation & { open: boolean }) | undefined } {
  const operations = new Map<string, HighRiskOperation & { open: boolean }>();
  const verifications = new Map<string, Map<string, Verification>>();
  return {
    operation: (key) => operations.get(key),
    async putOperation(operation) {
      if (operations.has(operation.operationKey)) return false;
      operations.set(operation.operationKey, { ...operation, raisedFindingIds: [], open: true });
      return true;
    },
    async putVerification(v) {
      const forKey = verifications.get(v.operationKey) ?? new Map<string, Verification>();
      if (!forKey.has(v.eventId)) forKey.set(v.eventId, v);
      verifications.set(v.operationKey, forKey);
    },
    async read(key) {
      const stored = operations.get(key);
      const operation = stored ? (({ open: _open, ...rest }) => rest)(stored) : undefined;
      return { operation, verifications: [...(verifications.get(key)?.values() ?? [])] };
    },
    async overdueOperationKeys(now) {
      return [...operations.values()]
        .filter((o) => o.open && openSortKey(o) < now.toISOString())
        .sort((a, b) => (openSortKey(a) < openSortKey(b) ? -1 : 1))
        .map((o) => o.operationKey);
    },
    async transition(key, from, to) {
      const stored = operations.get(key);
      if (stored?.status !== from) return false;
      operations.set(key, { ...stored, status: to });
      return true;
    },
    async markRaised(key, ids, close) {
      const stored = operations.get(key);
      if (!stored) return;
      operations.set(key, { ...stored, raisedFindingIds: [...new Set([...stored.raisedFindingIds, ...ids])].sort(), open: stored.open && !close });
    },
  };
}
