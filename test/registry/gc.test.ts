// Garbage collection: what a tag reaches stays (its config, layers, index
// children and referrers), what nothing reaches goes, and what was written
// within the grace period stays even when nothing reaches it yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { FilesystemDriver } from '../../src/registry/storage/filesystem.js';
import { collectGarbage } from '../../src/registry/storage/gc.js';
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, request, sha256, startRegistry, tempRoot } from './helpers.js';

const blobFile = (root: string, digest: string) =>
  join(root, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

test('mark and sweep keeps what tags reach and what is new, deletes the rest', async (t) => {
  const { root, cleanup } = await tempRoot();
  t.after(cleanup);
  const reg = await startRegistry(root);
  try {
    const a = await pushImage(reg.port, 'app', 'v1', {}, 'a');
    // a referrer of a (a signature, say): untagged, but lives as long as its subject
    const sigCfg = Buffer.from('{"sig":1}');
    const sigCfgDigest = await pushBlob(reg.port, 'app', sigCfg);
    const sigManifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/example.sig',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sigCfgDigest, size: sigCfg.length }, layers: [],
      subject: { mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length },
    }));
    assert.equal((await request(reg.port, 'PUT', `/v2/app/manifests/${sha256(sigManifest)}`, sigManifest, { 'Content-Type': OCI_MANIFEST })).status, 201);
    // an index tagged, with an untagged child
    const child = await pushImage(reg.port, 'app', 'tmp', {}, 'child');
    assert.equal((await request(reg.port, 'DELETE', '/v2/app/manifests/tmp')).status, 202);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length }] }));
    assert.equal((await request(reg.port, 'PUT', '/v2/app/manifests/multi', index, { 'Content-Type': OCI_INDEX })).status, 201);
    // an untagged image nothing reaches, and an orphan blob
    const old = await pushImage(reg.port, 'app', 'old', {}, 'old');
    assert.equal((await request(reg.port, 'DELETE', '/v2/app/manifests/old')).status, 202);
    const orphan = await pushBlob(reg.port, 'app', 'orphan');
    const fresh = await pushBlob(reg.port, 'app', 'pushed a moment ago');

    const later = new Date(Date.now() + 2 * 3600 * 1000);
    // the fresh blob and its link were written "just now" as seen from `later`
    await utimes(blobFile(root, fresh), later, later);
    await utimes(join(root, 'docker/registry/v2/repositories/app/_layers/sha256', fresh.slice(7), 'link'), later, later);

    const driver = new FilesystemDriver(root);
    const dry = await collectGarbage(driver, { dryRun: true, deleteUntagged: true, graceSeconds: 3600, now: later });
    const expectGone = [old.digest, old.configDigest, old.layerDigest, orphan].sort();
    assert.deepEqual(dry.blobsDeleted.sort(), expectGone);
    assert.deepEqual(dry.manifestsDeleted.map((m) => m.digest), [old.digest]);
    assert.equal((await request(reg.port, 'GET', `/v2/app/blobs/${orphan}`)).status, 200, 'a dry run deletes nothing');

    const report = await collectGarbage(driver, { dryRun: false, deleteUntagged: true, graceSeconds: 3600, now: later });
    assert.deepEqual(report.blobsDeleted.sort(), expectGone);
    for (const d of [orphan, old.layerDigest]) assert.equal((await request(reg.port, 'HEAD', `/v2/app/blobs/${d}`)).status, 404);
    assert.equal((await request(reg.port, 'GET', `/v2/app/manifests/${old.digest}`, undefined, { Accept: OCI_MANIFEST })).status, 404);
    for (const d of [a.configDigest, a.layerDigest, child.layerDigest, sigCfgDigest, fresh]) {
      assert.equal((await request(reg.port, 'HEAD', `/v2/app/blobs/${d}`)).status, 200, `${d} should have been kept`);
    }
    for (const ref of ['v1', 'multi', child.digest, sha256(sigManifest)]) {
      assert.equal((await request(reg.port, 'GET', `/v2/app/manifests/${ref}`, undefined, { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` })).status, 200, `${ref} should have been kept`);
    }

    // without --delete-untagged every manifest revision is a root: nothing more goes
    const again = await collectGarbage(driver, { dryRun: false, deleteUntagged: false, graceSeconds: 0, now: later });
    assert.deepEqual(again.blobsDeleted, [fresh], 'only the no-longer-fresh orphan goes once the grace period is over');
  } finally {
    await reg.close();
  }
});
