/**
 * Which ERP operation a fact reports, independent of the EventBridge event id: an ERP that
 * resends an operation (a retry after a timeout, a replay of its outbox) gets a new event id
 * each time, but the operation is the same and must be counted once (issue 15, class 2).
 *
 * The ERP's own identifiers decide where the contract has them: `Operation Audited.operationId`
 * (the ERP's id of the log entry) and `Login.sessionId`. Facts without one are the same
 * operation when the same source says the same thing about the same moment: same detail-type,
 * same event time and the same detail (canonical JSON, key order ignored: `canonical-json.ts`). Pure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** Detail fields that carry the ERP's own id of the operation, per detail-type. */
const ERP_OPERATION_IDS: Readonly<Record<string, readonly string[]>> = {
  'Operation Audited': ['operationId'],
  Login: ['sessionId'],
};

/** The key of the ERP operation a fact reports: equal keys are resends of one operation. */
export function erpOperationKey(source: string, detailType: string, time: string, detail: Readonly<Record<string, unknown>>): string {
  for (const field of ERP_OPERATION_IDS[detailType] ?? []) {
    const id = detail[field];
    if (typeof id === 'string' && id !== '') return `${source}|${detailType}|${field}=${id}`;
  }
  const digest = createHash('sha256').update(canonicalJson(detail)).digest('hex');
  return `${source}|${detailType}|${time}|${digest}`;
}

/**
 * One item per ERP operation: of several deliveries with the same key, the one with the
 * earliest event id is kept (deterministic whatever order they arrived in).
 */
export function oncePerOperation<T>(items: readonly T[], keyOf: (item: T) => string, eventIdOf: (item: T) => string): T[] {
  const kept = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const held = kept.get(key);
    if (held === undefined || eventIdOf(item) < eventIdOf(held)) kept.set(key, item);
  }
  const keep = new Set(kept.values());
  return items.filter((item) => keep.has(item));
}
