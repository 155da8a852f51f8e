/**
 * Slow-SQL state, one item per ERP module: the current window's slow executions per
 * statement fingerprint (slow-sql.ts) and the open hot-spot episode, if any.
 *
 *   THRESHOLD-SQL#<module> / MODULE
 *        windowStart, executions, statements { <key>: StatementTally }, otherExecutions,
 *        recentEventIds, episodeStartedAt?, version (optimistic writes);
 *        gsi1pk THRESHOLD-SQL-DUE, gsi1sk "<due ISO>#<module>" while an episode is open: the
 *        sweep ends the episode of a module that went quiet. One index partition, not
 *        sharded: ERP modules are tens, and only those with an open hot spot are on it, so the
 *        minute sweep costs one Query.
 *
 * Cost: one GetItem and one PutItem per counted slow execution (Slow Query events are rare
 * next to metric samples: only executions the APM already judged slow).
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { conditionally, queryDueOnIndex, stateIndex } from '../shared/dynamo-access.ts';
import type { ModuleSlowSql } from './slow-sql.ts';

export interface SlowSqlStore {
  get(module: string): Promise<ModuleSlowSql | undefined>;
  /** Writes if the stored version is still `state.version - 1`; `dueAt` undefined drops the module from the sweep's index. */
  save(state: ModuleSlowSql, dueAt: string | undefined): Promise<boolean>;
  /** Modules whose due time passed before `now`. */
  dueBefore(now: Date): Promise<ModuleSlowSql[]>;
}

const partition = (module: string) => `THRESHOLD-SQL#${module}`;
const SORT_KEY = 'MODULE';
const DUE_PARTITION = 'THRESHOLD-SQL-DUE';
const FIELDS = ['module', 'version', 'windowStart', 'executions', 'statements', 'otherExecutions', 'recentEventIds', 'episodeStartedAt'] as const;

function fromItem(item: Record<string, unknown>): ModuleSlowSql {
  return {
    module: String(item.module),
    version: Number(item.version),
    windowStart: String(item.windowStart),
    executions: Number(item.executions ?? 0),
    statements: (item.statements as ModuleSlowSql['statements'] | undefined) ?? {},
    otherExecutions: Number(item.otherExecutions ?? 0),
    recentEventIds: (item.recentEventIds as string[] | undefined) ?? [],
    ...(typeof item.episodeStartedAt === 'string' ? { episodeStartedAt: item.episodeStartedAt } : {}),
  };
}

export function dynamoSlowSqlStore(client: DynamoDBDocumentClient, tableName: string): SlowSqlStore {
  const { partitionKey: pk, sortKey: sk } = stateTable;
  return {
    async get(module) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { [pk]: partition(module), [sk]: SORT_KEY }, ConsistentRead: true }));
      return out.Item ? fromItem(out.Item) : undefined;
    },
    async save(state, dueAt) {
      const item: Record<string, unknown> = { [pk]: partition(state.module), [sk]: SORT_KEY };
      for (const field of FIELDS) if (state[field] !== undefined) item[field] = state[field];
      if (dueAt) Object.assign(item, { [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: `${dueAt}#${state.module}` });
      return conditionally(() =>
        client.send(new PutCommand({
          TableName: tableName,
          Item: item,
          ...(state.version === 1
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': pk } }
            : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': state.version - 1 } }),
        })),
      );
    },
    async dueBefore(now) {
      return (await queryDueOnIndex(client, tableName, DUE_PARTITION, now)).map(fromItem);
    },
  };
}

/** The same store in memory (unit tests). */
export function memorySlowSqlStore(): SlowSqlStore & { readonly items: Map<string, { state: ModuleSlowSql; dueAt?: string }>; writes: number } {
  const items = new Map<string, { state: ModuleSlowSql; dueAt?: string }>();
  const store = {
    items,
    writes: 0,
    async get(module: string) {
      const found = items.get(module);
      return found ? structuredClone(found.state) : undefined;
    },
    async save(state: ModuleSlowSql, dueAt: string | undefined) {
      if ((items.get(state.module)?.state.version ?? 0) !== state.version - 1) return false;
      items.set(state.module, { state: structuredClone(state), ...(dueAt ? { dueAt } : {}) });
      store.writes++;
      return true;
    },
    async dueBefore(now: Date) {
      return [...items.values()].filter((i) => i.dueAt !== undefined && i.dueAt < now.toISOString()).map((i) => structuredClone(i.state));
    },
  };
  return store;
}
