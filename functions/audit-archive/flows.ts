/**
 * audit-archive's flows over its ports (guide 6.1).
 *
 * The daily archive run: which days to archive, each chain verified on the way (a broken
 * chain is archived as found — it is evidence — and raised as a critical 6.1 finding through
 * the lifecycle), batches first, manifest last. The finding is raised before the manifest is
 * written: the manifest's presence means the day is done, so a run that dies in between does
 * the day again and the lifecycle turns the repeated finding into no change.
 *
 * The hourly anchors: the heads of yesterday's and today's chains (UTC arrival days) to the
 * archive, one object per anchoring.
 */
import { anchorKey, AUDIT_MANIFESTS_PREFIX, manifestDay, manifestKey } from '../../schemas/archive-layout.ts';
import type { RuleMode } from '../shared/findings/finding.ts';
import type { FindingLifecycle } from '../shared/findings/lifecycle.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { AuditTrailStore } from '../shared/audit-trail/audit-trail-store.ts';
import { checkSealedRecords, sealsAnyOf } from '../shared/audit-trail/audit-block.ts';
import { openSealsOn, verifyOneChain } from '../shared/audit-trail/audit-queries.ts';
import { checkAgainstAnchor, verifyChain, type BrokenLink, type ChainHead } from '../shared/audit-trail/hash-chain.ts';
import { utcDay, utcDayBefore } from '../shared/time.ts';
import { buildBatches, daysToArchive } from './archive-batches.ts';
import { anchoredHeadsFrom, type HeadAnchor } from '../shared/audit-trail/head-anchors.ts';
import { brokenChainFinding, chainScope } from './integrity-findings.ts';

/** How far back a run looks for days without a manifest. */
export const ARCHIVE_LOOKBACK_DAYS = 14;

export interface ArchivePorts {
  readonly trail: AuditTrailStore;
  readonly archive: ArchiveStore;
  readonly findings: FindingLifecycle;
  /** The mode of the retention rule (`audit.retention.mode`), carried by the integrity findings. */
  readonly mode: RuleMode;
}

export interface ArchivedDay {
  readonly day: string;
  readonly batches: number;
  readonly records: number;
  /** Chains whose hash chain did not verify when the day was archived. */
  readonly broken: readonly BrokenLink[];
}

/** Archives the closed days without a manifest, in (today - lookback, yesterday]; `now` stamps the manifests and the findings. */
export async function archiveAuditDays(ports: ArchivePorts, today: Date, now: Date): Promise<ArchivedDay[]> {
  const { trail, archive } = ports;
  const archived = new Set((await archive.list(`${AUDIT_MANIFESTS_PREFIX}/`)).map(manifestDay));
  const results: ArchivedDay[] = [];
  const days = daysToArchive(today, ARCHIVE_LOOKBACK_DAYS, archived);
  // What a day accepted goes into its archive: a batch still waiting for its seal is sealed first.
  if (days.length > 0) await trail.sealPending(now, { lookBackDays: ARCHIVE_LOOKBACK_DAYS });
  for (const day of days) {
    const chains = [];
    const open = await openSealsOn(trail, day);
    const broken: BrokenLink[] = [...open.unreadable];
    for (const chainId of await trail.chainsOfDay(day)) {
      const found = await verifyOneChain(trail, chainId, open.batches);
      if (found.broken) broken.push(found.broken);
      chains.push({ chainId, blocks: found.blocks, head: found.head, records: found.recordsById });
    }
    const { batches, manifest } = buildBatches(day, chains, now);
    for (const batch of batches) await archive.put(batch.key, batch.body, 'application/gzip');
    for (const link of broken) await ports.findings.raise(chainScope(link.chainId), brokenChainFinding(day, link, ports.mode), now);
    // The manifest goes last: its presence means the whole day is in the archive.
    const withIntegrity = { ...manifest, integrity: { intact: broken.length === 0, broken } };
    await archive.put(manifestKey(day), new TextEncoder().encode(JSON.stringify(withIntegrity, null, 2) + '\n'), 'application/json');
    results.push({ day, batches: batches.length, records: batches.reduce((n, b) => n + b.records, 0), broken });
  }
  return results;
}

/** Anchors the heads of yesterday's and today's chains (UTC arrival days); returns what it wrote. */
export async function anchorHeads(trail: AuditTrailStore, archive: ArchiveStore, now: Date): Promise<HeadAnchor[]> {
  const written: HeadAnchor[] = [];
  for (const day of [utcDayBefore(now, 1), utcDay(now)]) {
    const heads: ChainHead[] = [];
    for (const chainId of await trail.chainsOfDay(day)) {
      const head = await trail.readHead(chainId);
      if (head) heads.push(head);
    }
    if (heads.length === 0) continue;
    const anchor: HeadAnchor = { day, anchoredAt: now.toISOString(), heads };
    await archive.put(anchorKey(day, now), new TextEncoder().encode(`${JSON.stringify(anchor, null, 2)}\n`), 'application/json');
    written.push(anchor);
  }
  return written;
}

export interface AnchorRun {
  /** Batches the sweep found unsealed and sealed (a seal pass missed, or their holder died), of the last `ARCHIVE_LOOKBACK_DAYS` days. */
  readonly sealedBatches: number;
  readonly anchors: HeadAnchor[];
  /** Chains of yesterday and today found broken now (each a critical 6.1 finding). */
  readonly broken: readonly BrokenLink[];
}

/**
 * The hourly run: seal what crashed writers left unsealed, check yesterday's and today's
 * chains since their last anchor (a chain broken while the runtime runs is a finding within
 * the hour, not only when its day is archived), then anchor the heads. The check is
 * incremental, so an hour costs what the hour wrote: every block against its predecessor and
 * the head, the anchored block still as anchored (a chain deleted, cut or re-hashed since),
 * and the records of the blocks sealed since that anchor. An older record edited in place is
 * found by the daily archive run and by `audit verify`, which check every record.
 */
export async function sealCheckAndAnchor(ports: ArchivePorts, now: Date): Promise<AnchorRun> {
  const { trail } = ports;
  // As far back as a day may still be archived: nothing accepted stays out of its day's archive.
  const sealedBatches = await trail.sealPending(now, { lookBackDays: ARCHIVE_LOOKBACK_DAYS });
  const anchored = anchoredHeadsFrom(ports.archive);
  const broken: BrokenLink[] = [];
  for (const day of [utcDayBefore(now, 1), utcDay(now)]) {
    const anchors = new Map((await anchored(day)).map((h) => [h.chainId, h]));
    const open = await openSealsOn(trail, day);
    for (const problem of open.unreadable) {
      broken.push(problem);
      await ports.findings.raise(chainScope(problem.chainId), brokenChainFinding(day, problem, ports.mode), now);
    }
    for (const chainId of [...new Set([...(await trail.chainsOfDay(day)), ...anchors.keys()])].sort()) {
      const [blocks, head] = await Promise.all([trail.readChain(chainId), trail.readHead(chainId)]);
      const anchor = anchors.get(chainId);
      const verdict = verifyChain(chainId, blocks, head, (block) => sealsAnyOf(block, open.batches));
      let problem: BrokenLink | undefined = verdict.ok ? undefined : { chainId, kind: verdict.kind, seq: verdict.seq, message: verdict.message };
      problem ??= anchor ? checkAgainstAnchor(chainId, blocks, anchor) : undefined;
      if (!problem) {
        const recent = blocks.filter((b) => b.seq > (anchor?.seq ?? 0));
        const stored = await trail.readRecords(recent.flatMap((b) => b.record.entries.map((e) => e.eventId)));
        problem = checkSealedRecords(chainId, recent, new Map([...stored].filter(([, r]) => r.chainId === chainId).map(([id, r]) => [id, r.record] as const)));
      }
      if (!problem) continue;
      broken.push(problem);
      await ports.findings.raise(chainScope(chainId), brokenChainFinding(day, problem, ports.mode), now);
    }
  }
  const anchors = await anchorHeads(trail, ports.archive, now);
  return { sealedBatches, anchors, broken };
}
