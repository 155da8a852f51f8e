import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../runtime/data-dir-lock.ts';
import { tempDirPerTest } from '../support/temp-dir.ts';

const temp = tempDirPerTest('lock');

describe('data folder lock', () => {
  it('lets one holder in, refuses a second with the owner pid, and frees on unlock', () => {
    const unlock = lockDataDir(temp.path);
    expect(() => lockDataDir(temp.path)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(temp.path)).toThrow(new RegExp(`in use by process ${process.pid}`));
    unlock();
    expect(existsSync(join(temp.path, 'runtime.lock'))).toBe(false);
    lockDataDir(temp.path)();
  });

  it('takes over a lock left by a process that is gone', () => {
    writeFileSync(join(temp.path, 'runtime.lock'), '2147483646');
    const unlock = lockDataDir(temp.path);
    unlock();
  });
});
