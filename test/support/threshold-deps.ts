/**
 * threshold-alerts' flow dependencies over the in-memory twins, for the unit tests that drive
 * its flows: every port has a default, a test overrides the ones it watches or shares.
 */
import { memoryControlFeed } from '../../functions/shared/evidence/control-feed.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import type { ThresholdDeps } from '../../functions/threshold-alerts/flows.ts';
import { memorySlowSqlStore } from '../../functions/threshold-alerts/slow-sql-store.ts';
import { memoryThresholdStore } from '../../functions/threshold-alerts/threshold-state.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';

export function memoryThresholdDeps(overrides: Partial<ThresholdDeps> = {}): ThresholdDeps {
  return { store: memoryThresholdStore(), slowSql: memorySlowSqlStore(), findings: memoryFindingsStore(), feed: memoryControlFeed(), publisher: { publish: async () => undefined }, policy: defaultPolicy, ...overrides };
}
