/**
 * Turns a day's audit chains into archive batches (guide 6.1): compressed JSON Lines, one
 * file per source and chain under a Hive-style `date=` partition (Athena projects that
 * partition; `source` is a column of every line, so a flat folder per day keeps the table
 * simple and every query valid), and a manifest holding each batch's SHA-256 and the chain heads, so an
 * archived day can be verified without the hot table. Pure apart from gzip.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { auditBatchKey } from '../../schemas/archive-layout.ts';
import { sealedEntries, type AuditBlock, type SealedEntry } from '../shared/audit-trail/audit-block.ts';
import type { AuditRecord } from '../shared/audit-trail/audit-record.ts';
import type { ChainHead } from '../shared/audit-trail/hash-chain.ts';
import { utcDayBefore } from '../shared/time.ts';

export interface ArchiveBatch {
  readonly key: string;
  readonly source: string;
  readonly chainId: string;
  readonly records: number;
  readonly sha256: string;
  readonly body: Uint8Array;
}

export interface ArchiveManifest {
  readonly day: string;
  readonly archivedAt: string;
  readonly batches: readonly { key: string; source: string; chainId: string; records: number; sha256: string }[];
  readonly heads: readonly ChainHead[];
}


/**
 * One line per record, flattened so a JSON SerDe table can query the fields directly: the
 * block that seals it (seq, previous hash, hash), the record's own sealed hash, the record.
 */
export function archiveLine(block: AuditBlock, entry: SealedEntry, record: AuditRecord): string {
  return JSON.stringify({ chain_id: block.chainId, seq: block.seq, prev_hash: block.prevHash, hash: block.hash, record_hash: entry.recordHash, ...record });
}

/** A chain as the archive takes it: its sealed blocks, its head, and the records the table holds by event id. */
export interface ChainToArchive {
  readonly chainId: string;
  readonly blocks: readonly AuditBlock[];
  readonly head: ChainHead | undefined;
  readonly records: ReadonlyMap<string, AuditRecord>;
}

/** The lines of a chain in sealed order; a record sealed twice (racing deliveries) once; a missing record is left out (the manifest's integrity says so). */
function chainLines(chain: ChainToArchive): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  const byBlock = new Map(chain.blocks.map((b) => [b.seq, b]));
  for (const { entry, block } of sealedEntries(chain.blocks)) {
    const record = chain.records.get(entry.eventId);
    if (!record || seen.has(entry.eventId)) continue;
    seen.add(entry.eventId);
    lines.push(archiveLine(byBlock.get(block) as AuditBlock, entry, record));
  }
  return lines;
}

export function buildBatches(day: string, chains: readonly ChainToArchive[], archivedAt: Date): { batches: ArchiveBatch[]; manifest: ArchiveManifest } {
  const batches: ArchiveBatch[] = [];
  for (const chain of chains) {
    const lines = chainLines(chain);
    if (lines.length === 0) continue;
    const source = chain.chainId.split('/')[0] as string;
    const shard = chain.chainId.split('/').at(-1);
    const body = gzipSync(lines.join('\n') + '\n', { level: 6 });
    batches.push({
      key: auditBatchKey(day, source, shard),
      source,
      chainId: chain.chainId,
      records: lines.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      body,
    });
  }
  const manifest: ArchiveManifest = {
    day,
    archivedAt: archivedAt.toISOString(),
    batches: batches.map(({ body: _body, ...rest }) => rest),
    heads: chains.flatMap((c) => (c.head ? [c.head] : [])),
  };
  return { batches, manifest };
}

/** Days in (today - lookback, yesterday] that have no manifest yet: catch-up after downtime. */
export function daysToArchive(today: Date, lookbackDays: number, archivedDays: ReadonlySet<string>): string[] {
  const days: string[] = [];
  for (let back = lookbackDays; back >= 1; back--) {
    const day = utcDayBefore(today, back);
    if (!archivedDays.has(day)) days.push(day);
  }
  return days;
}

export function verifyBatchDigest(body: Uint8Array, expectedSha256: string): boolean {
  return createHash('sha256').update(body).digest('hex') === expectedSha256;
}
