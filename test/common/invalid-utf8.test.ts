// Invalid UTF-8 in a request body is refused by every service (400 in its own
// error format), never stored as U+FFFD: Neutron and Keystone decode bodies
// strictly (Python's json.loads), and JSON is UTF-8 by definition (RFC 8259).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { startNetwork } from '../support/network-server.js';
import { request, startRegistry, tempRoot } from '../registry/helpers.js';

/** a JSON body whose string value `marker` is replaced by the bytes given (0xff never occurs in UTF-8) */
const withBytes = (value: unknown, marker: string, bytes: number[]): Buffer => {
  const [head, tail] = JSON.stringify(value).split(marker);
  return Buffer.concat([Buffer.from(head!, 'utf8'), Buffer.from(bytes), Buffer.from(tail!, 'utf8')]);
};
/** the body goes out byte for byte (the JSON helpers would encode a Buffer as JSON) */
async function raw(url: string, method: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(body) });
  return { status: res.status, body: await res.json() };
}
// a lone continuation byte, a truncated sequence, an overlong encoding of '/', a UTF-16 surrogate
const INVALID = [[0xff], [0x80], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80]];

for (const backend of backends()) {
  test(`network: a body with invalid UTF-8 is 400 HTTPBadRequest, nothing stored (${backend.name})`, async (t) => {
    const net = await startNetwork(backend);
    t.after(() => net.close());
    for (const bytes of INVALID) {
      const body = withBytes({ network: { name: 'X' } }, 'X', [0x61, ...bytes]);
      const r = await raw(net.url, 'POST', '/v2.0/networks', body);
      assert.equal(r.status, 400, `${bytes}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.NeutronError.type, 'HTTPBadRequest');
    }
    assert.deepEqual((await net.call('GET', '/v2.0/networks')).body.networks, []);
    // valid multi-byte UTF-8 still goes through, byte for byte
    const ok = await raw(net.url, 'POST', '/v2.0/networks', Buffer.from(JSON.stringify({ network: { name: 'réseau ✓ 𝄞' } }), 'utf8'));
    assert.equal(ok.status, 201);
    assert.equal(ok.body.network.name, 'réseau ✓ 𝄞');
  });

  test(`identity: a body with invalid UTF-8 is 400 in Keystone's format, nothing stored (${backend.name})`, async (t) => {
    const id = await startIdentity(backend);
    t.after(() => id.close());
    const token = await id.login();
    for (const bytes of INVALID) {
      const r = await raw(id.url, 'POST', '/v3/projects', withBytes({ project: { name: 'X' } }, 'X', [0x70, ...bytes]), { 'X-Auth-Token': token });
      assert.equal(r.status, 400, `${bytes}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 400);
      assert.equal(r.body.error.title, 'Bad Request');
    }
    const login = withBytes(
      { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'X' } } } } },
      'X',
      [0xff],
    );
    assert.equal((await raw(id.url, 'POST', '/v3/auth/tokens', login)).status, 400);
    const names = (await id.call('GET', '/v3/projects', undefined, { 'X-Auth-Token': token })).body.projects.map((p: { name: string }) => p.name);
    // bootstrap's projects only (admin, and service for the agents' user)
    assert.deepEqual(names.sort(), ['admin', 'service']);
  });
}

test('registry: a manifest with invalid UTF-8 is 400 MANIFEST_INVALID, nothing stored', async (t) => {
  const { root, cleanup } = await tempRoot();
  const reg = await startRegistry(root);
  t.after(async () => {
    await reg.close();
    await cleanup();
  });
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], annotations: { a: 'X' } };
  for (const bytes of INVALID) {
    const r = await request(reg.port, 'PUT', '/v2/utf8/manifests/latest', withBytes(manifest, 'X', bytes), {
      'Content-Type': 'application/vnd.oci.image.index.v1+json',
    });
    assert.equal(r.status, 400, `${bytes}: ${r.body.toString()}`);
    assert.equal(r.json().errors[0].code, 'MANIFEST_INVALID');
  }
  assert.equal((await request(reg.port, 'GET', '/v2/utf8/manifests/latest')).status, 404);
  // tags and names with non-ASCII bytes (percent-encoded or raw) name nothing valid
  assert.equal((await request(reg.port, 'PUT', '/v2/utf8/manifests/t%FF', Buffer.from(JSON.stringify(manifest)))).json().errors[0].code, 'TAG_INVALID');
  assert.equal((await request(reg.port, 'GET', '/v2/utf%FF8/tags/list')).json().errors[0].code, 'NAME_INVALID');
  // the same manifest in valid UTF-8 is accepted
  const good = Buffer.from(JSON.stringify({ ...manifest, annotations: { a: 'é ✓' } }), 'utf8');
  assert.equal((await request(reg.port, 'PUT', '/v2/utf8/manifests/latest', good, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' })).status, 201);
});
