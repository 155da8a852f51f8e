import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../schemas/canonical-json.ts';
import { genesisHash, nextLink, verifyChain, type ChainHead, type ChainLink } from '../../functions/shared/audit-trail/hash-chain.ts';

type Rec = { eventId: string; action: string };
const chainId = 'erp.sap#2026-11-29';

function build(n: number): { links: ChainLink<Rec>[]; head: ChainHead } {
  const links: ChainLink<Rec>[] = [];
  let head: ChainHead | undefined;
  for (let i = 1; i <= n; i++) {
    const link = nextLink(chainId, head, { eventId: `e${i}`, action: i % 2 ? 'delete' : 'read' });
    links.push(link);
    head = { chainId, seq: link.seq, hash: link.hash };
  }
  return { links, head: head as ChainHead };
}

describe('hash chain', () => {
  it('canonical JSON ignores key order and undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"e":1,"f":2}]},"b":1}');
  });

  it('an untouched chain verifies, and an empty one too', () => {
    const { links, head } = build(5);
    expect(verifyChain(chainId, links, head)).toEqual({ ok: true, chainId, links: 5 });
    expect(verifyChain(chainId, [], undefined)).toMatchObject({ ok: true, links: 0 });
    expect(links[0]?.prevHash).toBe(genesisHash(chainId));
  });

  it('detects an edited record', () => {
    const { links, head } = build(5);
    const tampered = links.map((l) => (l.seq === 3 ? { ...l, record: { ...l.record, action: 'read' } } : l));
    expect(verifyChain(chainId, tampered, head)).toMatchObject({ ok: false, kind: 'edited', seq: 3 });
  });

  it('detects a deleted record in the middle and a truncated tail', () => {
    const { links, head } = build(5);
    expect(verifyChain(chainId, links.filter((l) => l.seq !== 2), head)).toMatchObject({ ok: false, kind: 'deleted', seq: 2 });
    expect(verifyChain(chainId, links.slice(0, 4), head)).toMatchObject({ ok: false, kind: 'truncated', seq: 5 });
  });

  it('detects an inserted record, even one whose own hash is consistent', () => {
    const { links, head } = build(4);
    const forged = nextLink(chainId, { chainId, seq: 1, hash: 'f'.repeat(64) }, { eventId: 'evil', action: 'delete' });
    const withForgery = [links[0], forged, ...links.slice(1).map((l) => ({ ...l, seq: l.seq + 1 }))] as ChainLink<Rec>[];
    expect(verifyChain(chainId, withForgery, head)).toMatchObject({ ok: false, kind: 'inserted', seq: 2 });
    const appended = [...links, nextLink(chainId, { chainId, seq: 4, hash: links[3]?.hash as string }, { eventId: 'x', action: 'y' })];
    const extra = nextLink(chainId, { chainId, seq: 5, hash: appended[4]?.hash as string }, { eventId: 'z', action: 'y' });
    expect(verifyChain(chainId, [...appended, extra], head)).toMatchObject({ ok: false, kind: 'inserted', seq: 5 });
  });

  it('detects reordered records', () => {
    const { links, head } = build(5);
    const swapped = [links[0], links[2], links[1], links[3], links[4]] as ChainLink<Rec>[];
    expect(verifyChain(chainId, swapped, head)).toMatchObject({ ok: false, kind: 'reordered', seq: 2 });
  });

  it('accepts a head lagging by one link only while the writer still claims it (crash between link and head writes)', () => {
    const { links } = build(3);
    const lagging = { chainId, seq: 2, hash: links[1]?.hash as string };
    expect(verifyChain(chainId, links, lagging, (link) => link.seq === 3)).toMatchObject({ ok: true, links: 3 });
  });

  it('reports a correctly hashed link appended after the head that no writer claims', () => {
    const { links } = build(3);
    const head = { chainId, seq: 2, hash: links[1]?.hash as string };
    expect(verifyChain(chainId, links, head)).toMatchObject({ ok: false, kind: 'inserted', seq: 3 });
  });

  it('detects a head that does not match', () => {
    const { links, head } = build(3);
    expect(verifyChain(chainId, links, { ...head, hash: '0'.repeat(64) })).toMatchObject({ ok: false, kind: 'head-mismatch' });
  });
});
