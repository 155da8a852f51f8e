/**
 * Chain-head anchors (guide 6.1): where they lie in the archive and how `erpgov audit verify`
 * reads them back. Every hour the current heads of today's and yesterday's chains are written
 * to the archive (`anchorHeads` in functions/audit-archive/flows.ts) — S3 with Object Lock on AWS, so not even the table's
 * owner can take them back. `erpgov audit verify` checks the table against them, which
 * catches what a hash chain cannot show by itself: a whole chain deleted together with its
 * head, a tail cut together with the head, or every link re-hashed after an edit. Closed days
 * are also covered by the archive manifest's heads.
 */
import { anchorFolder, manifestKey } from '../../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../archive-store.ts';
import type { ChainHead } from './hash-chain.ts';

export interface HeadAnchor {
  readonly day: string;
  readonly anchoredAt: string;
  readonly heads: readonly ChainHead[];
}

/**
 * For `verifyTrail`: per chain of the day, the highest head any anchor or the day's manifest
 * recorded. Every anchor is read, not only the latest: a chain deleted between two anchors is
 * missing from the later one, and only the earlier one still names it.
 */
export function anchoredHeadsFrom(archive: ArchiveStore): (day: string) => Promise<ChainHead[]> {
  const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  return async (day) => {
    const highest = new Map<string, ChainHead>();
    const keep = (head: ChainHead) => {
      if ((highest.get(head.chainId)?.seq ?? 0) < head.seq) highest.set(head.chainId, head);
    };
    for (const key of await archive.list(anchorFolder(day))) {
      const body = await archive.get(key);
      if (body) for (const head of (decode(body) as HeadAnchor).heads) keep(head);
    }
    const manifest = await archive.get(manifestKey(day));
    if (manifest) for (const head of (decode(manifest) as { heads: readonly ChainHead[] }).heads) keep(head);
    return [...highest.values()];
  };
}
