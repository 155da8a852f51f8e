/** The archive run, over ports: which days to archive, then batches first and manifest last. */
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { AuditTrailStore } from '../log-archiving/audit-trail-store.ts';
import { ARCHIVE_PREFIX, buildBatches, daysToArchive, manifestKey } from './archive-batches.ts';

/** How far back a run looks for days without a manifest. */
export const ARCHIVE_LOOKBACK_DAYS = 14;

export async function archiveAuditDays(trail: AuditTrailStore, archive: ArchiveStore, today: Date, now: Date): Promise<{ day: string; batches: number; records: number }[]> {
  const existing = await archive.list(`${ARCHIVE_PREFIX}/manifests/`);
  const archived = new Set(existing.map((k) => k.slice(`${ARCHIVE_PREFIX}/manifests/`.length).replace(/\.json$/, '')));
  const results: { day: string; batches: number; records: number }[] = [];
  for (const day of daysToArchive(today, ARCHIVE_LOOKBACK_DAYS, archived)) {
    const chains = [];
    for (const chainId of await trail.chainsOfDay(day)) {
      chains.push({ chainId, links: await trail.readChain(chainId), head: await trail.readHead(chainId) });
    }
    const { batches, manifest } = buildBatches(day, chains, now);
    for (const batch of batches) await archive.put(batch.key, batch.body, 'application/gzip');
    // The manifest goes last: its presence means the whole day is in the archive.
    await archive.put(manifestKey(day), new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'), 'application/json');
    results.push({ day, batches: batches.length, records: batches.reduce((n, b) => n + b.records, 0) });
  }
  return results;
}
