/**
 * Waiting for the audit trail to hold the records of answered event ids: after a restart the
 * journal redelivers what a stop or crash interrupted, so the records come a while later.
 * Bounded: at the deadline it fails naming the ids still missing.
 */
import type { AuditTrailStore, StoredRecord } from '../../functions/shared/audit-trail/audit-trail-store.ts';

/**
 * Reads the trail every `pollMs` until it holds a record for every id, and returns them;
 * after `withinMs` (0: look once, no waiting) throws, naming how many and which ids are missing.
 */
export async function trailRecordsWithin(trail: Pick<AuditTrailStore, 'readRecords'>, eventIds: readonly string[], withinMs: number, pollMs = 200): Promise<Map<string, StoredRecord>> {
  // Nothing to wait for would pass on nothing: a caller that found no ids has a problem of its own.
  if (eventIds.length === 0) throw new Error('no event ids to look for in the audit trail');
  const deadline = Date.now() + withinMs;
  const found = new Map<string, StoredRecord>();
  let missing = [...new Set(eventIds)];
  for (;;) {
    if (missing.length === 0) return found;
    for (const [id, record] of await trail.readRecords(missing)) found.set(id, record);
    missing = missing.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    if (Date.now() >= deadline) {
      const shown = missing.slice(0, 20).join(', ');
      throw new Error(`${missing.length} of ${new Set(eventIds).size} event id(s) not in the audit trail within ${withinMs} ms: ${shown}${missing.length > 20 ? ', …' : ''}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
