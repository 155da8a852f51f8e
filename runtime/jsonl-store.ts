/**
 * An append-only JSON Lines file whose appends are on disk (fsync) before `append` resolves.
 * The local runtime keeps its journal of accepted events, its dead letters and its rejected
 * entries this way, so the CLI can read them whether or not the runtime is running.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
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

  /** Line numbers that were not JSON at the last `readAll` (torn writes from a crash). */
  unreadableLines: number[] = [];

  /**
   * Every record in the file. A line torn by a crash mid-write is skipped and its number
   * noted in `unreadableLines`, so one bad line never hides the records around it.
   */
  readAll(): T[] {
    this.unreadableLines = [];
    if (!existsSync(this.file)) return [];
    const records: T[] = [];
    for (const [i, line] of readFileSync(this.file, 'utf8').split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        this.unreadableLines.push(i + 1);
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
      // A crash may have left a torn last line: start on a fresh line so it stays the only bad one.
      if (existsSync(this.file) && !endsWithNewline(this.file)) writeSync(this.fd, '\n');
    }
    return this.fd;
  }
}

function endsWithNewline(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}
