/**
 * An append-only JSON Lines file whose appends are on disk (fsync) before `append` resolves.
 * The local runtime keeps its journal of accepted events, its dead letters and its rejected
 * entries this way, so the CLI can read them whether or not the runtime is running.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class JsonlStore<T> {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  /** Appends records as one write and flushes them to disk. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const fd = this.open();
    writeSync(fd, text);
    fsyncSync(fd);
  }

  /** Every record in the file. A torn last line (a crash mid-write) is skipped, not fatal. */
  readAll(): T[] {
    if (!existsSync(this.file)) return [];
    const lines = readFileSync(this.file, 'utf8').split('\n');
    const records: T[] = [];
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch (err) {
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
          throw new Error(`${this.file}: line ${i + 1} is not JSON (${(err as Error).message})`);
        }
      }
    }
    return records;
  }

  /** Atomically replaces the file's content (write to a temporary file, fsync, rename). */
  rewrite(records: readonly T[]): void {
    this.close();
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, records.map((r) => JSON.stringify(r) + '\n').join(''));
    const fd = openSync(tmp, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    return this.fd;
  }
}
