/**
 * An append-only JSON Lines file whose appends are on disk (fsync) before `append` returns,
 * or, for a hot writer, once `flush` resolves: `write` + `flush` is a group commit, one fsync
 * for every write made before it started. The local runtime keeps its journal of accepted
 * events (group commit), its dead letters and its rejected entries this way, so the CLI can
 * read them whether or not the runtime is running.
 */
import { closeSync, existsSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class JsonlStore<T> {
  private fd: number | undefined;
  /** Writes so far, and how many of them an fsync that has finished covers (a close's fsync counts). */
  private written = 0;
  private synced = 0;
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
    this.synced = this.written;
  }

  /** Appends records as one write, not yet flushed: `flush` makes them durable. */
  write(records: readonly T[]): void {
    if (records.length === 0) return;
    writeSync(this.open(), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.written++;
  }

  /**
   * Resolves once everything written so far is on disk. Callers in the same turn of the event
   * loop share one fsync, off the event loop's thread; one that comes while an fsync runs waits
   * for the next.
   */
  flush(): Promise<void> {
    if (this.synced === this.written) return Promise.resolve();
    // The fsync starts on the next turn of the event loop, not at once: the other requests that
    // turn's I/O brings (concurrent PutEvents calls) write first, and one fsync covers them all.
    this.queued ??= this.syncing.then(() => new Promise((turn) => setImmediate(turn))).then(() => {
      this.queued = undefined;
      const upTo = this.written;
      const fd = this.fd;
      // Closed meanwhile: the close fsynced what it closed (and a rewrite keeps only what it fsynced).
      if (fd === undefined || this.synced >= upTo) return;
      return new Promise<void>((resolve, reject) =>
        fsync(fd, (err) => {
          // EBADF: closed while this fsync waited for a thread; the close fsynced it first.
          if (err && err.code !== 'EBADF') return reject(err);
          this.synced = Math.max(this.synced, upTo);
          resolve();
        }),
      );
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

  /** Atomically replaces the file's content (write to a temporary file, fsync, rename, fsync the folder). */
  rewrite(records: readonly T[]): void {
    this.close();
    const folder = dirname(this.file);
    mkdirSync(folder, { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, records.map((r) => JSON.stringify(r) + '\n').join(''));
    const fd = openSync(tmp, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    // The rename is on disk only once its folder is: until then a power loss brings the old file back.
    const dir = openSync(folder, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** Closes the file, on disk first: whatever was written and no fsync has finished covering. */
  close(): void {
    if (this.fd !== undefined) {
      if (this.synced < this.written) fsyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = undefined;
    this.synced = this.written;
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
