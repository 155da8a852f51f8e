import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlStore } from '../../runtime/jsonl-store.ts';
import { tempDirPerTest } from '../support/temp-dir.ts';

const temp = tempDirPerTest('jsonl');

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
});
