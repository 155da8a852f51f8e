/**
 * An append-only JSON Lines file whose appends are on disk (fsync) before `append` returns,
 * or, for a hot writer, once `flush` resolves: `write` + `flush` is a group commit, one fsync
 * for every write made before it started. The local runtime keeps its journal of accepted
 * events (group commit), its dead letters and its rejected entries this way, so the CLI can
 * read them whether or not the runtime is running.
 */
import { fsync } from 'node:fs';
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class JsonlStore<T> {
  private fd: number | undefined;
  /** Written since the last fsync started. */
  private dirty = false;
  /** The fsync in progress (never rejects: its callers see its failure). */
  private syncing: Promise<void> = Promise.resolve();
  /** The next fsync, waiting for the one in progress: every write before it starts is covered. */
  private queued: Promise<void> | undefined;

  constructor(readonly file: string) {}

  /** Appends records as one write and flushes them to disk. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    this.write(records);
    fsyncSync(this.open());
    this.dirty = false;
  }

  /** Appends records as one write, not yet flushed: `flush` makes them durable. */
  write(records: readonly T[]): void {
    if (records.length === 0) return;
    writeSync(this.open(), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.dirty = true;
  }

  /**
   * Resolves once everything written so far is on disk. Callers in the same turn of the event
   * loop share one fsync, off the event loop's thread; one that comes while an fsync runs waits
   * for the next.
   */
  flush(): Promise<void> {
    if (!this.dirty && !this.queued) return this.syncing;
    // The fsync starts on the next turn of the event loop, not at once: the other requests that
    // turn's I/O brings (concurrent PutEvents calls) write first, and one fsync covers them all.
    this.queued ??= this.syncing.then(() => new Promise((turn) => setImmediate(turn))).then(() => {
      this.queued = undefined;
      this.dirty = false;
      const fd = this.fd;
      // A rewrite or close in between already put everything on disk and closed the file.
      return new Promise<void>((resolve, reject) => (fd === undefined ? resolve() : fsync(fd, (err) => (err && err.code !== 'EBADF' ? reject(err) : resolve()))));
    });
    const flushed = this.queued;
    this.syncing = flushed.catch(() => undefined);
    return flushed;
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
    if (this.fd !== undefined) {
      if (this.dirty) fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = undefined;
    this.dirty = false;
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
