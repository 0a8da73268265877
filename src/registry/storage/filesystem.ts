// The filesystem storage driver. New files are written beside their final
// place under a temp name, fsync'd, then renamed: a reader sees the old content
// or the new, never a part. Driver paths are checked segment by segment so no
// path, however built, resolves outside the root. Blocking calls for metadata and
// small files, the thread pool for data and fsyncs: see fs-files.ts.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, mkdirSync, openSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { InvalidPathError, PathNotFoundError, type FileInfo, type FileWriter, type StorageDriver, type SyncBatch } from './driver.js';
import {
  AppendWriter, errno, FsSyncBatch, isMissing, NewFileWriter, notFound, notFoundSync, openInDirectory, own, readIfPresentSync,
  readSmallSync,
} from './fs-files.js';
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
    return (notFoundSync(path, () => readSmallSync(full)) ?? (await notFound(path, () => readFile(full))));
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

  async putDerived(path: string, content: string, batch: SyncBatch): Promise<void> {
    const full = this.full(path);
    const b = own(batch);
    const want = Buffer.from(content);
    for (let attempt = 0; ; attempt++) {
      const have = readIfPresentSync(full);
      if (have && have.equals(want)) break; // fsync'd below all the same: its writer may not have flushed yet
      if (have !== null || attempt > 0) return this.putContent(path, want, batch); // torn or foreign: replaced atomically
      let created: string | undefined;
      let fd: number;
      try {
        fd = openInDirectory(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, (first) => (created ??= first));
      } catch (e) {
        if (errno(e) === 'EEXIST') continue; // written by a concurrent put: read it again
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
    b.add(full);
    b.add(dirname(full));
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
    own(batch).add(this.full(path));
  }

  async reader(path: string, offset = 0, end?: number): Promise<Readable> {
    const fd = notFoundSync(path, () => openSync(this.full(path), constants.O_RDONLY));
    const file = createReadStream('', { fd, start: offset, end, autoClose: true, highWaterMark: 1024 * 1024 });
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
      const fd = openInDirectory(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, made);
      let start: number;
      try {
        start = statSync(target).size;
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      return new AppendWriter(fd, target, start, created);
    }
    const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const fd = openInDirectory(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, made);
    return new NewFileWriter(fd, temp, target, created);
  }

  async deleteEmptyDirectories(path: string, stop: string): Promise<void> {
    const end = this.full(stop);
    for (let dir = this.full(path); dir !== end && dir.startsWith(`${end}/`); dir = dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch (e) {
        const code = errno(e);
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
        throw e;
      }
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const s = notFoundSync(path, () => statSync(this.full(path)));
    return { path, size: s.size, modTime: s.mtime, isDir: s.isDirectory() };
  }

  /** async: a directory may hold many entries (tags, repositories) */
  async list(path: string): Promise<string[]> {
    const names = await notFound(path, () => readdir(this.full(path)));
    const base = path === '/' ? '' : path;
    return names.filter((n) => !n.startsWith(TEMP_PREFIX)).sort().map((n) => `${base}/${n}`);
  }

  async move(source: string, dest: string, batch?: SyncBatch): Promise<void> {
    const from = this.full(source);
    const to = this.full(dest);
    const created = mkdirSync(dirname(to), { recursive: true });
    notFoundSync(source, () => renameSync(from, to));
    const b = batch ? own(batch) : new FsSyncBatch();
    b.addCreated(created, dirname(to));
    b.add(dirname(to));
    if (!batch) await b.flush();
  }

  /** registry deletions are small trees (a link, a session, a blob's directory) */
  async delete(path: string): Promise<void> {
    const full = this.full(path);
    if (full === this.root) throw new InvalidPathError(path);
    notFoundSync(path, () => statSync(full));
    rmSync(full, { recursive: true, force: true });
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
        if (isMissing(e)) return; // removed while walking
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
