// Manifests, tags, referrers, catalog and repository names, over real HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, request, sha256, startRegistry, tempRoot, type Running } from './helpers.js';

const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

describe('registry manifests, tags and referrers', () => {
  let reg: Running;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    reg = await startRegistry(t.root);
  });
  after(async () => {
    await reg.close();
    await cleanup();
  });
  const req = (method: string, path: string, body?: Buffer | string, headers?: Record<string, string>) => request(reg.port, method, path, body, headers);

  it('pushes and pulls by tag and by digest, with the spec\'s headers', async () => {
    const img = await pushImage(reg.port, 'app/web', 'v1');
    assert.equal(img.res.headers.location, `/v2/app/web/manifests/${img.digest}`);
    assert.equal(img.res.headers['docker-content-digest'], img.digest);
    for (const ref of ['v1', img.digest]) {
      const g = await req('GET', `/v2/app/web/manifests/${ref}`, undefined, { Accept: OCI_MANIFEST });
      assert.equal(g.status, 200);
      assert.equal(g.headers['content-type'], OCI_MANIFEST);
      assert.equal(g.headers['docker-content-digest'], img.digest);
      assert.deepEqual(g.body, img.manifest);
      const h = await req('HEAD', `/v2/app/web/manifests/${ref}`, undefined, { Accept: OCI_MANIFEST });
      assert.equal(h.status, 200);
      assert.equal(h.headers['content-length'], String(img.manifest.length));
    }
  });

  it('negotiates over Accept: an OCI manifest is not served to a client that accepts only Docker types', async () => {
    const no = await req('GET', '/v2/app/web/manifests/v1', undefined, { Accept: DOCKER_V2 });
    assert.equal(no.status, 404);
    assert.equal(no.json().errors[0].code, 'MANIFEST_UNKNOWN');
    assert.equal((await req('GET', '/v2/app/web/manifests/v1', undefined, { Accept: `${DOCKER_V2}, ${OCI_MANIFEST}` })).status, 200);
    assert.equal((await req('GET', '/v2/app/web/manifests/v1', undefined, { Accept: '*/*' })).status, 200);
  });

  it('accepts Docker schema 2 manifests and OCI indexes whose children exist', async () => {
    const config = await pushBlob(reg.port, 'multi', '{"os":"linux"}');
    const body = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_V2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 14 }, layers: [] });
    const put = await req('PUT', '/v2/multi/manifests/docker', body, { 'Content-Type': DOCKER_V2 });
    assert.equal(put.status, 201);
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: DOCKER_V2, digest: sha256(body), size: body.length }] });
    assert.equal((await req('PUT', '/v2/multi/manifests/index', index, { 'Content-Type': OCI_INDEX })).status, 201);
    const g = await req('GET', '/v2/multi/manifests/index', undefined, { Accept: OCI_INDEX });
    assert.equal(g.headers['content-type'], OCI_INDEX);
  });

  it('refuses unknown blobs and child manifests with MANIFEST_BLOB_UNKNOWN', async () => {
    const missing = sha256('missing');
    const m = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x/y', digest: missing, size: 7 }, layers: [] });
    const r = await req('PUT', '/v2/refuse/manifests/t', m, { 'Content-Type': OCI_MANIFEST });
    assert.equal(r.status, 400);
    assert.equal(r.json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    const idx = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: missing, size: 7 }] });
    assert.equal((await req('PUT', '/v2/refuse/manifests/t', idx, { 'Content-Type': OCI_INDEX })).json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    // a blob of another repository does not count
    const other = await pushBlob(reg.port, 'elsewhere', 'cfg');
    const m2 = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x/y', digest: other, size: 3 }, layers: [] });
    assert.equal((await req('PUT', '/v2/refuse/manifests/t', m2, { 'Content-Type': OCI_MANIFEST })).json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    assert.equal((await req('GET', '/v2/refuse/manifests/t')).status, 404);
  });

  it('refuses invalid manifests, a digest mismatch and bodies over 4 MiB', async () => {
    const bad = await req('PUT', '/v2/refuse/manifests/t', 'not json', { 'Content-Type': OCI_MANIFEST });
    assert.equal(bad.json().errors[0].code, 'MANIFEST_INVALID');
    const img = await pushImage(reg.port, 'refuse', 'ok');
    const wrong = await req('PUT', `/v2/refuse/manifests/${sha256('other')}`, img.manifest, { 'Content-Type': OCI_MANIFEST });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json().errors[0].code, 'DIGEST_INVALID');
    const byDigest = await req('PUT', `/v2/refuse/manifests/${img.digest}`, img.manifest, { 'Content-Type': OCI_MANIFEST });
    assert.equal(byDigest.status, 201);
    const huge = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    assert.equal((await req('PUT', '/v2/refuse/manifests/huge', huge, { 'Content-Type': OCI_MANIFEST })).status, 413);
    assert.equal((await req('PUT', '/v2/refuse/manifests/sha256:baddigeststring', img.manifest, { 'Content-Type': OCI_MANIFEST })).status, 400);
    assert.ok([400, 404].includes((await req('GET', '/v2/refuse/manifests/sha256:baddigeststring')).status));
    assert.equal((await req('GET', '/v2/refuse/manifests/.INVALID_MANIFEST_NAME')).status, 404);
    assert.equal((await req('GET', '/v2/refuse/manifests/missing-tag')).json().errors[0].code, 'MANIFEST_UNKNOWN');
  });

  it('deletes a tag alone, and a digest with its tags', async () => {
    const img = await pushImage(reg.port, 'deletes', 'a');
    await req('PUT', '/v2/deletes/manifests/b', img.manifest, { 'Content-Type': OCI_MANIFEST });
    assert.equal((await req('DELETE', '/v2/deletes/manifests/a')).status, 202);
    assert.equal((await req('GET', '/v2/deletes/manifests/a')).status, 404);
    assert.equal((await req('GET', `/v2/deletes/manifests/${img.digest}`)).status, 200, 'the manifest outlives its tag');
    assert.deepEqual((await req('GET', '/v2/deletes/tags/list')).json().tags, ['b']);
    assert.equal((await req('DELETE', '/v2/deletes/manifests/a')).status, 404);
    assert.equal((await req('DELETE', `/v2/deletes/manifests/${img.digest}`)).status, 202);
    assert.equal((await req('GET', `/v2/deletes/manifests/${img.digest}`)).status, 404);
    assert.equal((await req('GET', '/v2/deletes/manifests/b')).status, 404);
    assert.deepEqual((await req('GET', '/v2/deletes/tags/list')).json().tags, []);
    assert.equal((await req('DELETE', `/v2/deletes/manifests/${img.digest}`)).json().errors[0].code, 'MANIFEST_UNKNOWN');
  });

  it('sets OCI-Subject and lists referrers, filtered by artifactType', async () => {
    const base = await pushImage(reg.port, 'refs', 'base');
    const subject = { mediaType: OCI_MANIFEST, digest: base.digest, size: base.manifest.length };
    const sbom = await pushImage(reg.port, 'refs', sha256('sbom').replace(':', '-').slice(0, 60), { artifactType: 'application/vnd.example.sbom', subject, annotations: { k: 'v' } }, 'sbom');
    assert.equal(sbom.res.headers['oci-subject'], base.digest);
    const sig = await pushImage(reg.port, 'refs', 'sig', { subject }, 'sig');
    const all = await req('GET', `/v2/refs/referrers/${base.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], OCI_INDEX);
    const index = all.json();
    assert.equal(index.mediaType, OCI_INDEX);
    const byDigest = Object.fromEntries(index.manifests.map((m: any) => [m.digest, m]));
    assert.deepEqual(Object.keys(byDigest).sort(), [sbom.digest, sig.digest].sort());
    assert.deepEqual(byDigest[sbom.digest], { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.manifest.length, artifactType: 'application/vnd.example.sbom', annotations: { k: 'v' } });
    assert.equal(byDigest[sig.digest].artifactType, 'application/vnd.oci.image.config.v1+json', 'an image reports its config type');
    const filtered = await req('GET', `/v2/refs/referrers/${base.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json().manifests.map((m: any) => m.digest), [sbom.digest]);
    const none = await req('GET', `/v2/never-pushed/referrers/${sha256('x')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json().manifests, []);
    assert.equal((await req('GET', '/v2/refs/referrers/sha256:bad')).status, 400);
  });

  it('lists tags with n/last pagination and Link headers', async () => {
    const img = await pushImage(reg.port, 'paged', 't0');
    for (const t of ['t1', 't2', 't3', 't4']) await req('PUT', `/v2/paged/manifests/${t}`, img.manifest, { 'Content-Type': OCI_MANIFEST });
    assert.deepEqual((await req('GET', '/v2/paged/tags/list')).json(), { name: 'paged', tags: ['t0', 't1', 't2', 't3', 't4'] });
    const p1 = await req('GET', '/v2/paged/tags/list?n=2');
    assert.deepEqual(p1.json().tags, ['t0', 't1']);
    assert.equal(p1.headers.link, '</v2/paged/tags/list?last=t1&n=2>; rel="next"');
    const p3 = await req('GET', '/v2/paged/tags/list?n=2&last=t3');
    assert.deepEqual(p3.json().tags, ['t4']);
    assert.equal(p3.headers.link, undefined);
    const zero = await req('GET', '/v2/paged/tags/list?n=0');
    assert.deepEqual(zero.json().tags, []);
    assert.equal(zero.headers.link, undefined);
    assert.equal((await req('GET', '/v2/paged/tags/list?n=x')).json().errors[0].code, 'PAGINATION_NUMBER_INVALID');
    assert.equal((await req('GET', '/v2/never/tags/list')).json().errors[0].code, 'NAME_UNKNOWN');
    // ?tag= on a push by digest tags it too
    const put = await req('PUT', `/v2/paged/manifests/${img.digest}?tag=t5&tag=t6`, img.manifest, { 'Content-Type': OCI_MANIFEST });
    assert.equal(put.status, 201);
    assert.deepEqual((await req('GET', '/v2/paged/tags/list?last=t4')).json().tags, ['t5', 't6']);
  });

  it('lists the catalog with pagination', async () => {
    const all = (await req('GET', '/v2/_catalog')).json().repositories as string[];
    assert.ok(all.includes('app/web') && all.includes('paged'));
    assert.deepEqual(all, [...all].sort());
    const p1 = await req('GET', '/v2/_catalog?n=2');
    assert.deepEqual(p1.json().repositories, all.slice(0, 2));
    assert.equal(p1.headers.link, `</v2/_catalog?last=${encodeURIComponent(all[1])}&n=2>; rel="next"`);
    assert.deepEqual((await req('GET', `/v2/_catalog?n=100&last=${all[1]}`)).json().repositories, all.slice(2));
  });

  it('refuses invalid names with NAME_INVALID and touches nothing outside the root', async () => {
    const parent = dirname(reg.root);
    const before = (await readdir(parent)).sort();
    const paths = [
      '/v2/../../etc/manifests/latest', '/v2/UPPER/manifests/latest', '/v2/a/../b/tags/list', '/v2/a%2F..%2F..%2Fx/blobs/uploads/',
      '/v2/a//b/tags/list', '/v2/_uploads/tags/list', '/v2/a/_manifests/tags/list', `/v2/${'x'.repeat(256)}/tags/list`, '/v2/./a/blobs/uploads/',
    ];
    for (const p of paths) {
      for (const method of ['GET', 'POST', 'PUT']) {
        const r = await req(method, p, method === 'GET' ? undefined : '{}', { 'Content-Type': OCI_MANIFEST });
        assert.ok([400, 404, 405].includes(r.status), `${method} ${p}: ${r.status}`);
        if (r.status === 400) assert.equal(r.json().errors[0].code, 'NAME_INVALID', `${method} ${p}`);
      }
    }
    for (const p of ['/v2/../../etc/manifests/latest', '/v2/UPPER/manifests/latest', '/v2/a%2F..%2F..%2Fx/blobs/uploads/']) {
      assert.equal((await req('POST', p)).json().errors[0].code, 'NAME_INVALID', p);
    }
    assert.deepEqual((await readdir(parent)).sort(), before);
    assert.ok(!(await readdir(`${reg.root}/docker/registry/v2/repositories`)).includes('UPPER'));
  });
});
