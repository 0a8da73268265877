// Mark and sweep of blobs and manifests no tag or manifest reaches, as
// distribution's `registry garbage-collect`, made safe to run while the
// registry serves: anything written within the grace period (an upload that
// just completed, a layer link made by a push whose manifest is still to
// come, an untagged child manifest of an index being pushed) is kept, and a
// blob is looked at once more right before it is deleted.
import { isNotFound, type FileInfo, type StorageDriver } from './driver.js';
import { digestString, parseDigest, type Digest } from './digest.js';
import { readLink } from './blobs.js';
import { parseManifest } from './manifest-types.js';
import { blobDataPath, blobDir, blobsRoot, layersPath, REPOSITORIES, revisionLinkDir, revisionsPath, tagsPath } from './paths.js';

export interface GcOptions {
  dryRun: boolean;
  /** also delete manifests that no tag reaches (distribution's --delete-untagged) */
  deleteUntagged: boolean;
  /** what is younger than this is in use by a push under way */
  graceSeconds: number;
  now?: Date;
}

export interface GcReport {
  repositories: number;
  blobsKept: number;
  blobsDeleted: string[];
  manifestsDeleted: Array<{ repository: string; digest: string }>;
  /** what writers killed mid-write (a crash, a SIGKILL) left behind, older than the grace period */
  tempFilesDeleted: string[];
}

const key = (d: Digest) => digestString(d);

async function children(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

/** Every link file below a directory, as (digest, mtime). */
async function links(driver: StorageDriver, path: string): Promise<Array<{ digest: Digest; info: FileInfo }>> {
  const out: Array<{ digest: Digest; info: FileInfo }> = [];
  try {
    await driver.walk(path, async (info) => {
      if (info.isDir || !info.path.endsWith('/link')) return;
      const digest = await readLink(driver, info.path);
      if (digest) out.push({ digest, info });
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return out;
}

/** Repositories are the directories holding _manifests or _layers. */
async function repositories(driver: StorageDriver): Promise<string[]> {
  const names: string[] = [];
  try {
    await driver.walk(REPOSITORIES, (info) => {
      if (!info.isDir) return false;
      const base = info.path.slice(info.path.lastIndexOf('/') + 1);
      if (!base.startsWith('_')) return;
      const name = info.path.slice(REPOSITORIES.length + 1, info.path.lastIndexOf('/'));
      if (name && !names.includes(name)) names.push(name);
      return false;
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return names.sort();
}

export async function collectGarbage(driver: StorageDriver, opts: GcOptions): Promise<GcReport> {
  const now = (opts.now ?? new Date()).getTime();
  const recent = (info: FileInfo) => now - info.modTime.getTime() < opts.graceSeconds * 1000;
  const marked = new Set<string>();
  const report: GcReport = { repositories: 0, blobsKept: 0, blobsDeleted: [], manifestsDeleted: [], tempFilesDeleted: [] };

  // mark: from each repository's roots through manifests to their blobs
  for (const repo of await repositories(driver)) {
    report.repositories++;
    const revisions = await links(driver, revisionsPath(repo));
    const inRepo = new Map(revisions.map((r) => [key(r.digest), r]));
    const tagged = (await Promise.all((await children(driver, tagsPath(repo))).map((t) => readLink(driver, `${t}/current/link`))))
      .filter((d): d is Digest => d !== undefined);
    const kept = new Set<string>();
    const subjects = new Map<string, string[]>();
    const parsed = new Map<string, ReturnType<typeof parseManifest> | undefined>();
    const parse = async (d: Digest) => {
      if (!parsed.has(key(d))) {
        try {
          parsed.set(key(d), parseManifest(await driver.getContent(blobDataPath(d)), undefined));
        } catch {
          parsed.set(key(d), undefined); // unreadable or foreign: keep the manifest blob, follow nothing
        }
      }
      return parsed.get(key(d));
    };
    for (const r of revisions) {
      const m = await parse(r.digest);
      if (m?.subject) subjects.set(m.subject.digest, [...(subjects.get(m.subject.digest) ?? []), key(r.digest)]);
    }
    const visit = async (d: Digest): Promise<void> => {
      if (kept.has(key(d))) return;
      kept.add(key(d));
      marked.add(key(d));
      const m = await parse(d);
      for (const b of m?.blobs ?? []) marked.add(key(b));
      for (const c of m?.children ?? []) await visit(c);
      // referrers (signatures, SBOMs) live as long as their subject
      for (const s of subjects.get(key(d)) ?? []) {
        const sd = parseDigest(s);
        if (sd) await visit(sd);
      }
    };
    const roots = opts.deleteUntagged ? [...tagged, ...revisions.filter((r) => recent(r.info)).map((r) => r.digest)] : revisions.map((r) => r.digest);
    for (const d of roots) await visit(d);
    for (const l of await links(driver, layersPath(repo))) if (recent(l.info)) marked.add(key(l.digest));

    if (opts.deleteUntagged) {
      for (const [k, r] of inRepo) {
        if (kept.has(k)) continue;
        report.manifestsDeleted.push({ repository: repo, digest: k });
        if (!opts.dryRun) await driver.delete(revisionLinkDir(repo, r.digest));
      }
    }
  }

  // sweep: every blob nothing marked, unless it is new
  for (const alg of await children(driver, blobsRoot())) {
    for (const prefix of await children(driver, alg)) {
      for (const dir of await children(driver, prefix)) {
        const d = parseDigest(`${alg.slice(alg.lastIndexOf('/') + 1)}:${dir.slice(dir.lastIndexOf('/') + 1)}`);
        if (!d) continue;
        if (marked.has(key(d))) {
          report.blobsKept++;
          continue;
        }
        let info: FileInfo;
        try {
          info = await driver.stat(blobDataPath(d));
        } catch (e) {
          if (isNotFound(e)) continue;
          throw e;
        }
        if (recent(info)) {
          report.blobsKept++;
          continue;
        }
        report.blobsDeleted.push(key(d));
        if (!opts.dryRun) await driver.delete(blobDir(d));
      }
    }
  }

  // temp files of writes that never finished: a live writer's file is younger than the grace period
  for (const t of await driver.abandonedTempFiles(new Date(now - opts.graceSeconds * 1000))) {
    report.tempFilesDeleted.push(t.path);
    if (!opts.dryRun) await driver.delete(t.path).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
  return report;
}
