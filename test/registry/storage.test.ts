// The filesystem driver and distribution's layout, below the HTTP API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidPathError, PathNotFoundError } from '../../src/registry/storage/driver.js';
import { FilesystemDriver } from '../../src/registry/storage/filesystem.js';
import { blobDataPath, isValidName, layerLinkPath, revisionLinkPath, tagCurrentLinkPath, tagIndexLinkPath, uploadDataPath, uploadStartedAtPath } from '../../src/registry/storage/paths.js';
import { tempRoot } from './helpers.js';

const HEX = 'ab'.repeat(32);
const D = { algorithm: 'sha256' as const, hex: HEX };

describe('registry storage', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let fs: FilesystemDriver;
  before(async () => {
    ({ root, cleanup } = await tempRoot());
    fs = new FilesystemDriver(root);
  });
  after(() => cleanup());

  it('lays paths out as distribution does', () => {
    const v2 = '/docker/registry/v2';
    assert.equal(blobDataPath(D), `${v2}/blobs/sha256/ab/${HEX}/data`);
    assert.equal(layerLinkPath('a/b', D), `${v2}/repositories/a/b/_layers/sha256/${HEX}/link`);
    assert.equal(revisionLinkPath('a', D), `${v2}/repositories/a/_manifests/revisions/sha256/${HEX}/link`);
    assert.equal(tagCurrentLinkPath('a', 'v1'), `${v2}/repositories/a/_manifests/tags/v1/current/link`);
    assert.equal(tagIndexLinkPath('a', 'v1', D), `${v2}/repositories/a/_manifests/tags/v1/index/sha256/${HEX}/link`);
    assert.equal(uploadDataPath('a', 'u'), `${v2}/repositories/a/_uploads/u/data`);
    assert.equal(uploadStartedAtPath('a', 'u'), `${v2}/repositories/a/_uploads/u/startedat`);
  });

  it('validates repository names by the spec grammar and length', () => {
    for (const ok of ['a', 'a/b', 'library/busybox', 'a.b_c__d---e/f0', 'x'.repeat(255)]) assert.ok(isValidName(ok), ok);
    for (const bad of ['', 'A', 'a/../b', '..', 'a//b', '/a', 'a/', '_a', 'a/_manifests', 'a%2Fb', 'a\\b', 'x'.repeat(256), 'a/.b', 'a..b']) {
      assert.ok(!isValidName(bad), bad);
    }
  });

  it('puts, reads, lists, moves and deletes', async () => {
    await fs.putContent('/d/one', 'hello');
    assert.equal((await fs.getContent('/d/one')).toString(), 'hello');
    await fs.putContent('/d/one', 'replaced');
    assert.equal((await readFile(join(root, 'd/one'))).toString(), 'replaced');
    assert.deepEqual(await fs.list('/d'), ['/d/one']);
    await fs.move('/d/one', '/e/two');
    assert.equal((await fs.stat('/e/two')).size, 8);
    await assert.rejects(fs.stat('/d/one'), PathNotFoundError);
    const seen: string[] = [];
    await fs.walk('/', (i) => void seen.push(i.path));
    assert.deepEqual(seen, ['/d', '/e', '/e/two']);
    await fs.delete('/e');
    await assert.rejects(fs.getContent('/e/two'), PathNotFoundError);
  });

  it('reads ranges as streams', async () => {
    await fs.putContent('/r', '0123456789');
    const chunks: Buffer[] = [];
    for await (const c of await fs.reader('/r', 3, 5)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), '345');
  });

  it('a new file is invisible until commit, and cancel leaves nothing', async () => {
    const w = await fs.writer('/w/file', false);
    await w.write(Buffer.from('partial'));
    await assert.rejects(fs.stat('/w/file'), PathNotFoundError);
    assert.deepEqual(await fs.list('/w'), []); // the temp file is not listed
    await w.cancel();
    assert.deepEqual(await readdir(join(root, 'w')), []);
    const w2 = await fs.writer('/w/file', false);
    await w2.write(Buffer.from('whole'));
    await w2.commit();
    assert.equal((await fs.getContent('/w/file')).toString(), 'whole');
  });

  it('an appending writer continues the file, and cancel cuts it back', async () => {
    await fs.putContent('/a/data', 'abc');
    const w = await fs.writer('/a/data', true);
    assert.equal(w.size(), 3);
    await w.write(Buffer.from('def'));
    await w.commit();
    const w2 = await fs.writer('/a/data', true);
    await w2.write(Buffer.from('xyz'));
    await w2.cancel();
    assert.equal((await fs.getContent('/a/data')).toString(), 'abcdef');
  });

  it('refuses paths that could leave the root', async () => {
    for (const p of ['/../x', '/a/../../x', 'relative', '/a//b', '/./a', '/a\0b', '/a\\..\\b']) {
      await assert.rejects(fs.putContent(p, 'x'), InvalidPathError, p);
      await assert.rejects(fs.getContent(p), InvalidPathError, p);
    }
    await assert.rejects(fs.delete('/'), InvalidPathError);
  });
});
