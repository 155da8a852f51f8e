// Plain JavaScript: the embedded DynamoDB's worker thread loads it without the TypeScript loader.
import { createRequire } from 'node:module';

/**
 * dynalite 4 reads every Query and Scan through a stream over a Level iterator, and when the
 * stream ends (or is destroyed) it releases the iterator with `iterator.return()` if there is
 * one. abstract-level 3's iterators have `close()` and no `return()`, so every iterator stayed
 * open: held by the database for good, each pinning its read-ahead entries on the heap and
 * LevelDB's memtables and table versions in native memory (the soak benchmark: ~30 leaked
 * iterators a second, RSS +350 MB in two minutes). Giving the iterators the `return()` dynalite
 * expects closes each one when its stream is done. Idempotent; a no-op once a release of
 * either package provides it. Per thread: each thread loads its own copy of the modules.
 */
export function closeLevelIteratorsWithTheirStreams() {
  for (const abstractLevel of dynaliteAbstractLevels()) closeOnReturn(abstractLevel);
}

/** abstract-level as dynalite's own databases load it: on disk level → classic-level, in memory memory-level (one copy, unless npm could not dedupe). */
export function dynaliteAbstractLevels() {
  return new Set([['dynalite', 'level', 'classic-level', 'abstract-level'], ['dynalite', 'memory-level', 'abstract-level']].map(requireThrough));
}

/** Loads the last package of `chain` as the one before it resolves it, and so on from here. */
function requireThrough(chain) {
  let from = import.meta.url;
  for (const name of chain.slice(0, -1)) from = createRequire(from).resolve(name);
  return createRequire(from)(chain.at(-1));
}

function closeOnReturn(abstractLevel) {
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const prototype = abstractLevel[name]?.prototype;
    if (!prototype || typeof prototype.return === 'function') continue;
    prototype.return = async function () {
      await this.close();
      return { done: true, value: undefined };
    };
  }
}
