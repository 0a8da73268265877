// The filesystem storage driver. New files are written beside their final
// place under a temp name, fsync'd, then renamed: a reader sees the old content
// or the new, never a part. Driver paths are checked segment by segment so no
// path, however built, resolves outside the root.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsync, mkdirSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { InvalidPathError, PathNotFoundError, type FileInfo, type FileWriter, type StorageDriver, type SyncBatch } from './driver.js';
import { streamed } from './memory.js';

/** temp files start with this; no registry path segment can (names, tags and digests begin with [a-zA-Z0-9_]) */
const TEMP_PREFIX = '.tmp-';

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  constructor(readonly root: string) {}

  /** the OS path for a driver path; refuses anything that is not plain segments */
  private full(path: string): string {
    if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) throw new InvalidPathError(path);
    if (path === '/') return this.root;
    const segs = path.slice(1).split('/');
    for (const s of segs) if (s === '' || s === '.' || s === '..') throw new InvalidPathError(path);
    return join(this.root, ...segs);
  }

  async getContent(path: string): Promise<Buffer> {
    const full = this.full(path);
    return await notFound(path, async () => readSmallSync(full) ?? (await readFile(full)));
  }

  async putContent(path: string, content: Buffer | string, batch?: SyncBatch): Promise<void> {
    const w = await this.writer(path, false);
    try {
      await w.write(typeof content === 'string' ? Buffer.from(content) : content);
      await w.commit(batch);
    } catch (e) {
      await w.cancel();
      throw e;
    }
  }

  // Done with blocking calls: a link file is a few dozen bytes, and the thread-pool
  // round trips of open, read, write and close cost more than the work itself.
  async putDerived(path: string, content: string, batch: SyncBatch): Promise<void> {
    const full = this.full(path);
    const b = own(batch);
    const want = Buffer.from(content);
    for (let attempt = 0; ; attempt++) {
      const have = readIfPresentSync(full);
      if (have !== undefined && have.equals(want)) break; // fsync'd below all the same: its writer may not have flushed yet
      if (have !== undefined || attempt > 0) return this.putContent(path, want, batch); // torn or foreign: replaced atomically
      const created = mkdirSync(dirname(full), { recursive: true });
      let fd: number;
      try {
        fd = openSync(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // written by a concurrent put: read it again
        throw e;
      }
      try {
        writeSync(fd, want);
      } finally {
        closeSync(fd);
      }
      b.addCreated(created, dirname(full));
      break;
    }
    b.addFile(full);
    b.addDir(dirname(full));
  }

  async putTransient(path: string, content: string): Promise<void> {
    const full = this.full(path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }

  batch(): SyncBatch {
    return new FsSyncBatch();
  }

  syncLater(path: string, batch: SyncBatch): void {
    own(batch).addFile(this.full(path));
  }

  async reader(path: string, offset = 0, end?: number): Promise<Readable> {
    const fh = await notFound(path, () => open(this.full(path), constants.O_RDONLY));
    const file = fh.createReadStream({ start: offset, end, autoClose: true, highWaterMark: 256 * 1024 });
    // counted on the way out, so the buffers read are freed as fast as they are sent (memory.ts)
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        streamed(chunk.length);
        done(null, chunk);
      },
    });
    return pipeline(file, counted, () => {}); // an error or a destroy on either side ends both, and closes the file
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const target = this.full(path);
    let created: string | undefined;
    const made = (first: string) => (created ??= first);
    if (append) {
      const fh = await inDirectory(target, () => open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644), made);
      const start = (await fh.stat()).size;
      return new AppendWriter(fh, target, start, created);
    }
    const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const fh = await inDirectory(temp, () => open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644), made);
    return new NewFileWriter(fh, temp, target, created);
  }

  async deleteEmptyDirectories(path: string, stop: string): Promise<void> {
    const end = this.full(stop);
    for (let dir = this.full(path); dir !== end && dir.startsWith(`${end}/`); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
        throw e;
      }
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const s = await notFound(path, () => stat(this.full(path)));
    return { path, size: s.size, modTime: s.mtime, isDir: s.isDirectory() };
  }

  async list(path: string): Promise<string[]> {
    const names = await notFound(path, () => readdir(this.full(path)));
    const base = path === '/' ? '' : path;
    return names.filter((n) => !n.startsWith(TEMP_PREFIX)).sort().map((n) => `${base}/${n}`);
  }

  async move(source: string, dest: string, batch?: SyncBatch): Promise<void> {
    const from = this.full(source);
    const to = this.full(dest);
    const created = await mkdir(dirname(to), { recursive: true });
    await notFound(source, () => rename(from, to));
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(created, dirname(to));
    b.addDir(dirname(to));
    if (!batch) await b.flush();
  }

  async delete(path: string): Promise<void> {
    const full = this.full(path);
    if (full === this.root) throw new InvalidPathError(path);
    await notFound(path, () => stat(full));
    await rm(full, { recursive: true, force: true });
  }

  async walk(path: string, fn: (info: FileInfo) => Promise<boolean | void> | boolean | void): Promise<void> {
    let children: string[];
    try {
      children = await this.list(path);
    } catch (e) {
      if (e instanceof PathNotFoundError && e.path === path) return;
      throw e;
    }
    for (const child of children) {
      let info: FileInfo;
      try {
        info = await this.stat(child);
      } catch (e) {
        if (e instanceof PathNotFoundError) continue; // removed while walking
        throw e;
      }
      const descend = await fn(info);
      if (info.isDir && descend !== false) await this.walk(child, fn);
    }
  }

  async abandonedTempFiles(before: Date): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    const visit = async (dir: string, path: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while walking
        throw e;
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          await visit(full, `${path}/${entry.name}`);
        } else if (entry.name.startsWith(TEMP_PREFIX)) {
          const s = await stat(full).catch(() => undefined);
          if (s && s.mtime < before) out.push({ path: `${path}/${entry.name}`, size: s.size, modTime: s.mtime, isDir: false });
        }
      }
    };
    await visit(this.root, '');
    return out;
  }
}

/** fsyncs files and directories by OS path, all at once */
class FsSyncBatch implements SyncBatch {
  private paths = new Set<string>();

  addFile(full: string): void {
    this.paths.add(full);
  }

  addDir(full: string): void {
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

function own(batch: SyncBatch): FsSyncBatch {
  if (!(batch instanceof FsSyncBatch)) throw new TypeError('a sync batch of another driver');
  return batch;
}

const fsyncFd = promisify(fsync);

/** open and close block (they are short); the fsync itself runs on the thread pool */
async function fsyncPath(full: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed since: nothing left to make durable
    throw e;
  }
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

class NewFileWriter implements FileWriter {
  private written = 0;
  private done = false;
  constructor(
    private fh: FileHandle,
    private temp: string,
    private target: string,
    private createdDir: string | undefined,
  ) {}
  size(): number {
    return this.written;
  }
  async write(chunk: Buffer): Promise<void> {
    await writeAll(this.fh, chunk);
    this.written += chunk.length;
  }
  async commit(batch?: SyncBatch): Promise<void> {
    await this.fh.sync();
    await this.fh.close();
    this.done = true;
    // the temp file sits in the target's directory, which therefore still exists
    await rename(this.temp, this.target);
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(this.createdDir, dirname(this.target));
    b.addDir(dirname(this.target));
    if (!batch) await b.flush();
  }
  async cancel(): Promise<void> {
    if (!this.done) await this.fh.close().catch(() => {});
    this.done = true;
    await rm(this.temp, { force: true });
  }
}

class AppendWriter implements FileWriter {
  private written = 0;
  private closed = false;
  constructor(
    private fh: FileHandle,
    private target: string,
    private start: number,
    private createdDir: string | undefined,
  ) {}
  size(): number {
    return this.start + this.written;
  }
  async write(chunk: Buffer): Promise<void> {
    await writeAll(this.fh, chunk);
    this.written += chunk.length;
  }
  /** the file may have been created by this writer: its directory entry is made durable too */
  async commit(batch?: SyncBatch): Promise<void> {
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(this.createdDir, dirname(this.target));
    b.addDir(dirname(this.target));
    await Promise.all([this.fh.sync(), batch ? undefined : b.flush()]);
    await this.close();
  }
  async cancel(): Promise<void> {
    await this.close();
    await truncate(this.target, this.start).catch(() => {});
  }
  private async close(): Promise<void> {
    if (!this.closed) await this.fh.close();
    this.closed = true;
  }
}

/** writes all of it, and counts it as streamed (see memory.ts) */
async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
  streamed(chunk.length);
}

/** creates the file, and its directory first when missing (again should an empty directory be pruned in between) */
async function inDirectory<T>(file: string, create: () => Promise<T>, made?: (first: string) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await create();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw e;
    }
    const first = await mkdir(dirname(file), { recursive: true });
    if (first !== undefined) made?.(first);
  }
}

/** the file's bytes, or undefined when there is no such file */
function readIfPresentSync(full: string): Buffer | undefined {
  try {
    return readSmallSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** a link file or a manifest is read in one blocking step: four thread-pool round trips (open, fstat, read, close) cost more than the read */
const SMALL_FILE_BYTES = 64 * 1024;

function readSmallSync(full: string): Buffer | undefined {
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

async function notFound<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PathNotFoundError(path);
    throw e;
  }
}
