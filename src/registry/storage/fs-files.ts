// The file-level pieces of the filesystem driver: writers, the fsync batch, small
// blocking reads. Metadata operations and small files use blocking calls: on a
// local filesystem they take a few microseconds, less than the thread-pool round
// trip of their async form (a futex handoff each way). Data streams and fsyncs,
// which can take milliseconds, stay on the thread pool.
import { closeSync, constants, fdatasync, fstatSync, fsync, mkdirSync, openSync, readSync, renameSync, rmSync, truncateSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { PathNotFoundError, type FileWriter, type SyncBatch } from './driver.js';
import { streamed } from './memory.js';

const fsyncFd = promisify(fsync);
const writeFd = promisify(write);
const fdatasyncFd = promisify(fdatasync);

/**
 * While a large file is written, its dirty pages are handed to the disk every
 * WRITEBACK_BYTES (an fdatasync in the background): the disk works while the next
 * bytes arrive, and the fsync that commits the file has only the tail left to write.
 * Without it the kernel starts writeback only past its dirty threshold (GiBs here),
 * so a layer would first be received whole and then written whole.
 */
const WRITEBACK_BYTES = 32 * 1024 * 1024;

class Writeback {
  private unsynced = 0;
  private pending?: Promise<void>;
  private error?: unknown;

  constructor(private fd: number) {}

  wrote(n: number): void {
    this.unsynced += n;
    if (this.unsynced < WRITEBACK_BYTES || this.pending) return;
    this.unsynced = 0;
    this.pending = fdatasyncFd(this.fd).then(
      () => {
        this.pending = undefined;
      },
      (e) => {
        this.pending = undefined;
        // an fd hears of a writeback error once: keep it for the commit
        this.error ??= e;
      },
    );
  }

  /** waits for the background sync (the fd must not be closed under it); throws what it met */
  async settle(): Promise<void> {
    await this.pending;
    if (this.error !== undefined) throw this.error;
  }
}

/** fsyncs files and directories by OS path, all at once */
export class FsSyncBatch implements SyncBatch {
  private paths = new Set<string>();

  add(full: string): void {
    this.paths.add(full);
  }

  /** a directory made by mkdir -p is durable once its parent is: `first` is the first one made, `last` the deepest */
  addCreated(first: string | undefined, last: string): void {
    if (first === undefined) return;
    for (let dir = last; dir.length >= first.length && dir !== dirname(dir); dir = dirname(dir)) this.paths.add(dirname(dir));
  }

  async flush(): Promise<void> {
    const paths = [...this.paths];
    this.paths.clear();
    await Promise.all(paths.map(fsyncPath));
  }
}

export function own(batch: SyncBatch): FsSyncBatch {
  if (!(batch instanceof FsSyncBatch)) throw new TypeError('a sync batch of another driver');
  return batch;
}

async function fsyncPath(full: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY);
  } catch (e) {
    if (errno(e) === 'ENOENT') return; // removed since: nothing left to make durable
    throw e;
  }
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** opens (creating) `file`, making its directory first when missing; `made` hears the first directory created */
export function openInDirectory(file: string, flags: number, made: (first: string) => void): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(file, flags, 0o644);
    } catch (e) {
      // again should an empty directory be pruned in between
      if (errno(e) !== 'ENOENT' || attempt >= 3) throw e;
    }
    const first = mkdirSync(dirname(file), { recursive: true });
    if (first !== undefined) made(first);
  }
}

/** what both writers share: an open fd written through the thread pool, with background writeback */
abstract class FdWriter implements FileWriter {
  protected written = 0;
  private closed = false;
  private writeback: Writeback;
  constructor(protected fd: number) {
    this.writeback = new Writeback(fd);
  }
  abstract size(): number;
  abstract commit(batch?: SyncBatch): Promise<void>;
  abstract cancel(): Promise<void>;
  async write(chunk: Buffer): Promise<void> {
    await writeAll(this.fd, chunk);
    this.written += chunk.length;
    this.writeback.wrote(chunk.length);
  }
  async sync(): Promise<void> {
    await this.writeback.settle();
    await fsyncFd(this.fd);
  }
  /** after a background sync still running on the fd, if any */
  protected async settleAndClose(): Promise<void> {
    await this.writeback.settle().catch(() => {});
    this.close();
  }
  protected close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }
}

/** a new file under a temp name, renamed onto its target by commit() */
export class NewFileWriter extends FdWriter {
  private synced = -1;
  constructor(
    fd: number,
    private temp: string,
    private target: string,
    private createdDir: string | undefined,
  ) {
    super(fd);
  }
  size(): number {
    return this.written;
  }
  async sync(): Promise<void> {
    await super.sync();
    this.synced = this.written;
  }
  async commit(batch?: SyncBatch): Promise<void> {
    if (this.synced !== this.written) await this.sync();
    this.close();
    // the temp file sits in the target's directory, which therefore still exists
    renameSync(this.temp, this.target);
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(this.createdDir, dirname(this.target));
    b.add(dirname(this.target));
    if (!batch) await b.flush();
  }
  async cancel(): Promise<void> {
    await this.settleAndClose();
    rmSync(this.temp, { force: true });
  }
}

/** continues an existing file (or one it created); cancel() cuts it back to where it began */
export class AppendWriter extends FdWriter {
  constructor(
    fd: number,
    private target: string,
    private start: number,
    private createdDir: string | undefined,
  ) {
    super(fd);
  }
  size(): number {
    return this.start + this.written;
  }
  /** the file may have been created by this writer: its directory entry goes into the batch too */
  async commit(batch?: SyncBatch): Promise<void> {
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(this.createdDir, dirname(this.target));
    b.add(dirname(this.target));
    await Promise.all([this.sync(), batch ? undefined : b.flush()]);
    this.close();
  }
  async cancel(): Promise<void> {
    await this.settleAndClose();
    try {
      truncateSync(this.target, this.start);
    } catch {
      // gone already: nothing to cut back
    }
  }
}

/** writes all of it, and counts it as streamed (see memory.ts) */
async function writeAll(fd: number, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await writeFd(fd, chunk, off, chunk.length - off);
    off += bytesWritten;
  }
  streamed(chunk.length);
}

/** files up to this size are read in one blocking step */
const SMALL_FILE_BYTES = 64 * 1024;

/** the whole file when it is small, undefined when it is larger; throws ENOENT as readFileSync does */
export function readSmallSync(full: string): Buffer | undefined {
  const fd = openSync(full, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > SMALL_FILE_BYTES) return undefined;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** the file's bytes (a large one: undefined as well), or null when there is no such file */
export function readIfPresentSync(full: string): Buffer | undefined | null {
  try {
    return readSmallSync(full);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
export const isMissing = (e: unknown) => errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR';

/** ENOENT and ENOTDIR become PathNotFoundError(path) */
export function notFoundSync<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isMissing(e)) throw new PathNotFoundError(path);
    throw e;
  }
}

export async function notFound<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isMissing(e)) throw new PathNotFoundError(path);
    throw e;
  }
}
