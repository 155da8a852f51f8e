/**
 * The archive run, over ports: which days to archive, each chain verified on the way (a broken
 * chain is archived as found — it is evidence — and reported), batches first, manifest last.
 */
import { ARCHIVE_PREFIX } from '../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { verifyChain, type BrokenLink } from '../shared/audit-trail/hash-chain.ts';
import { buildBatches, daysToArchive, manifestKey } from './archive-batches.ts';

/** The daily archive run's schedule id in `infra/routes.ts`; its rule's name ends with it. */
export const ARCHIVE_SCHEDULE = 'archive-audit-daily';

/** How far back a run looks for days without a manifest. */
export const ARCHIVE_LOOKBACK_DAYS = 14;

export interface ArchivedDay {
  readonly day: string;
  readonly batches: number;
  readonly records: number;
  /** Chains whose hash chain did not verify when the day was archived. */
  readonly broken: readonly BrokenLink[];
}

export async function archiveAuditDays(trail: AuditTrailStore, archive: ArchiveStore, today: Date, now: Date): Promise<ArchivedDay[]> {
  const existing = await archive.list(`${ARCHIVE_PREFIX}/manifests/`);
  const archived = new Set(existing.map((k) => k.slice(`${ARCHIVE_PREFIX}/manifests/`.length).replace(/\.json$/, '')));
  const results: ArchivedDay[] = [];
  for (const day of daysToArchive(today, ARCHIVE_LOOKBACK_DAYS, archived)) {
    const chains = [];
    const broken: BrokenLink[] = [];
    for (const chainId of await trail.chainsOfDay(day)) {
      const chain = { chainId, links: await trail.readChain(chainId), head: await trail.readHead(chainId) };
      const verdict = verifyChain(chainId, chain.links, chain.head);
      if (!verdict.ok) broken.push({ chainId, kind: verdict.kind, seq: verdict.seq, message: verdict.message });
      chains.push(chain);
    }
    const { batches, manifest } = buildBatches(day, chains, now);
    for (const batch of batches) await archive.put(batch.key, batch.body, 'application/gzip');
    // The manifest goes last: its presence means the whole day is in the archive.
    const withIntegrity = { ...manifest, integrity: { intact: broken.length === 0, broken } };
    await archive.put(manifestKey(day), new TextEncoder().encode(JSON.stringify(withIntegrity, null, 2) + '\n'), 'application/json');
    results.push({ day, batches: batches.length, records: batches.reduce((n, b) => n + b.records, 0), broken });
  }
  return results;
}
