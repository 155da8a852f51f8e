import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { JsonlStore } from '../../runtime/jsonl-store.ts';
import { tempDirPerTest } from '../support/temp-dir.ts';

const temp = tempDirPerTest('jsonl');

// Counts the asynchronous fsyncs (the group commits), calling through to the real one.
const fsyncs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, fsync: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => (fsyncs.count++, fs.fsync(fd, cb)) };
});

describe('JsonlStore', () => {
  it('appends, reads back and rewrites atomically', () => {
    const store = new JsonlStore<{ n: number }>(join(temp.path, 'sub', 'x.jsonl'));
    expect(store.readAll()).toEqual([]);
    store.append([{ n: 1 }, { n: 2 }]);
    store.append([{ n: 3 }]);
    expect(store.readAll()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    store.rewrite([{ n: 9 }]);
    store.append([{ n: 10 }]);
    expect(store.readAll()).toEqual([{ n: 9 }, { n: 10 }]);
    store.close();
  });

  it('skips a line torn by a crash, notes it, and appends after it on a fresh line', () => {
    const file = join(temp.path, 'torn.jsonl');
    writeFileSync(file, '{"n":1}\n{"n":2}\n');
    appendFileSync(file, '{"n":');
    const store = new JsonlStore<{ n: number }>(file);
    expect(store.readAll()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(store.unreadableLines).toEqual([3]);
    store.append([{ n: 3 }]);
    store.close();
    expect(store.readAll()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(store.unreadableLines).toEqual([3]);
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":\n{"n":3}\n');
  });

  it('group commit: writes of the same turn share one fsync, a later write gets the next', async () => {
    const store = new JsonlStore<{ n: number }>(join(temp.path, 'group.jsonl'));
    fsyncs.count = 0;
    await Promise.all(Array.from({ length: 20 }, (_, n) => (store.write([{ n }]), store.flush())));
    expect(fsyncs.count).toBe(1);
    store.write([{ n: 20 }]);
    await Promise.all([store.flush(), store.flush()]);
    expect(fsyncs.count).toBe(2);
    // Nothing written since: nothing to do.
    await store.flush();
    expect(fsyncs.count).toBe(2);
    expect(store.readAll().map((r) => r.n)).toEqual(Array.from({ length: 21 }, (_, n) => n));
    store.close();
  });

  it('a flush pending across a rewrite or a close still resolves (the rewrite put everything on disk)', async () => {
    const store = new JsonlStore<{ n: number }>(join(temp.path, 'rewrite.jsonl'));
    store.write([{ n: 1 }]);
    const flushed = store.flush();
    store.write([{ n: 2 }]);
    const next = store.flush();
    store.rewrite([{ n: 2 }]);
    await expect(Promise.all([flushed, next])).resolves.toBeDefined();
    store.write([{ n: 3 }]);
    store.close();
    expect(store.readAll()).toEqual([{ n: 2 }, { n: 3 }]);
  });
});
