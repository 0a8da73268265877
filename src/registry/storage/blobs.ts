// Content-addressed blobs shared by every repository, and the per-repository
// links (_layers) that make a blob visible in one repository.
import type { Readable } from 'node:stream';
import { isNotFound, type StorageDriver, type SyncBatch } from './driver.js';
import { digestString, parseDigest, type Digest } from './digest.js';
import { blobDataPath, blobDir, layerLinkDir, layerLinkPath } from './paths.js';

export class BlobStore {
  constructor(private driver: StorageDriver) {}

  /** size of the blob in the global store, or undefined */
  async size(d: Digest): Promise<number | undefined> {
    try {
      const info = await this.driver.stat(blobDataPath(d));
      return info.isDir ? undefined : info.size;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** size of the blob when `name` links it and the blob exists */
  async linkedSize(name: string, d: Digest): Promise<number | undefined> {
    if (!(await readLink(this.driver, layerLinkPath(name, d), d))) return undefined;
    return this.size(d);
  }

  async open(d: Digest, start = 0, end?: number): Promise<Readable> {
    return this.driver.reader(blobDataPath(d), start, end);
  }

  async read(d: Digest): Promise<Buffer> {
    return this.driver.getContent(blobDataPath(d));
  }

  /** with a batch, durable once it is flushed */
  async link(name: string, d: Digest, batch?: SyncBatch): Promise<void> {
    const b = batch ?? this.driver.batch();
    await this.driver.putDerived(layerLinkPath(name, d), digestString(d), b);
    if (!batch) await b.flush();
  }

  /** false when the repository did not link it */
  async unlink(name: string, d: Digest): Promise<boolean> {
    try {
      await this.driver.delete(layerLinkDir(name, d));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** stores small content (a manifest) whose digest the caller computed */
  async putVerified(d: Digest, data: Buffer, batch: SyncBatch): Promise<void> {
    if ((await this.size(d)) === data.length) return this.driver.syncLater(blobDir(d), batch);
    await this.driver.putContent(blobDataPath(d), data, batch);
  }

  /** makes a verified upload's data the blob: one rename, after the upload was fsync'd */
  async adopt(uploadData: string, d: Digest, batch: SyncBatch): Promise<void> {
    // same digest, same bytes: keep the one readers may hold (its rename may not be flushed yet)
    if ((await this.size(d)) !== undefined) return this.driver.syncLater(blobDir(d), batch);
    await this.driver.move(uploadData, blobDataPath(d), batch);
  }
}

/** true when the link file exists and names `d` */
export async function readLink(driver: StorageDriver, path: string, d?: Digest): Promise<Digest | undefined> {
  let content: Buffer;
  try {
    content = await driver.getContent(path);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const linked = parseDigest(content.toString('utf8').trim());
  if (!linked) return undefined;
  if (d && (linked.algorithm !== d.algorithm || linked.hex !== d.hex)) return undefined;
  return linked;
}
