// Upload sessions, kept where distribution keeps them
// (repositories/<name>/_uploads/<uuid>/{startedat,data}): the data file's size is
// the session's offset (no data file yet: nothing received), so a session outlives
// a restart with nothing else on disk. The digest is computed while bytes stream in
// when the session ran in this process from its first byte; otherwise (after a
// restart, or for sha512) the data is hashed again on completion.
//
// Durability: bytes are fsync'd before a PATCH or PUT acknowledges them, and a blob
// and its link before the PUT answers 201. A session's startedat alone is written
// without an fsync: a power failure before the first byte was accepted loses an empty
// session, which the client starts again (BLOB_UPLOAD_UNKNOWN); it is made durable
// with the session's first bytes.
import { randomUUID, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError, regError } from '../api/errors.js';
import type { BlobStore } from './blobs.js';
import { digestStream, newHash, type Digest } from './digest.js';
import { isNotFound, type StorageDriver } from './driver.js';
import { KeyedMutex } from './mutex.js';
import { blobDataPath, blobDir, REPOSITORIES, uploadDataPath, uploadPath, uploadStartedAtPath } from './paths.js';

export interface ChunkRange {
  start: number;
  end: number;
}

/** the Range header value for an offset: "0-<last byte>", "0-0" while empty, as distribution answers */
export const rangeHeader = (size: number) => `0-${Math.max(size - 1, 0)}`;

export class UploadStore {
  private hashers = new Map<string, { hash: Hash; offset: number }>();
  private locks = new KeyedMutex();

  constructor(
    private driver: StorageDriver,
    private blobs: BlobStore,
    private expirySeconds: number,
  ) {}

  async start(name: string): Promise<string> {
    const id = randomUUID();
    await this.driver.putTransient(uploadStartedAtPath(name, id), rfc3339(new Date()));
    this.hashers.set(key(name, id), { hash: newHash('sha256'), offset: 0 });
    return id;
  }

  /** bytes received so far; BLOB_UPLOAD_UNKNOWN when there is no such live session */
  async status(name: string, id: string): Promise<number> {
    let started: Date;
    let size: number;
    try {
      started = new Date((await this.driver.getContent(uploadStartedAtPath(name, id))).toString('utf8').trim());
      size = await this.driver.stat(uploadDataPath(name, id)).then(
        (info) => info.size,
        (e) => {
          if (isNotFound(e)) return 0; // created with the first bytes
          throw e;
        },
      );
    } catch (e) {
      if (isNotFound(e)) throw regError('BLOB_UPLOAD_UNKNOWN', { uuid: id });
      throw e;
    }
    if (this.expired(started, new Date())) {
      await this.remove(name, id);
      throw regError('BLOB_UPLOAD_UNKNOWN', { uuid: id, reason: 'expired' });
    }
    return size;
  }

  /** appends a chunk; a chunk that does not start at the current offset is refused with 416 */
  async append(name: string, id: string, body: Readable, range?: ChunkRange): Promise<number> {
    return this.locks.run(key(name, id), () => this.appendLocked(name, id, body, range));
  }

  private async appendLocked(name: string, id: string, body: Readable, range?: ChunkRange): Promise<number> {
    const size = await this.status(name, id);
    if (range && range.start !== size) {
      body.resume(); // drain what the client sends; the answer does not depend on it
      throw regError('RANGE_INVALID', { expectedStart: size, start: range.start }, { headers: { Range: rangeHeader(size) } });
    }
    const k = key(name, id);
    let hashed = this.hashers.get(k);
    if (hashed && hashed.offset !== size) {
      this.hashers.delete(k);
      hashed = undefined;
    }
    const w = await this.driver.writer(uploadDataPath(name, id), true);
    try {
      for await (const chunk of body) {
        const written = w.write(chunk as Buffer); // hashed while the thread pool writes it
        hashed?.hash.update(chunk as Buffer);
        await written;
      }
      if (range && w.size() - size !== range.end - range.start + 1) {
        throw regError('RANGE_INVALID', { expectedLength: range.end - range.start + 1, received: w.size() - size }, {
          headers: { Range: rangeHeader(size) },
        });
      }
      const batch = this.driver.batch();
      // the session's start becomes durable with its first accepted bytes
      if (size === 0) this.driver.syncLater(uploadStartedAtPath(name, id), batch);
      await w.commit(batch);
      await batch.flush();
    } catch (e) {
      this.hashers.delete(k); // the hash saw bytes the file no longer has
      await w.cancel();
      throw e;
    }
    if (hashed) hashed.offset = w.size();
    return w.size();
  }

  /** appends the last chunk if any, verifies the digest, and makes the blob visible in `name` */
  async complete(name: string, id: string, d: Digest, body?: Readable, range?: ChunkRange): Promise<number> {
    return this.locks.run(key(name, id), async () => {
      if (body && (await this.status(name, id)) === 0) {
        // nothing received before this PUT: its body is the whole blob, written beside the
        // blob's place as a monolithic upload is (no session data file to write and move)
        const size = await this.writeWhole(name, d, body, range).catch(async (e) => {
          if (e instanceof RegistryError && e.code === 'DIGEST_INVALID') await this.remove(name, id);
          throw e;
        });
        await this.remove(name, id);
        return size;
      }
      const size = body ? await this.appendLocked(name, id, body, range) : await this.status(name, id);
      const k = key(name, id);
      const hashed = this.hashers.get(k);
      const actual =
        hashed && hashed.offset === size && d.algorithm === 'sha256'
          ? hashed.hash.copy().digest('hex')
          : (await digestStream(d.algorithm, await this.driver.reader(uploadDataPath(name, id)))).hex;
      if (actual !== d.hex) {
        await this.remove(name, id); // nothing of a wrong upload is kept
        throw regError('DIGEST_INVALID', { expected: `${d.algorithm}:${d.hex}`, actual: `${d.algorithm}:${actual}` });
      }
      const batch = this.driver.batch();
      await this.blobs.adopt(uploadDataPath(name, id), d, batch);
      await this.blobs.link(name, d, batch);
      await batch.flush();
      await this.remove(name, id);
      return size;
    });
  }

  /**
   * A monolithic upload (POST ?digest=): the client will never resume it, so no
   * session is persisted.
   */
  async putWhole(name: string, d: Digest, body: Readable): Promise<void> {
    await this.writeWhole(name, d, body);
  }

  /**
   * The bytes go to a temp file beside the blob, are verified, and only then become
   * the blob (or are dropped when it exists); returns how many there were. With a
   * range, the body must be exactly that range of a new upload (RANGE_INVALID, and
   * nothing kept, otherwise).
   */
  private async writeWhole(name: string, d: Digest, body: Readable, range?: ChunkRange): Promise<number> {
    if (range && range.start !== 0) {
      body.resume();
      throw regError('RANGE_INVALID', { expectedStart: 0, start: range.start }, { headers: { Range: rangeHeader(0) } });
    }
    const w = await this.driver.writer(blobDataPath(d), false);
    const hash = newHash(d.algorithm);
    try {
      for await (const chunk of body) {
        const written = w.write(chunk as Buffer); // hashed while the thread pool writes it
        hash.update(chunk as Buffer);
        await written;
      }
      if (range && w.size() !== range.end + 1) {
        throw regError('RANGE_INVALID', { expectedLength: range.end + 1, received: w.size() }, { headers: { Range: rangeHeader(0) } });
      }
      const actual = hash.digest('hex');
      if (actual !== d.hex) throw regError('DIGEST_INVALID', { expected: `${d.algorithm}:${d.hex}`, actual: `${d.algorithm}:${actual}` });
    } catch (e) {
      await w.cancel();
      // a refused upload leaves no trace, not even the directory made for it
      await this.driver.deleteEmptyDirectories(blobDir(d), '/').catch(() => {});
      throw e;
    }
    const batch = this.driver.batch();
    if ((await this.blobs.size(d)) === undefined) await w.commit(batch);
    else {
      await w.cancel();
      this.driver.syncLater(blobDir(d), batch); // as adopt(): its writer may not have flushed yet
    }
    await this.blobs.link(name, d, batch);
    await batch.flush();
    return w.size();
  }

  async cancel(name: string, id: string): Promise<void> {
    await this.locks.run(key(name, id), async () => {
      await this.status(name, id);
      await this.remove(name, id);
    });
  }


  /** removes every session older than the expiry; returns how many */
  async purgeExpired(now = new Date()): Promise<number> {
    let purged = 0;
    const sessions: Array<[string, string]> = [];
    await this.driver.walk(REPOSITORIES, async (info) => {
      const base = info.path.slice(info.path.lastIndexOf('/') + 1);
      if (!info.isDir) return;
      if (base === '_layers' || base === '_manifests') return false;
      if (base !== '_uploads') return;
      const name = info.path.slice(REPOSITORIES.length + 1, -'/_uploads'.length);
      for (const child of await this.driver.list(info.path).catch(() => [])) {
        sessions.push([name, child.slice(child.lastIndexOf('/') + 1)]);
      }
      return false;
    });
    for (const [name, id] of sessions) {
      let started: Date;
      try {
        started = new Date((await this.driver.getContent(uploadStartedAtPath(name, id))).toString('utf8').trim());
      } catch (e) {
        if (!isNotFound(e)) throw e;
        started = (await this.driver.stat(uploadPath(name, id)).catch(() => ({ modTime: new Date(0) }))).modTime;
      }
      if (this.expired(started, now)) {
        await this.locks.run(key(name, id), () => this.remove(name, id));
        purged++;
      }
    }
    return purged;
  }

  private expired(started: Date, now: Date): boolean {
    const t = started.getTime();
    return Number.isNaN(t) || now.getTime() - t > this.expirySeconds * 1000;
  }

  private async remove(name: string, id: string): Promise<void> {
    this.hashers.delete(key(name, id));
    await this.driver.delete(uploadPath(name, id)).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
}

const key = (name: string, id: string) => `${name}\0${id}`;

/** distribution writes startedat in Go's time.RFC3339 */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

