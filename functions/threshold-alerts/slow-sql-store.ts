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
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stateTable } from '../../infra/state-table.ts';
import { queryDueOnIndex, stateIndex } from '../shared/dynamo-access.ts';
import { getItem, memoryVersionedItems, putVersioned, type MemoryVersionedItems } from '../shared/versioned-items.ts';
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
  return {
    async get(module) {
      const item = await getItem(client, tableName, partition(module), SORT_KEY);
      return item ? fromItem(item) : undefined;
    },
    async save(state, dueAt) {
      const item: Record<string, unknown> = { [stateTable.partitionKey]: partition(state.module), [stateTable.sortKey]: SORT_KEY };
      for (const field of FIELDS) if (state[field] !== undefined) item[field] = state[field];
      if (dueAt) Object.assign(item, { [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: `${dueAt}#${state.module}` });
      return putVersioned(client, tableName, item, state.version);
    },
    async dueBefore(now) {
      return (await queryDueOnIndex(client, tableName, DUE_PARTITION, now)).map(fromItem);
    },
  };
}

/** The same store in memory (unit tests). */
export function memorySlowSqlStore(): SlowSqlStore & MemoryVersionedItems<ModuleSlowSql> {
  return memoryVersionedItems((state: ModuleSlowSql) => state.module, (state) => state.version);
}
