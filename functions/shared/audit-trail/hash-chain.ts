/**
 * Tamper evidence for the audit trail (guide 6.1/6.2): a hash chain of links. The trail's
 * links are its sealed blocks (`audit-block.ts`), one chain per source, arrival day and shard
 * (writers for different sources and days never contend, and a day's chain is closed once the
 * day is over). Each link hashes the previous link's hash and its content's canonical JSON;
 * the chain head (last seq and hash) is stored apart. `verifyChain` recomputes everything and
 * names the first broken link. Pure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../schemas/canonical-json.ts';

export interface ChainLink<R> {
  readonly chainId: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly record: R;
}

export interface ChainHead {
  readonly chainId: string;
  readonly seq: number;
  readonly hash: string;
}

/** What broke; `unreadable-intent`: an accepted batch's seal intent can no longer be read, so its records can be neither sealed nor checked. */
export type TamperKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'head-mismatch' | 'chain-deleted' | 'rewritten' | 'unreadable-intent';

export interface BrokenLink {
  readonly chainId: string;
  readonly kind: TamperKind;
  /** Position (1-based seq) where the chain first fails. */
  readonly seq: number;
  readonly message: string;
}

export type ChainVerdict = { readonly ok: true; readonly chainId: string; readonly links: number } | ({ readonly ok: false } & BrokenLink);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash a chain starts from: derived from its id, so a chain cannot be moved under another id. */
export function genesisHash(chainId: string): string {
  return sha256(`erpgov-audit-chain\n${chainId}`);
}

export function linkHash(chainId: string, seq: number, prevHash: string, record: unknown): string {
  return sha256(`${prevHash}\n${canonicalJson({ chainId, seq, record })}`);
}

/** The link that follows `head` (or starts the chain when there is no head yet). */
export function nextLink<R>(chainId: string, head: ChainHead | undefined, record: R): ChainLink<R> {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? genesisHash(chainId);
  return { chainId, seq, prevHash, hash: linkHash(chainId, seq, prevHash, record), record };
}

/**
 * Checks links in storage order (by seq key) against each other and against the head.
 * `claimed` says whether a link one beyond the head belongs to a write still in progress.
 * Returns the first problem found, classified so an auditor knows what kind of tampering
 * to look for.
 */
export function verifyChain<R>(chainId: string, links: readonly ChainLink<R>[], head: ChainHead | undefined, claimed: (link: ChainLink<R>) => boolean = () => false): ChainVerdict {
  const broken = (kind: TamperKind, seq: number, message: string): ChainVerdict => ({ ok: false, chainId, kind, seq, message });
  const hashes = new Set(links.map((l) => l.hash));
  let prevHash = genesisHash(chainId);
  for (const [i, link] of links.entries()) {
    const position = i + 1;
    if (link.chainId !== chainId) return broken('inserted', position, `link at position ${position} belongs to chain ${link.chainId}`);
    if (link.seq !== position) {
      const belongsLater = links.some((other, j) => j > i && other.seq === position);
      if (link.seq > position && belongsLater) return broken('reordered', position, `link at position ${position} claims seq ${link.seq}; seq ${position} comes later`);
      if (link.seq > position) return broken('deleted', position, `link ${position} is missing: the chain jumps to seq ${link.seq}`);
      if (links.some((other, j) => j !== i && other.seq === link.seq)) return broken('inserted', position, `seq ${link.seq} appears twice`);
      return broken('reordered', position, `link at position ${position} claims seq ${link.seq}`);
    }
    if (linkHash(chainId, link.seq, link.prevHash, link.record) !== link.hash) {
      return broken('edited', position, `link ${position} does not match its hash: its content was changed after it was written`);
    }
    if (link.prevHash !== prevHash) {
      const kind: TamperKind = hashes.has(link.prevHash) ? 'reordered' : 'inserted';
      return broken(kind, position, `link ${position} does not follow link ${position - 1} (its previous-hash points ${kind === 'reordered' ? 'to another link of this chain' : 'nowhere in this chain'})`);
    }
    prevHash = link.hash;
  }
  if (!head) {
    return links.length === 0 ? { ok: true, chainId, links: 0 } : broken('head-mismatch', links.length, 'the chain has links but no stored head');
  }
  if (head.seq > links.length) return broken('truncated', links.length + 1, `the head says ${head.seq} links, only ${links.length} remain: the tail was deleted`);
  if (head.seq < links.length) {
    // The head may lag by one link after a crash between the link and the head write, but only
    // while the writer's claim on that link is still open (`claimed`: its seal intent exists
    // and is finished by the next batch or the sweep); an unclaimed link after the head is
    // forged, however well hashed.
    const last = links[links.length - 1] as ChainLink<R>;
    if (head.seq === links.length - 1 && links[head.seq - 1]?.hash === head.hash && claimed(last)) return { ok: true, chainId, links: links.length };
    return broken('inserted', head.seq + 1, `links after the head's seq ${head.seq} were added outside the writer`);
  }
  if (links.length > 0 && links[links.length - 1]?.hash !== head.hash) return broken('head-mismatch', links.length, "the last link's hash differs from the stored head");
  return { ok: true, chainId, links: links.length };
}

/**
 * Checks an internally sound chain against a head anchored outside the table earlier (the
 * hourly anchors, the archive manifest). Catches what the chain cannot show by itself: the
 * whole chain deleted together with its head, its tail cut together with the head, or every
 * link re-hashed after an edit.
 */
export function checkAgainstAnchor<R>(chainId: string, links: readonly ChainLink<R>[], anchor: ChainHead): BrokenLink | undefined {
  if (links.length === 0) return { chainId, kind: 'chain-deleted', seq: 1, message: `the chain is gone, but an anchor taken earlier saw ${anchor.seq} link(s)` };
  if (links.length < anchor.seq) return { chainId, kind: 'truncated', seq: links.length + 1, message: `an anchor taken earlier saw ${anchor.seq} links, only ${links.length} remain: the tail was deleted with its head` };
  if (links[anchor.seq - 1]?.hash !== anchor.hash) {
    return { chainId, kind: 'rewritten', seq: anchor.seq, message: `link ${anchor.seq} no longer has the hash an anchor recorded: the chain was re-hashed after it was anchored` };
  }
  return undefined;
}
