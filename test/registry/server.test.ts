// Server-level behaviour: sessions across a restart, expiry, delete disabled, auth.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushImage, request, sha256, startRegistry, tempRoot } from './helpers.js';

const OCTET = { 'Content-Type': 'application/octet-stream' };

describe('registry server', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ root, cleanup } = await tempRoot()));
  after(() => cleanup());

  it('resumes a chunked upload after a restart on the same root', async () => {
    const data = randomBytes(200_000);
    let reg = await startRegistry(root);
    const p = await request(reg.port, 'POST', '/v2/resume/blobs/uploads/');
    const loc = p.headers.location!;
    await request(reg.port, 'PATCH', loc, data.subarray(0, 120_000), { ...OCTET, 'Content-Range': '0-119999' });
    await reg.close();
    reg = await startRegistry(root);
    try {
      const st = await request(reg.port, 'GET', loc);
      assert.equal(st.status, 204);
      assert.equal(st.headers.range, '0-119999');
      const c = await request(reg.port, 'PATCH', loc, data.subarray(120_000), { ...OCTET, 'Content-Range': '120000-199999' });
      assert.equal(c.status, 202);
      const fin = await request(reg.port, 'PUT', `${loc}?digest=${sha256(data)}`);
      assert.equal(fin.status, 201, 'the digest is verified by hashing the data again');
      assert.deepEqual((await request(reg.port, 'GET', `/v2/resume/blobs/${sha256(data)}`)).body, data);
    } finally {
      await reg.close();
    }
  });

  it('expires upload sessions after the configured time', async () => {
    const reg = await startRegistry(root, { uploadExpirySeconds: 60 });
    try {
      const p = await request(reg.port, 'POST', '/v2/expire/blobs/uploads/');
      const id = p.headers['docker-upload-uuid'] as string;
      assert.equal((await request(reg.port, 'GET', p.headers.location!)).status, 204);
      const startedat = join(root, 'docker/registry/v2/repositories/expire/_uploads', id, 'startedat');
      await writeFile(startedat, '2000-01-01T00:00:00Z');
      const r = await request(reg.port, 'GET', p.headers.location!);
      assert.equal(r.status, 404);
      assert.equal(r.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    } finally {
      await reg.close();
    }
  });

  it('answers DELETE with 405 UNSUPPORTED when deletion is disabled', async () => {
    const reg = await startRegistry(root, { deleteEnabled: false });
    try {
      const img = await pushImage(reg.port, 'nodelete', 'v1');
      for (const p of [`/v2/nodelete/manifests/${img.digest}`, '/v2/nodelete/manifests/v1', `/v2/nodelete/blobs/${img.layerDigest}`]) {
        const r = await request(reg.port, 'DELETE', p);
        assert.equal(r.status, 405, p);
        assert.equal(r.json().errors[0].code, 'UNSUPPORTED');
      }
      assert.equal((await request(reg.port, 'GET', '/v2/nodelete/manifests/v1')).status, 200);
    } finally {
      await reg.close();
    }
  });

  it('asks for credentials with 401 and WWW-Authenticate when an authenticator is set', async () => {
    const good = `Basic ${Buffer.from('u:p').toString('base64')}`;
    const reg = await startRegistry(root, { auth: { realm: 'cloudlet', check: async (h) => h === good } });
    try {
      for (const headers of [{}, { Authorization: 'Basic d3Jvbmc6d3Jvbmc=' }] as Array<Record<string, string>>) {
        const r = await request(reg.port, 'GET', '/v2/', undefined, headers);
        assert.equal(r.status, 401);
        assert.equal(r.headers['www-authenticate'], 'Basic realm="cloudlet"');
        assert.equal(r.json().errors[0].code, 'UNAUTHORIZED');
        assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
      }
      assert.equal((await request(reg.port, 'POST', '/v2/x/blobs/uploads/', 'data', OCTET)).status, 401);
      assert.equal((await request(reg.port, 'GET', '/v2/', undefined, { Authorization: good })).status, 200);
    } finally {
      await reg.close();
    }
  });
});
