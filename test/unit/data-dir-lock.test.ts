import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../runtime/data-dir-lock.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'erpgov-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('data folder lock', () => {
  it('lets one holder in, refuses a second with the owner pid, and frees on unlock', () => {
    const unlock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.pid}`));
    unlock();
    expect(existsSync(join(dir, 'runtime.lock'))).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that is gone', () => {
    writeFileSync(join(dir, 'runtime.lock'), '2147483646');
    const unlock = lockDataDir(dir);
    unlock();
  });
});
