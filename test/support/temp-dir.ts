import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temporary folder for each test, removed after it; read `.path` inside a test. */
export function tempDirPerTest(prefix: string): { readonly path: string } {
  let current = '';
  beforeEach(() => {
    current = mkdtempSync(join(tmpdir(), `erpgov-${prefix}-`));
  });
  afterEach(() => rmSync(current, { recursive: true, force: true }));
  return {
    get path() {
      return current;
    },
  };
}
