/**
 * Reading the audit trail back: verification of every chain in a date range, and search
 * with keyword and field filters. Both work on an AuditTrailStore, so the CLI runs them
 * against the local table and tests against dynalite.
 */
import { utcDaysBetween } from '../time.ts';
import { checkSealedRecords, sealedEventIds, sealsAnyOf, type AuditBlock } from './audit-block.ts';
import type { AuditRecord } from './audit-record.ts';
import { recordsOf, type AuditTrailStore } from './audit-trail-store.ts';
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

const chainDayOf = (chainId: string) => chainId.split('/').at(-2) ?? 'unknown';

/** The seals open on an arrival day: their batches, and whether one of them excuses a record as still being sealed. */
/** The seals open on an arrival day: their batches, those that can no longer be read, and whether one of them excuses a record as still being sealed. */
export interface OpenSeals {
  readonly batches: ReadonlySet<string>;
  /** Open intents whose records cannot be read (`SealIntent.unreadable`), as broken links named by the intent's key: their batches can be neither sealed nor checked. */
  readonly unreadable: readonly BrokenLink[];
  /** Only a record's own batch excuses it, not any open intent that names its id (a record forged under that id, as another batch, is not excused). */
  pending(batchId: string, eventId: string): boolean;
}

/** The seals open on an arrival day (`OpenSeals`): for verify, the hourly check and the day's archive alike. */
export async function openSealsOn(store: AuditTrailStore, day: string): Promise<OpenSeals> {
  const intents = await store.openSeals(day);
  const entries = new Map(intents.map((i) => [i.batchId, new Set(i.records.map((r) => r.eventId))]));
  const unreadable = intents
    .filter((intent) => intent.unreadable !== undefined)
    .map((intent) => ({
      chainId: `SEALS#${day}/BATCH#${intent.batchId}`,
      kind: 'unreadable-intent' as const,
      seq: 0,
      message: `${intent.unreadable}: the batch accepted ${intent.createdAt} can be neither sealed nor checked; restore the item from a backup of the state table`,
    }));
  return { batches: new Set(entries.keys()), unreadable, pending: (batchId, eventId) => entries.get(batchId)?.has(eventId) ?? false };
}

/** The open seals per arrival day, read once per day however many chains of the day ask. */
function openSealsByDay(store: AuditTrailStore): (day: string) => Promise<OpenSeals> {
  const byDay = new Map<string, Promise<OpenSeals>>();
  return (day) => {
    let open = byDay.get(day);
    if (!open) byDay.set(day, (open = openSealsOn(store, day)));
    return open;
  };
}

/**
 * Verifies one chain: its blocks as a hash chain against its head (a block beyond the head
 * passes only while its batch's seal intent is open), every record its blocks seal against
 * the sealed hash, and, when given, the anchored head. The first problem, or undefined.
 */
export async function verifyOneChain(store: AuditTrailStore, chainId: string, openBatches: ReadonlySet<string>, anchor?: ChainHead): Promise<{ blocks: AuditBlock[]; head: ChainHead | undefined; records: number; recordsById: Map<string, AuditRecord>; broken?: BrokenLink }> {
  const [blocks, head] = await Promise.all([store.readChain(chainId), store.readHead(chainId)]);
  const sealed = sealedEventIds(blocks);
  const verdict = verifyChain(chainId, blocks, head, (block) => sealsAnyOf(block, openBatches));
  const stored = await store.readRecords([...sealed]);
  const recordsById = new Map([...stored].filter(([, r]) => r.chainId === chainId).map(([id, r]) => [id, r.record] as const));
  const found = { blocks, head, records: sealed.size, recordsById };
  if (!verdict.ok) return { ...found, broken: { chainId, kind: verdict.kind, seq: verdict.seq, message: verdict.message } };
  const recordProblem = checkSealedRecords(chainId, blocks, recordsById);
  if (recordProblem) return { ...found, broken: recordProblem };
  const mismatch = anchor ? checkAgainstAnchor(chainId, blocks, anchor) : undefined;
  return { ...found, ...(mismatch ? { broken: mismatch } : {}) };
}

/**
 * Recomputes every chain whose arrival day is in [from, to] (YYYY-MM-DD, inclusive): the
 * chains the table lists, plus any an anchor names (a chain deleted with its head is not
 * listed); then looks for records nobody sealed (a record put straight into the table, or
 * a block forged after the head) among the records that happened in the range.
 */
export async function verifyTrail(store: AuditTrailStore, from: string, to: string, anchoredHeads?: AnchoredHeads): Promise<VerifyReport> {
  let chains = 0;
  let records = 0;
  let anchored = 0;
  const broken: BrokenLink[] = [];
  const sealedBy = new Map<string, Set<string>>();
  const openOf = openSealsByDay(store);
  for (const day of utcDaysBetween(from, to)) {
    const anchors = new Map((anchoredHeads ? await anchoredHeads(day) : []).map((h) => [h.chainId, h]));
    const queue = [...new Set([...(await store.chainsOfDay(day)), ...anchors.keys()])].sort();
    const open = await openOf(day);
    broken.push(...open.unreadable);
    // A few chains at once: reading is I/O-bound, hashing is cheap.
    await Promise.all(
      Array.from({ length: VERIFY_CONCURRENCY }, async () => {
        for (let chainId = queue.shift(); chainId !== undefined; chainId = queue.shift()) {
          const anchor = anchors.get(chainId);
          const result = await verifyOneChain(store, chainId, open.batches, anchor);
          sealedBy.set(chainId, sealedEventIds(result.blocks));
          chains++;
          records += result.records;
          if (anchor) anchored++;
          if (result.broken) broken.push(result.broken);
        }
      }),
    );
  }
  // Records nobody sealed: each record item names its chain; it must be in one of that chain's blocks, or in an open seal.
  const reported = new Set(broken.map((b) => b.chainId));
  for (const day of utcDaysBetween(from, to)) {
    for (const stored of await store.storedRecordsOccurredOn(day)) {
      const { chainId } = stored;
      let sealed = sealedBy.get(chainId);
      if (!sealed) {
        sealed = sealedEventIds(await store.readChain(chainId));
        sealedBy.set(chainId, sealed);
      }
      if (sealed.has(stored.record.eventId) || (await openOf(chainDayOf(chainId))).pending(stored.batchId, stored.record.eventId) || reported.has(chainId)) continue;
      reported.add(chainId);
      broken.push({ chainId, kind: 'inserted', seq: (await store.readHead(chainId))?.seq ?? 0, message: `record ${stored.record.eventId} is in the table but no block of the chain seals it: it was added outside the writer` });
    }
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
    for (const record of recordsOf(await store.storedRecordsOccurredOn(day))) {
      if (matchesSearch(record, f)) found.push(record);
      if (found.length >= limit) return found;
    }
  }
  return found;
}

/**
 * Why each of these records cannot be trusted as found, if it cannot: its chain does not
 * verify, or no block of its chain seals it (and no seal of it is under way). Read per chain
 * once. For `audit search`, which shows such a record with the warning.
 */
export async function integrityWarnings(store: AuditTrailStore, eventIds: readonly string[]): Promise<Map<string, string>> {
  const warnings = new Map<string, string>();
  const stored = await store.readRecords(eventIds);
  const openOf = openSealsByDay(store);
  const chains = new Map<string, { broken?: BrokenLink; sealed: Set<string>; open: OpenSeals }>();
  for (const [eventId, { chainId, batchId }] of stored) {
    let chain = chains.get(chainId);
    if (!chain) {
      const open = await openOf(chainDayOf(chainId));
      const result = await verifyOneChain(store, chainId, open.batches);
      chain = { ...(result.broken ? { broken: result.broken } : {}), sealed: sealedEventIds(result.blocks), open };
      chains.set(chainId, chain);
    }
    if (chain.broken) warnings.set(eventId, `chain ${chainId} is broken at block ${chain.broken.seq} (${chain.broken.kind}): ${chain.broken.message}`);
    else if (!chain.sealed.has(eventId) && !chain.open.pending(batchId, eventId)) warnings.set(eventId, `no block of chain ${chainId} seals this record: it was added outside the writer`);
  }
  return warnings;
}
