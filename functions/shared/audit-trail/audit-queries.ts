/**
 * Reading the audit trail back: verification of every chain in a date range, and search
 * with keyword and field filters. Both work on an AuditTrailStore, so the CLI runs them
 * against the local table and tests against dynalite.
 */
import { utcDaysBetween } from '../time.ts';
import type { AuditRecord } from './audit-record.ts';
import type { AuditTrailStore } from './audit-trail-store.ts';
import { checkAgainstAnchor, verifyChain, type BrokenLink, type ChainHead } from './hash-chain.ts';

const VERIFY_CONCURRENCY = 4;

export interface VerifyReport {
  readonly chains: number;
  readonly records: number;
  /** Chains also checked against a head anchored outside the table. */
  readonly anchored: number;
  readonly broken: readonly BrokenLink[];
}

/** Heads recorded outside the table for an arrival day (hourly anchors, archive manifest); the highest seq per chain. */
export type AnchoredHeads = (day: string) => Promise<readonly ChainHead[]>;

/**
 * Recomputes every chain whose arrival day is in [from, to] (YYYY-MM-DD, inclusive): the
 * chains the table lists, plus any an anchor names (a chain deleted with its head is not listed).
 */
export async function verifyTrail(store: AuditTrailStore, from: string, to: string, anchoredHeads?: AnchoredHeads): Promise<VerifyReport> {
  let chains = 0;
  let records = 0;
  let anchored = 0;
  const broken: BrokenLink[] = [];
  for (const day of utcDaysBetween(from, to)) {
    const anchors = new Map((anchoredHeads ? await anchoredHeads(day) : []).map((h) => [h.chainId, h]));
    const queue = [...new Set([...(await store.chainsOfDay(day)), ...anchors.keys()])].sort();
    // A few chains at once: reading is I/O-bound, hashing is cheap.
    await Promise.all(
      Array.from({ length: VERIFY_CONCURRENCY }, async () => {
        for (let chainId = queue.shift(); chainId !== undefined; chainId = queue.shift()) {
          const [links, head] = await Promise.all([store.readChain(chainId), store.readHead(chainId)]);
          const verdict = verifyChain(chainId, links, head);
          const anchor = anchors.get(chainId);
          chains++;
          records += links.length;
          if (anchor) anchored++;
          if (!verdict.ok) broken.push({ chainId: verdict.chainId, kind: verdict.kind, seq: verdict.seq, message: verdict.message });
          else if (anchor) {
            const mismatch = checkAgainstAnchor(chainId, links, anchor);
            if (mismatch) broken.push(mismatch);
          }
        }
      }),
    );
  }
  broken.sort((a, b) => (a.chainId < b.chainId ? -1 : 1));
  return { chains, records, anchored, broken };
}

export interface SearchFilters {
  readonly from: string;
  readonly to: string;
  readonly keyword?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly module?: string;
  readonly source?: string;
  readonly limit?: number;
}

/** True when the record passes every filter given; the keyword searches the whole original event. */
export function matchesSearch(record: AuditRecord, f: SearchFilters): boolean {
  if (record.occurredAt < f.from || record.occurredAt.slice(0, 10) > f.to.slice(0, 10) || (f.to.length > 10 && record.occurredAt > f.to)) return false;
  const eq = (value: string | null, wanted?: string) => wanted === undefined || (value ?? '').toLowerCase() === wanted.toLowerCase();
  if (!eq(record.actor, f.actor) || !eq(record.action, f.action) || !eq(record.module, f.module) || !eq(record.source, f.source)) return false;
  if (f.keyword && !record.originalEvent.toLowerCase().includes(f.keyword.toLowerCase())) return false;
  return true;
}

/** Records matching the filters, oldest first, at most `limit` (default 1000). */
export async function searchTrail(store: AuditTrailStore, f: SearchFilters): Promise<AuditRecord[]> {
  const found: AuditRecord[] = [];
  const limit = f.limit ?? 1000;
  for (const day of utcDaysBetween(f.from.slice(0, 10), f.to.slice(0, 10))) {
    for (const record of await store.recordsOccurredOn(day)) {
      if (matchesSearch(record, f)) found.push(record);
      if (found.length >= limit) return found;
    }
  }
  return found;
}
