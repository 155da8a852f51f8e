/**
 * Sealed audit blocks (guide 6.1), the digest design CloudTrail uses: records are written as
 * they come, and a block seals each batch of them. A block lists, in order, the event id and
 * the hash of every record it seals, and is itself a link of a hash chain (`hash-chain.ts`):
 * it hashes the previous block's hash and its own body. So a record edited after it was
 * sealed no longer matches its block, a record deleted is missing from its block, a block
 * cut out, moved or forged breaks the chain, and a record nobody sealed is visible as such.
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from './audit-record.ts';
import { canonicalJson } from '../../../schemas/canonical-json.ts';
import type { BrokenLink, ChainLink } from './hash-chain.ts';

/** One sealed record: which event, and the hash of its record as it was written. */
export interface SealedEntry {
  readonly eventId: string;
  readonly recordHash: string;
}

/** What a block holds (the "record" of its chain link). */
export interface BlockBody {
  /** When the batch was sealed. */
  readonly sealedAt: string;
  /** The batches (seal intents) whose entries it seals, so a crashed seal can be recognised and not doubled. */
  readonly batchIds: readonly string[];
  readonly entries: readonly SealedEntry[];
}

export type AuditBlock = ChainLink<BlockBody>;

/** The hash of a record as written to a chain: its canonical JSON with the chain's id (a record cannot be moved to another chain). */
export function recordHash(chainId: string, record: AuditRecord): string {
  return createHash('sha256').update(`erpgov-audit-record\n${canonicalJson({ chainId, record })}`).digest('hex');
}

/** A block's entries in the order they were sealed, with the block's seq and position. */
export function sealedEntries(blocks: readonly AuditBlock[]): { entry: SealedEntry; block: number }[] {
  return blocks.flatMap((b) => b.record.entries.map((entry) => ({ entry, block: b.seq })));
}

/**
 * Checks each record a chain's blocks seal against the records the table holds: a missing
 * record was `deleted`, one that no longer hashes as sealed was `edited`. `records` maps
 * event ids to what the table holds now (with the chain the record item names). An event
 * sealed twice (two concurrent deliveries of the same event raced, both sealing it) counts once.
 * Returns the first problem, by block seq, or undefined.
 */
export function checkSealedRecords(chainId: string, blocks: readonly AuditBlock[], records: ReadonlyMap<string, AuditRecord>): BrokenLink | undefined {
  for (const { entry, block } of sealedEntries(blocks)) {
    const record = records.get(entry.eventId);
    if (!record) return { chainId, kind: 'deleted', seq: block, message: `record ${entry.eventId} sealed by block ${block} is missing` };
    if (recordHash(chainId, record) !== entry.recordHash) {
      return { chainId, kind: 'edited', seq: block, message: `record ${entry.eventId} sealed by block ${block} does not match its sealed hash: its content was changed after it was written` };
    }
  }
  return undefined;
}

/** True when the block seals entries of one of these batches (an open intent: a block beyond the head is then a seal in progress). */
export const sealsAnyOf = (block: AuditBlock, batches: ReadonlySet<string>): boolean => block.record.batchIds.some((b) => batches.has(b));

/** Distinct sealed event ids of a chain (an event sealed twice by racing deliveries counts once). */
export function sealedEventIds(blocks: readonly AuditBlock[]): Set<string> {
  return new Set(sealedEntries(blocks).map((e) => e.entry.eventId));
}
