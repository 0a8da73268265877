// Blob pulls and every upload flavour, over real HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBlob, request, sha256, sha512, startRegistry, tempRoot, type Running } from './helpers.js';

const V2 = 'docker/registry/v2';
const OCTET = { 'Content-Type': 'application/octet-stream' };

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

describe('registry blobs and uploads', () => {
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

  it('GET /v2/ answers with the API version header', async () => {
    const r = await request(reg.port, 'GET', '/v2/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('monolithic POST ?digest= stores the blob in distribution\'s layout', async () => {
    const data = randomBytes(5000);
    const d = sha256(data);
    const r = await request(reg.port, 'POST', `/v2/mono/blobs/uploads/?digest=${d}`, data, OCTET);
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, `/v2/mono/blobs/${d}`);
    assert.equal(r.headers['docker-content-digest'], d);
    const hex = d.slice(7);
    assert.ok(await exists(join(reg.root, V2, 'blobs/sha256', hex.slice(0, 2), hex, 'data')));
    const link = join(reg.root, V2, 'repositories/mono/_layers/sha256', hex, 'link');
    assert.equal(await readFile(link, 'utf8'), d, 'a link holds the digest string');
    const g = await request(reg.port, 'GET', `/v2/mono/blobs/${d}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, data);
    assert.equal(g.headers['docker-content-digest'], d);
    const h = await request(reg.port, 'HEAD', `/v2/mono/blobs/${d}`);
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '5000');
    assert.equal(h.body.length, 0);
  });

  it('answers Range requests with 206, and unsatisfiable ones with 416', async () => {
    const data = randomBytes(4000);
    const d = await pushBlob(reg.port, 'ranges', data);
    const cases: Array<[string, number, number]> = [['bytes=500-1499', 500, 1499], ['bytes=500-', 500, 3999], ['bytes=-500', 3500, 3999], ['bytes=2000-5000', 2000, 3999]];
    for (const [range, start, end] of cases) {
      const r = await request(reg.port, 'GET', `/v2/ranges/blobs/${d}`, undefined, { Range: range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/4000`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.deepEqual(r.body, data.subarray(start, end + 1));
    }
    for (const range of ['bytes=500-0', 'bytes=5000-10000']) {
      const r = await request(reg.port, 'GET', `/v2/ranges/blobs/${d}`, undefined, { Range: range });
      assert.equal(r.status, 416, range);
      assert.equal(r.json().errors[0].code, 'RANGE_INVALID');
    }
  });

  it('unknown blobs and bad digests', async () => {
    const missing = sha256('nope');
    const r = await request(reg.port, 'GET', `/v2/ranges/blobs/${missing}`);
    assert.equal(r.status, 404);
    assert.equal(r.json().errors[0].code, 'BLOB_UNKNOWN');
    assert.equal((await request(reg.port, 'HEAD', `/v2/ranges/blobs/${missing}`)).status, 404);
    const bad = await request(reg.port, 'GET', '/v2/ranges/blobs/sha256:garbage');
    assert.equal(bad.status, 400);
    assert.equal(bad.json().errors[0].code, 'DIGEST_INVALID');
  });

  it('a wrong digest is refused and nothing is stored', async () => {
    const data = Buffer.from('the real content');
    const claimed = sha256('something else');
    const r = await request(reg.port, 'POST', `/v2/wrong/blobs/uploads/?digest=${claimed}`, data, OCTET);
    assert.equal(r.status, 400);
    assert.equal(r.json().errors[0].code, 'DIGEST_INVALID');
    for (const dg of [claimed, sha256(data)]) {
      const hex = dg.slice(7);
      assert.ok(!(await exists(join(reg.root, V2, 'blobs/sha256', hex.slice(0, 2), hex))));
    }
    assert.ok(!(await exists(join(reg.root, V2, 'repositories/wrong'))), 'a refused push leaves no repository behind');
    assert.equal((await request(reg.port, 'HEAD', `/v2/wrong/blobs/${claimed}`)).status, 404);
  });

  it('POST then PUT, and sha512', async () => {
    const data = randomBytes(3000);
    const d = sha512(data);
    const p = await request(reg.port, 'POST', '/v2/two/blobs/uploads/');
    assert.equal(p.status, 202);
    assert.match(p.headers.location!, /^\/v2\/two\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(p.headers.range, '0-0');
    assert.ok(p.headers['docker-upload-uuid']);
    const put = await request(reg.port, 'PUT', `${p.headers.location}?digest=${d}`, data, OCTET);
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/two/blobs/${d}`);
    const g = await request(reg.port, 'GET', `/v2/two/blobs/${d}`);
    assert.deepEqual(g.body, data);
    // the session is gone once completed
    assert.equal((await request(reg.port, 'GET', p.headers.location!)).status, 404);
  });

  it('chunked PATCH with Content-Range; out-of-order and replayed chunks get 416 and the current Range', async () => {
    const data = randomBytes(3000);
    const p = await request(reg.port, 'POST', '/v2/chunks/blobs/uploads/');
    const loc = p.headers.location!;
    const c1 = await request(reg.port, 'PATCH', loc, data.subarray(0, 1000), { ...OCTET, 'Content-Range': '0-999' });
    assert.equal(c1.status, 202);
    assert.equal(c1.headers.range, '0-999');
    assert.equal(c1.headers.location, loc);
    const skip = await request(reg.port, 'PATCH', loc, data.subarray(2000), { ...OCTET, 'Content-Range': '2000-2999' });
    assert.equal(skip.status, 416);
    assert.equal(skip.headers.range, '0-999');
    assert.equal(skip.headers.location, loc);
    const replay = await request(reg.port, 'PATCH', loc, data.subarray(0, 1000), { ...OCTET, 'Content-Range': '0-999' });
    assert.equal(replay.status, 416);
    assert.equal(replay.headers.range, '0-999');
    const lying = await request(reg.port, 'PATCH', loc, data.subarray(1000, 1500), { ...OCTET, 'Content-Range': '1000-1999' });
    assert.equal(lying.status, 416, 'a chunk shorter than its range is refused and not kept');
    const st = await request(reg.port, 'GET', loc);
    assert.equal(st.status, 204);
    assert.equal(st.headers.range, '0-999');
    const c2 = await request(reg.port, 'PATCH', loc, data.subarray(1000, 2000), { ...OCTET, 'Content-Range': '1000-1999' });
    assert.equal(c2.headers.range, '0-1999');
    const fin = await request(reg.port, 'PUT', `${loc}?digest=${sha256(data)}`, data.subarray(2000), { ...OCTET, 'Content-Range': '2000-2999' });
    assert.equal(fin.status, 201);
    assert.deepEqual((await request(reg.port, 'GET', `/v2/chunks/blobs/${sha256(data)}`)).body, data);
  });

  it('a streamed PATCH without Content-Range appends', async () => {
    const p = await request(reg.port, 'POST', '/v2/stream/blobs/uploads/');
    await request(reg.port, 'PATCH', p.headers.location!, 'abc', OCTET);
    const c = await request(reg.port, 'PATCH', p.headers.location!, 'def', OCTET);
    assert.equal(c.headers.range, '0-5');
    const fin = await request(reg.port, 'PUT', `${p.headers.location}?digest=${sha256('abcdef')}`);
    assert.equal(fin.status, 201);
  });

  it('a PUT with a wrong digest ends the session and stores nothing', async () => {
    const p = await request(reg.port, 'POST', '/v2/wrongput/blobs/uploads/');
    await request(reg.port, 'PATCH', p.headers.location!, 'abc', { ...OCTET, 'Content-Range': '0-2' });
    const fin = await request(reg.port, 'PUT', `${p.headers.location}?digest=${sha256('abd')}`);
    assert.equal(fin.status, 400);
    assert.equal(fin.json().errors[0].code, 'DIGEST_INVALID');
    assert.equal((await request(reg.port, 'GET', p.headers.location!)).status, 404);
    assert.equal((await request(reg.port, 'HEAD', `/v2/wrongput/blobs/${sha256('abc')}`)).status, 404);
    const noDigest = await request(reg.port, 'PUT', (await request(reg.port, 'POST', '/v2/wrongput/blobs/uploads/')).headers.location!);
    assert.equal(noDigest.json().errors[0].code, 'DIGEST_INVALID');
  });

  it('cancel with DELETE, and unknown sessions', async () => {
    const p = await request(reg.port, 'POST', '/v2/cancel/blobs/uploads/');
    assert.equal((await request(reg.port, 'DELETE', p.headers.location!)).status, 204);
    const again = await request(reg.port, 'GET', p.headers.location!);
    assert.equal(again.status, 404);
    assert.equal(again.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await request(reg.port, 'PATCH', '/v2/cancel/blobs/uploads/not-a-uuid', 'x')).status, 404);
    // a session belongs to its repository
    const q = await request(reg.port, 'POST', '/v2/cancel/blobs/uploads/');
    const other = q.headers.location!.replace('/v2/cancel/', '/v2/other/');
    assert.equal((await request(reg.port, 'GET', other)).status, 404);
  });

  it('mounts a blob from another repository, and falls back to a session when it cannot', async () => {
    const d = await pushBlob(reg.port, 'source', 'shared layer');
    const m = await request(reg.port, 'POST', `/v2/target/blobs/uploads/?mount=${d}&from=source`);
    assert.equal(m.status, 201);
    assert.equal(m.headers.location, `/v2/target/blobs/${d}`);
    assert.equal(m.headers['docker-content-digest'], d);
    assert.equal((await request(reg.port, 'GET', `/v2/target/blobs/${d}`)).body.toString(), 'shared layer');
    const miss = await request(reg.port, 'POST', `/v2/target/blobs/uploads/?mount=${sha256('absent')}&from=source`);
    assert.equal(miss.status, 202);
    assert.ok(miss.headers.location);
    // a blob is visible only in repositories that link it
    assert.equal((await request(reg.port, 'HEAD', `/v2/elsewhere/blobs/${d}`)).status, 404);
  });

  it('DELETE unlinks the blob from the repository only', async () => {
    const d = await pushBlob(reg.port, 'del1', 'to delete');
    await request(reg.port, 'POST', `/v2/del2/blobs/uploads/?mount=${d}&from=del1`);
    const r = await request(reg.port, 'DELETE', `/v2/del1/blobs/${d}`);
    assert.equal(r.status, 202);
    assert.equal((await request(reg.port, 'HEAD', `/v2/del1/blobs/${d}`)).status, 404);
    assert.equal((await request(reg.port, 'HEAD', `/v2/del2/blobs/${d}`)).status, 200);
    assert.equal((await request(reg.port, 'DELETE', `/v2/del1/blobs/${d}`)).json().errors[0].code, 'BLOB_UNKNOWN');
  });
});
