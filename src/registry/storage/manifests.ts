// Manifests and tags of one registry: manifests are blobs linked under
// _manifests/revisions, tags are links under _manifests/tags/<tag>/current
// (with the history distribution keeps in tags/<tag>/index).
import { regError } from '../api/errors.js';
import { readLink, type BlobStore } from './blobs.js';
import { digestOf, digestString, type Digest } from './digest.js';
import { isNotFound, type StorageDriver, type SyncBatch } from './driver.js';
import { parseManifest, sniffMediaType, summarize, type Descriptor } from './manifest-types.js';
import { KeyedMutex } from './mutex.js';
import {
  manifestsPath, layersPath, repoPath, revisionLinkDir, revisionLinkPath, revisionsPath, tagCurrentLinkPath,
  tagIndexLinkPath, tagPath, tagsPath, uploadsPath,
} from './paths.js';

export interface StoredManifest {
  digest: Digest;
  body: Buffer;
  mediaType: string;
}

export type Reference = { tag: string } | { digest: Digest };

type Summary = ReturnType<typeof summarize> & { size: number };
/** manifests are immutable, so what a digest's manifest says never goes stale */
const SUMMARY_CACHE_LIMIT = 50_000;

export class ManifestStore {
  private tagLocks = new KeyedMutex();
  private summaries = new Map<string, Summary>();
  private bodies = new BoundedCache<{ body: Buffer; mediaType: string }>(8 * 1024 * 1024);

  constructor(private driver: StorageDriver, private blobs: BlobStore) {}

  /** validates and stores a manifest; refuses references the repository cannot resolve */
  async put(name: string, ref: Reference, body: Buffer, contentType: string | undefined): Promise<{ digest: Digest; subject?: Descriptor }> {
    const algorithm = 'digest' in ref ? ref.digest.algorithm : 'sha256';
    const digest = digestOf(algorithm, body);
    if ('digest' in ref && ref.digest.hex !== digest.hex) {
      throw regError('DIGEST_INVALID', { expected: digestString(ref.digest), actual: digestString(digest) });
    }
    const parsed = parseManifest(body, contentType);
    for (const b of parsed.blobs) {
      if ((await this.blobs.linkedSize(name, b)) === undefined) throw regError('MANIFEST_BLOB_UNKNOWN', { digest: digestString(b) });
    }
    for (const c of parsed.children) {
      if (!(await this.exists(name, c))) throw regError('MANIFEST_BLOB_UNKNOWN', { digest: digestString(c) });
    }
    // Three steps, each a set of fsyncs run together: the manifest's bytes (and the tag's
    // new current link, still under a temp name); the manifest made visible with its
    // revision link (and the tag's history entry); then the tag moved onto it, so a tag
    // never names a manifest that a crash could lose.
    const tagging = 'tag' in ref ? await this.startTag(name, ref.tag, digest) : undefined;
    try {
      const batch = this.driver.batch();
      await Promise.all([this.blobs.putVerified(digest, body, batch), tagging?.sync()]);
      await this.driver.putDerived(revisionLinkPath(name, digest), digestString(digest), batch);
      await tagging?.index(batch);
      await batch.flush();
      await tagging?.move();
    } catch (e) {
      await tagging?.cancel();
      throw e;
    }
    return { digest, subject: parsed.subject };
  }

  /** points a tag at a manifest already in the repository */
  async tag(name: string, tag: string, d: Digest): Promise<void> {
    const tagging = await this.startTag(name, tag, d);
    try {
      const batch = this.driver.batch();
      await tagging.index(batch);
      await Promise.all([tagging.sync(), batch.flush()]);
      await tagging.move();
    } catch (e) {
      await tagging.cancel();
      throw e;
    }
  }

  /** a tag's new current link, written under a temp name until move() */
  private async startTag(name: string, tag: string, d: Digest) {
    const current = await this.driver.writer(tagCurrentLinkPath(name, tag), false);
    try {
      await current.write(Buffer.from(digestString(d)));
    } catch (e) {
      await current.cancel();
      throw e;
    }
    return {
      sync: () => current.sync(),
      index: (batch: SyncBatch) => this.driver.putDerived(tagIndexLinkPath(name, tag, d), digestString(d), batch),
      move: () => this.tagLocks.run(`${name}\0${tag}`, () => current.commit()),
      cancel: () => current.cancel(),
    };
  }

  async exists(name: string, d: Digest): Promise<boolean> {
    return (await readLink(this.driver, revisionLinkPath(name, d), d)) !== undefined && (await this.blobs.size(d)) !== undefined;
  }

  async resolve(name: string, ref: Reference): Promise<Digest | undefined> {
    const d = 'digest' in ref ? ref.digest : await readLink(this.driver, tagCurrentLinkPath(name, ref.tag));
    return d && (await this.exists(name, d)) ? d : undefined;
  }

  async get(name: string, ref: Reference): Promise<StoredManifest | undefined> {
    const d = 'digest' in ref ? ref.digest : await readLink(this.driver, tagCurrentLinkPath(name, ref.tag));
    if (!d || !(await readLink(this.driver, revisionLinkPath(name, d), d))) return undefined;
    // a manifest's bytes never change for its digest: only the repository's link is read each time
    const cached = this.bodies.get(digestString(d));
    if (cached) return { digest: d, ...cached };
    try {
      const body = await this.blobs.read(d);
      const m = { body, mediaType: sniffMediaType(JSON.parse(body.toString('utf8'))) };
      this.bodies.set(digestString(d), m, body.length);
      return { digest: d, ...m };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** removes the revision and every tag that points at it; false when there was none */
  async deleteByDigest(name: string, d: Digest): Promise<boolean> {
    if (!(await readLink(this.driver, revisionLinkPath(name, d), d))) return false;
    for (const tag of (await this.tags(name)) ?? []) {
      const current = await readLink(this.driver, tagCurrentLinkPath(name, tag));
      if (current && current.algorithm === d.algorithm && current.hex === d.hex) await this.deleteTag(name, tag);
    }
    await this.driver.delete(revisionLinkDir(name, d)).catch(ignoreNotFound);
    return true;
  }

  /** removes the tag only: the manifest stays reachable by digest */
  async deleteTag(name: string, tag: string): Promise<boolean> {
    return this.tagLocks.run(`${name}\0${tag}`, async () => {
      if (!(await readLink(this.driver, tagCurrentLinkPath(name, tag)))) return false;
      await this.driver.delete(tagPath(name, tag)).catch(ignoreNotFound);
      return true;
    });
  }

  /** the repository's tags in lexical order; undefined when the repository is unknown */
  async tags(name: string): Promise<string[] | undefined> {
    try {
      const dirs = (await this.driver.list(tagsPath(name))).map(basename);
      // a tag exists once its current link does: a write killed before its rename leaves only the directory
      const linked = await Promise.all(dirs.map(async (t) => (await readLink(this.driver, tagCurrentLinkPath(name, t))) !== undefined));
      return dirs.filter((_, i) => linked[i]).sort();
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return (await repositoryExists(this.driver, name)) ? [] : undefined;
  }

  /** descriptors of the manifests in `name` whose subject is `subject` (a scan of the revisions) */
  async referrers(name: string, subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const target = digestString(subject);
    const out: Descriptor[] = [];
    for (const d of await this.revisions(name)) {
      const s = await this.summary(d);
      if (!s || s.subject !== target) continue;
      if (artifactType !== undefined && s.artifactType !== artifactType) continue;
      const desc: Descriptor = { mediaType: s.mediaType, digest: digestString(d), size: s.size };
      if (s.artifactType) desc.artifactType = s.artifactType;
      if (s.annotations) desc.annotations = s.annotations;
      out.push(desc);
    }
    return out;
  }

  private async revisions(name: string): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const alg of await this.driver.list(revisionsPath(name)).catch(emptyIfNotFound)) {
      const algorithm = basename(alg);
      if (algorithm !== 'sha256' && algorithm !== 'sha512') continue;
      for (const hex of await this.driver.list(alg).catch(emptyIfNotFound)) out.push({ algorithm, hex: basename(hex) });
    }
    return out;
  }

  private async summary(d: Digest): Promise<Summary | undefined> {
    const k = digestString(d);
    const cached = this.summaries.get(k);
    if (cached) return cached;
    let body: Buffer;
    try {
      body = await this.blobs.read(d);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    if (this.summaries.size >= SUMMARY_CACHE_LIMIT) this.summaries.clear();
    const s = { ...summarize(body), size: body.length };
    this.summaries.set(k, s);
    return s;
  }
}

/** least recently used entries go first once the bytes held pass the bound */
class BoundedCache<V> {
  private entries = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(private maxBytes: number) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    if (bytes > this.maxBytes / 8 || this.entries.has(key)) return;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }
}

/** a repository exists once anything was pushed to it (an upload, a blob link or a manifest) */
export async function repositoryExists(driver: StorageDriver, name: string): Promise<boolean> {
  for (const p of [manifestsPath(name), layersPath(name), uploadsPath(name)]) {
    try {
      if ((await driver.stat(p)).isDir) return true;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return false;
}

/** every repository holding manifests, in lexical order (distribution's catalog walk) */
export async function listRepositories(driver: StorageDriver): Promise<string[]> {
  const root = repoPath('').slice(0, -1);
  const names: string[] = [];
  await driver.walk(root, (info) => {
    if (!info.isDir) return false;
    const base = basename(info.path);
    if (!base.startsWith('_')) return;
    if (base === '_manifests') names.push(info.path.slice(root.length + 1, -'/_manifests'.length));
    return false;
  });
  return names.sort();
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const ignoreNotFound = (e: unknown) => {
  if (!isNotFound(e)) throw e;
};
const emptyIfNotFound = (e: unknown): string[] => {
  if (isNotFound(e)) return [];
  throw e;
};
