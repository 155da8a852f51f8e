/** Spreading keys over a fixed number of partitions, so that no partition of a table or index runs hot. */

export const SHARDS = 16;

/** FNV-1a: a cheap, stable spread of names over the shards (not a security hash). */
export function shardOf(name: string, shards = SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % shards;
}
