/**
 * Orders for the redelivery and reorder suites (issue 15): a seeded PRNG so a failure names its
 * order, a shuffle, "each item up to ten times", and the findings a run ends with.
 */
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

/** A small deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Each item 1 to 10 times, the copies spread through the order. */
export function redelivered<T>(items: readonly T[], next: () => number): T[] {
  return shuffled(items.flatMap((item) => Array.from({ length: 1 + Math.floor(next() * 10) }, () => item)), next);
}

/**
 * Each item 1 to 10 times, in the given order first, every extra copy delivered at a random
 * later point (at least once, in order: for a stream whose order is part of its meaning).
 */
export function redeliveredAfter<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (const item of items) {
    for (let copies = Math.floor(next() * 10); copies > 0; copies--) {
      const after = out.indexOf(item) + 1;
      out.splice(after + Math.floor(next() * (out.length - after + 1)), 0, item);
    }
  }
  return out;
}

/**
 * Several ordered streams merged at random (each stream keeps its own order), as independent
 * sources interleave on the bus.
 */
export function interleaved<T>(streams: readonly (readonly T[])[], next: () => number): T[] {
  const cursors = streams.map(() => 0);
  const out: T[] = [];
  for (;;) {
    const open = streams.flatMap((s, i) => ((cursors[i] as number) < s.length ? [i] : []));
    if (open.length === 0) return out;
    const pick = open[Math.floor(next() * open.length)] as number;
    out.push((streams[pick] as readonly T[])[(cursors[pick] as number)++] as T);
  }
}

/** The findings live at the end of a run (the last "Finding Raised" of each id not followed by its "Finding Resolved"), by id. */
export function liveFindings(published: readonly OutgoingEvent[], keep: (findingId: string) => boolean = () => true): [string, unknown][] {
  const last = new Map<string, OutgoingEvent>();
  for (const e of published) {
    const id = (e.detail as { findingId?: string }).findingId;
    if (id !== undefined && (e.detailType === 'Finding Raised' || e.detailType === 'Finding Resolved')) last.set(id, e);
  }
  return [...last].filter(([id, e]) => e.detailType === 'Finding Raised' && keep(id)).map(([id, e]) => [id, e.detail] as [string, unknown]).sort(([a], [b]) => a.localeCompare(b));
}
