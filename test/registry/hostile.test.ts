// Bad input gets a clear error and loses nothing: every endpoint fed hostile
// names, digests, tags, ranges, lengths, manifest bodies, pagination values and
// methods, by hand and by fast-check properties. Each refusal must be a 4xx (never
// a 5xx) with an OCI error body whose code is one the spec (or distribution) defines,
// and must leave the registry's root exactly as it was (every path and size), with
// nothing created beside or above it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, request, sha256, startRegistry, type Res, type Running } from './helpers.js';

/** the spec's codes, and the ones distribution adds (416 RANGE_INVALID, TAG_INVALID, PAGINATION_NUMBER_INVALID) */
const CODES = new Set([
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS',
  'RANGE_INVALID', 'TAG_INVALID', 'PAGINATION_NUMBER_INVALID',
]);
/** the distribution spec's repository name grammar, written out again here */
const SPEC_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const OCTET = { 'Content-Type': 'application/octet-stream' };
const RUNS = { numRuns: 40, seed: 0x5eed, endOnFailure: true } as const;

/** every directory and file below `dir` (relative), files with their size */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${relative(dir, p)}/`);
        await visit(p);
      } else out.push(`${relative(dir, p)} ${(await stat(p)).size}`);
    }
  };
  await visit(dir);
  return out.sort();
}

interface RawRes {
  status: number;
  headers: string;
  body: string;
}

/** bytes as written on the socket: for what node:http refuses to send (raw NUL, raw UTF-8, lying lengths) */
function raw(port: number, data: Buffer | string, endAfterWrite = false, timeoutMs = 3000): Promise<RawRes | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      resolve(m ? { status: Number(m[1]), headers: m[2], body: m[3] } : undefined);
    });
    s.write(data);
    if (endAfterWrite) s.end();
  });
}

describe('hostile input: a clear 4xx, and nothing lost or created', { timeout: 120_000 }, () => {
  let base: string;
  let root: string;
  let reg: Running;
  let before_: string[];
  let image: Awaited<ReturnType<typeof pushImage>>;
  let session: string; // a live upload with 5 bytes in it
  const digestOf = (s: string) => sha256(s);
  const unknownDigest = digestOf('never pushed');

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'cloudlet-hostile-'));
    // the root sits deep inside `base`: a name that climbed out of it would land in a directory we watch
    root = join(base, 'a', 'b', 'c', 'd', 'e', 'f', 'root');
    await mkdir(root, { recursive: true });
    reg = await startRegistry(root);
    image = await pushImage(reg.port, 'app', 'v1');
    await pushImage(reg.port, 'other/nested', 'latest', {}, 'n');
    const started = await request(reg.port, 'POST', '/v2/app/blobs/uploads/');
    session = String(started.headers.location);
    const patched = await request(reg.port, 'PATCH', session, 'hello', { ...OCTET, 'Content-Range': '0-4', 'Content-Length': '5' });
    assert.equal(patched.status, 202);
    await new Promise((r) => setTimeout(r, 100)); // the start-up purge of expired uploads has run
    before_ = await snapshot(base);
  });
  after(async () => {
    await reg.close();
    await rm(base, { recursive: true, force: true });
  });

  /** the request is refused as it should be and the tree is as it was */
  async function refused(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}, code?: string | string[]): Promise<Res> {
    const r = await request(reg.port, method, path, body, headers);
    const what = `${method} ${path.slice(0, 200)} -> ${r.status} ${r.body.toString('utf8').slice(0, 300)}`;
    assert.ok(r.status >= 400 && r.status < 500, what);
    if (method !== 'HEAD') {
      assert.match(String(r.headers['content-type']), /^application\/json/, what);
      const errors = r.json().errors;
      assert.ok(Array.isArray(errors) && errors.length > 0, what);
      for (const e of errors) {
        assert.ok(CODES.has(e.code), `unknown code: ${what}`);
        assert.equal(typeof e.message, 'string', what);
        assert.ok(e.message.length > 0, what);
      }
      if (code !== undefined) assert.ok(([] as string[]).concat(code).includes(errors[0].code), `expected ${code}: ${what}`);
    }
    assert.deepEqual(await snapshot(base), before_, `the tree changed: ${what}`);
    return r;
  }

  // ------------------------------------------------------------- names

  const hostileNames = [
    '..', '.', '%2e%2e', '%2E%2E', '..%2f..%2fetc', 'app/..', 'app/../other', '../../../../../../../x', 'a/./b', 'a//b', 'a/', '/a',
    'App', 'UPPER/case', 'a'.repeat(256), `${'abc/'.repeat(70)}x`, 'a%00b', 'a%2fb', 'caf%C3%A9', '%E2%80%AE', '_uploads', 'app/_manifests',
    'a___b', '-a', 'a-', '.hidden', 'a..b', 'a:b', 'a%20b', 'a\\b'.replace('\\', '%5C'), '~root', '%252e%252e',
  ];
  const nameEndpoints = (n: string): Array<[string, string, (Buffer | string)?]> => [
    ['GET', `/v2/${n}/tags/list`],
    ['GET', `/v2/${n}/manifests/v1`],
    ['HEAD', `/v2/${n}/manifests/v1`],
    ['PUT', `/v2/${n}/manifests/v1`, image.manifest],
    ['DELETE', `/v2/${n}/manifests/v1`],
    ['GET', `/v2/${n}/blobs/${image.layerDigest}`],
    ['HEAD', `/v2/${n}/blobs/${image.layerDigest}`],
    ['DELETE', `/v2/${n}/blobs/${image.layerDigest}`],
    ['POST', `/v2/${n}/blobs/uploads/`],
    ['POST', `/v2/${n}/blobs/uploads/?digest=${digestOf('x')}`, 'x'],
    ['POST', `/v2/${n}/blobs/uploads/?mount=${image.layerDigest}&from=app`],
    ['PATCH', `/v2/${n}/blobs/uploads/${session.split('/').pop()}`, 'more'],
    ['PUT', `/v2/${n}/blobs/uploads/${session.split('/').pop()}?digest=${digestOf('hello')}`],
    ['GET', `/v2/${n}/blobs/uploads/${session.split('/').pop()}`],
    ['DELETE', `/v2/${n}/blobs/uploads/${session.split('/').pop()}`],
    ['GET', `/v2/${n}/referrers/${image.digest}`],
  ];

  it('hostile repository names: NAME_INVALID on every endpoint', async () => {
    for (const n of hostileNames) {
      assert.ok(!SPEC_NAME.test(n) || n.length > 255, n);
      for (const [method, path, body] of nameEndpoints(n)) {
        await refused(method, path, body, method === 'PUT' && path.includes('/manifests/') ? { 'Content-Type': OCI_MANIFEST } : OCTET, 'NAME_INVALID');
      }
    }
    // mount from a hostile repository
    for (const from of ['..', '../../x', 'App', '%2e%2e']) {
      await refused('POST', `/v2/app/blobs/uploads/?mount=${image.layerDigest}&from=${from}`, undefined, {}, 'NAME_INVALID');
    }
  });

  it('raw NUL, raw UTF-8 and control bytes in the request line: a 4xx or a closed connection, never more', async () => {
    const lines = [
      Buffer.from('GET /v2/a\0b/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
      Buffer.concat([Buffer.from('GET /v2/'), Buffer.from('café/ünï', 'utf8'), Buffer.from('/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
      Buffer.concat([Buffer.from('PUT /v2/app/manifests/'), Buffer.from('tág', 'utf8'), Buffer.from(` HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`)]),
      Buffer.from('GET /v2/app/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      Buffer.from('GET /v2/app/blobs/sha256:\x01\x02 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
      Buffer.from('GARBAGE\r\n\r\n'),
    ];
    for (const line of lines) {
      const r = await raw(reg.port, line);
      if (r) {
        assert.ok(r.status >= 400 && r.status < 500, `${line.toString('latin1').slice(0, 60)} -> ${r.status} ${r.body}`);
        const code = JSON.parse(r.body).errors[0].code;
        assert.ok(CODES.has(code), code);
      }
      assert.deepEqual(await snapshot(base), before_);
    }
  });

  it('property: any name outside the grammar is NAME_INVALID, whatever the endpoint', async () => {
    const fragment = fc.constantFrom('a', 'z', '0', '9', 'A', 'Q', '.', '..', '/', '//', '-', '_', '__', '___', '%2e', '%2E', '%2f', '%00', '%C3%A9', '%E2%80%AE', '~', ':', '@', '%5C', '%20');
    const name = fc.array(fragment, { minLength: 1, maxLength: 12 }).map((f) => f.join('')).filter((n) => !SPEC_NAME.test(n));
    const endpoint = fc.integer({ min: 0, max: nameEndpoints('x').length - 1 });
    await fc.assert(
      fc.asyncProperty(name, endpoint, async (n, i) => {
        const [method, path, body] = nameEndpoints(n)[i];
        // paths like /v2/a/../tags/list are sent as written: they must not reach another repository
        const r = await refused(method, path, body, OCTET);
        if (method !== 'HEAD') assert.ok(['NAME_INVALID', 'NAME_UNKNOWN'].includes(r.json().errors[0].code), `${path}: ${r.body}`);
      }),
      RUNS,
    );
  });

  // ------------------------------------------------------------- digests and tags

  const badDigests = [
    'sha256:garbage', 'sha256:', 'sha256', ':', 'md5:d41d8cd98f00b204e9800998ecf8427e', `sha1:${'a'.repeat(40)}`, `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(65)}`, `sha256:${'A'.repeat(64)}`, `SHA256:${'a'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, `sha256:${'g'.repeat(64)}`,
    `sha256:${'a'.repeat(64)}%00`, `sha256%3A${'z'.repeat(64)}`, `sha256:${'a'.repeat(5000)}`, `sha256+b64:${'a'.repeat(43)}=`, 'sha256:..',
    `sha256:%2e%2e%2f${'a'.repeat(58)}`,
  ];

  it('hostile digests: DIGEST_INVALID or unknown, never 5xx (GET manifests/sha256:garbage included)', async () => {
    const upload = session;
    for (const d of badDigests) {
      await refused('GET', `/v2/app/blobs/${d}`, undefined, {}, ['DIGEST_INVALID', 'BLOB_UNKNOWN']);
      await refused('HEAD', `/v2/app/blobs/${d}`);
      await refused('DELETE', `/v2/app/blobs/${d}`, undefined, {}, ['DIGEST_INVALID', 'BLOB_UNKNOWN']);
      await refused('GET', `/v2/app/manifests/${d}`, undefined, {}, ['DIGEST_INVALID', 'MANIFEST_UNKNOWN']);
      await refused('HEAD', `/v2/app/manifests/${d}`);
      await refused('DELETE', `/v2/app/manifests/${d}`, undefined, {}, ['DIGEST_INVALID', 'MANIFEST_UNKNOWN']);
      // ("sha256" alone is a fine tag: that one is not pushed here)
      if (d !== 'sha256') await refused('PUT', `/v2/app/manifests/${d}`, image.manifest, { 'Content-Type': OCI_MANIFEST }, ['DIGEST_INVALID', 'TAG_INVALID']);
      await refused('POST', `/v2/app/blobs/uploads/?digest=${d}`, 'data', OCTET, 'DIGEST_INVALID');
      await refused('POST', `/v2/fresh/blobs/uploads/?digest=${d}`, 'data', OCTET, 'DIGEST_INVALID');
      await refused('PUT', `${upload}?digest=${d}`, undefined, {}, 'DIGEST_INVALID');
      await refused('GET', `/v2/app/referrers/${d}`, undefined, {}, ['DIGEST_INVALID']);
      await refused('POST', `/v2/app/blobs/uploads/?mount=${d}&from=other/nested`, undefined, {}, 'DIGEST_INVALID');
    }
    // sha256:garbage, the case distribution answers with a 500
    const r = await refused('GET', '/v2/app/manifests/sha256:garbage');
    assert.notEqual(r.status, 500);
    // a digest that does not match what was sent: refused, and nothing is stored, in a known repository or a new one
    for (const repo of ['app', 'fresh', 'brand/new']) {
      await refused('POST', `/v2/${repo}/blobs/uploads/?digest=${digestOf('something else')}`, 'the data', OCTET, 'DIGEST_INVALID');
      await refused('PUT', `/v2/${repo}/manifests/${digestOf('x')}`, image.manifest, { 'Content-Type': OCI_MANIFEST }, 'DIGEST_INVALID');
    }
    await refused('POST', `/v2/app/blobs/uploads/?digest=${sha256('abc').replace('sha256', 'sha512')}${'0'.repeat(64)}`, 'abc', OCTET, 'DIGEST_INVALID');
  });

  it('property: arbitrary digest strings are refused on every digest-taking endpoint', async () => {
    const hex = fc.constantFrom(...'0123456789abcdefABCDEFgz'.split(''));
    const digest = fc.oneof(
      fc.tuple(fc.constantFrom('sha256', 'sha512', 'SHA256', 'md5', 'sha384', '', 'sha256+x'), fc.array(hex, { maxLength: 140 }))
        .map(([a, h]) => `${a}:${h.join('')}`),
      fc.string({ maxLength: 80 }).map((s) => encodeURIComponent(s)),
    ).filter((d) => !/^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/.test(decodeURIComponent(d)));
    const endpoint = fc.constantFrom(
      (d: string) => ['GET', `/v2/app/blobs/${d}`],
      (d: string) => ['DELETE', `/v2/app/blobs/${d}`],
      (d: string) => ['GET', `/v2/app/manifests/${d}`],
      (d: string) => ['DELETE', `/v2/app/manifests/${d}`],
      (d: string) => ['POST', `/v2/app/blobs/uploads/?digest=${encodeURIComponent(d)}`],
      (d: string) => ['PUT', `${session}?digest=${encodeURIComponent(d)}`],
      (d: string) => ['GET', `/v2/app/referrers/${d}`],
    );
    await fc.assert(
      fc.asyncProperty(digest, endpoint, async (d, e) => {
        const [method, path] = e(d);
        if (path.endsWith('/blobs/') || path.endsWith('/manifests/') || path.endsWith('/referrers/')) return; // no parameter at all: another route
        await refused(method, path, method === 'POST' ? 'data' : undefined, OCTET);
      }),
      RUNS,
    );
  });

  it('hostile tags: TAG_INVALID on push, unknown on pull', async () => {
    const badTags = ['-lead', '.lead', 'a'.repeat(129), 'ta%20g', 't%C3%A1g', 'a%2Fb', '%2e%2e', '..', 'tag%00', 'a:b', '%5C', 'x@y'];
    for (const t of badTags) {
      await refused('PUT', `/v2/app/manifests/${t}`, image.manifest, { 'Content-Type': OCI_MANIFEST }, ['TAG_INVALID', 'DIGEST_INVALID']);
      await refused('GET', `/v2/app/manifests/${t}`, undefined, {}, ['MANIFEST_UNKNOWN', 'DIGEST_INVALID']);
      await refused('DELETE', `/v2/app/manifests/${t}`, undefined, {}, ['MANIFEST_UNKNOWN', 'DIGEST_INVALID']);
      await refused('PUT', `/v2/app/manifests/${image.digest}?tag=${t}`, image.manifest, { 'Content-Type': OCI_MANIFEST }, 'TAG_INVALID');
    }
    await refused('PUT', `/v2/app/manifests/${image.digest}?tag=ok&tag=-bad`, image.manifest, { 'Content-Type': OCI_MANIFEST }, 'TAG_INVALID');
  });

  // ------------------------------------------------------------- ranges and lengths

  it('hostile Content-Range on PATCH and PUT: 416 with the session offset, the session unchanged', async () => {
    const ranges = ['garbage', '', ' ', '5-3', '-1-5', '0-4', '3-10', '0-0', '10-20', '6-10', '5-99999999999999999999', '99999999999999999999-5',
      'bytes=5-', '5-', '-5', '5-9/x', '5-9,10-12', '5 - 9', '0x5-0x9', '5-9;', 'bytes 5-8/3', '1e1-2e1', '\u00b9-\u00b2'];
    for (const cr of ranges) {
      const r = await refused('PATCH', session, 'abcde', { ...OCTET, 'Content-Range': cr }, 'RANGE_INVALID');
      assert.equal(r.status, 416, cr);
      // a well-formed range that does not continue the session also says where the session is
      const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
      if (m && Number(m[2]) >= Number(m[1])) assert.equal(r.headers.range, '0-4', `${cr}: the offset is reported`);
    }
    // the range's length and the body's disagree: refused, the bytes that did arrive are cut back off
    for (const [cr, body] of [['5-14', 'abcde'], ['5-6', 'abcde'], ['5-5', ''], ['5-1000000', 'x'.repeat(1000)]] as const) {
      await refused('PATCH', session, body, { ...OCTET, 'Content-Range': cr, 'Content-Length': String(Buffer.byteLength(body)) }, 'RANGE_INVALID');
      await refused('PUT', `${session}?digest=${digestOf(`hello${body}`)}`, body, { ...OCTET, 'Content-Range': cr }, 'RANGE_INVALID');
    }
    const status = await request(reg.port, 'GET', session);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-4');
  });

  it('property: any Content-Range but the one continuing the session is refused and changes nothing', async () => {
    const structured = fc.tuple(fc.option(fc.constantFrom('bytes=', 'bytes ', 'Bytes ', ''), { nil: '' }), fc.integer({ min: -3, max: 1 << 20 }), fc.integer({ min: -3, max: 1 << 20 }), fc.constantFrom('', '/*', '/10', '/x'))
      .map(([p, a, b, s]) => `${p}${a}-${b}${s}`);
    const anyString = fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
    await fc.assert(
      fc.asyncProperty(fc.oneof(structured, anyString), fc.uint8Array({ minLength: 0, maxLength: 64 }), async (cr, bytes) => {
        const body = Buffer.from(bytes);
        const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
        if (m && Number(m[1]) === 5 && Number(m[2]) - 5 + 1 === body.length) return; // the one valid chunk
        await refused('PATCH', session, body, { ...OCTET, 'Content-Range': cr }, 'RANGE_INVALID');
      }),
      RUNS,
    );
  });

  it('lying Content-Length: a body shorter than announced (connection closed) or longer: the session is unchanged', async () => {
    const path = session;
    // announces 100 bytes, sends 5, closes: the request never completes
    const short = await raw(reg.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Range: 5-104\r\nContent-Length: 100\r\n\r\nabcde`, true);
    if (short) assert.ok(short.status < 500, `${short.status} ${short.body}`);
    // announces 2 and sends 7: the 2 are the chunk, the rest is a malformed next request
    const long = await raw(reg.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Range: 5-9\r\nContent-Length: 2\r\n\r\nabcdefg`, true);
    if (long) assert.ok(long.status >= 400 && long.status < 500, `${long.status} ${long.body}`);
    // a negative and a non-numeric Content-Length are malformed requests
    for (const cl of ['-1', 'abc', '1, 2']) {
      const r = await raw(reg.port, `PATCH ${path} HTTP/1.1\r\nHost: x\r\nContent-Range: 5-9\r\nContent-Length: ${cl}\r\nConnection: close\r\n\r\nabcde`, true);
      if (r) assert.ok(r.status >= 400 && r.status < 500, `${cl}: ${r.status} ${r.body}`);
    }
    // a manifest whose Content-Length says more than 4 MiB: 413 before a byte is read
    await refused('PUT', '/v2/app/manifests/big', undefined, { 'Content-Type': OCI_MANIFEST, 'Content-Length': String(4 * 1024 * 1024 + 1) }, 'MANIFEST_INVALID').catch(async () => {
      // node:http will not send a lie: raw it
      const r = await raw(reg.port, `PUT /v2/app/manifests/big HTTP/1.1\r\nHost: x\r\nContent-Type: ${OCI_MANIFEST}\r\nContent-Length: ${4 * 1024 * 1024 + 1}\r\n\r\n{}`, true);
      if (r) assert.equal(r.status, 413);
    });
    await new Promise((r) => setTimeout(r, 200)); // the server has seen the closes
    const status = await request(reg.port, 'GET', path);
    assert.equal(status.headers.range, '0-4');
    assert.deepEqual(await snapshot(base), before_);
  });

  it('hostile Range on blob GET: 416 with Content-Range */size, or the whole blob; never 5xx', async () => {
    const size = Buffer.byteLength(`layer-x`);
    const ranges = ['bytes=abc', 'bytes=5-2', `bytes=${size}-`, `bytes=${size + 100}-${size + 200}`, 'bytes=-0', 'bytes=0-1,3-4', 'bytes=-99999999999999999999',
      'bytes=99999999999999999999-', 'items=0-1', 'bytes=--1', 'bytes=0-1-2', 'bytes=', '   ', 'bytes=1.5-2', 'bytes=0x1-0x2', 'bytes=-1-'];
    for (const rg of ranges) {
      const r = await request(reg.port, 'GET', `/v2/app/blobs/${image.layerDigest}`, undefined, { Range: rg });
      assert.ok(r.status === 200 || r.status === 206 || r.status === 416, `${rg}: ${r.status}`);
      if (r.status === 416) {
        assert.equal(r.json().errors[0].code, 'RANGE_INVALID');
        assert.equal(r.headers['content-range'], `bytes */${size}`);
      }
      if (r.status === 200) assert.equal(r.body.toString(), 'layer-x');
      assert.deepEqual(await snapshot(base), before_);
    }
  });

  // ------------------------------------------------------------- manifest bodies

  it('hostile manifest bodies: MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN or 413; nothing stored', async () => {
    const cfg = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.configDigest, size: 10 };
    const layer = (digest: string) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: 1 });
    const m = (o: Record<string, unknown>) => JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: cfg, layers: [layer(image.layerDigest)], ...o });
    const cases: Array<[string, string | Buffer, string, string | string[]]> = [
      ['not JSON', 'this is not json', OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['empty', '', OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['truncated', m({}).slice(0, -3), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['null', 'null', OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['array', '[]', OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['string', '"x"', OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['schemaVersion 1', m({ schemaVersion: 1 }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['schemaVersion "2"', m({ schemaVersion: '2' }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['schemaVersion 3', m({ schemaVersion: 3 }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['no schemaVersion', m({ schemaVersion: undefined }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['no config', m({ config: undefined }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['layers not an array', m({ layers: {} }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['layer without digest', m({ layers: [{ mediaType: 'x', size: 1 }] }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['layer with a bad digest', m({ layers: [layer('sha256:garbage')] }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['layer with an upper-case digest', m({ layers: [layer(`sha256:${'A'.repeat(64)}`)] }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['negative size', m({ layers: [{ ...layer(image.layerDigest), size: -1 }] }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['fractional size', m({ layers: [{ ...layer(image.layerDigest), size: 1.5 }] }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['unknown layer', m({ layers: [layer(unknownDigest)] }), OCI_MANIFEST, 'MANIFEST_BLOB_UNKNOWN'],
      ['unknown config', m({ config: { ...cfg, digest: unknownDigest } }), OCI_MANIFEST, 'MANIFEST_BLOB_UNKNOWN'],
      ['a blob of another repository', m({ layers: [layer(sha256('layer-n'))] }), OCI_MANIFEST, 'MANIFEST_BLOB_UNKNOWN'],
      ['index of an unknown manifest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: unknownDigest, size: 1 }] }), OCI_INDEX, 'MANIFEST_BLOB_UNKNOWN'],
      ['index whose child is a blob, not a manifest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: image.layerDigest, size: 1 }] }), OCI_INDEX, 'MANIFEST_BLOB_UNKNOWN'],
      ['index without manifests', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX }), OCI_INDEX, 'MANIFEST_INVALID'],
      ['mediaType against Content-Type', m({}), OCI_INDEX, 'MANIFEST_INVALID'],
      ['unknown mediaType', m({ mediaType: 'application/x-evil' }), 'application/x-evil', 'MANIFEST_INVALID'],
      ['deep nesting', `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['deep nesting, bare', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['deep objects', `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`, OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['huge', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['huge valid JSON', m({ annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['subject with a bad digest', m({ subject: { mediaType: OCI_MANIFEST, digest: 'sha256:garbage', size: 1 } }), OCI_MANIFEST, 'MANIFEST_INVALID'],
      ['__proto__', `{"__proto__":{"schemaVersion":2},"mediaType":"${OCI_MANIFEST}"}`, OCI_MANIFEST, 'MANIFEST_INVALID'],
    ];
    for (const [what, body, ct, code] of cases) {
      for (const ref of ['newtag', 'v1']) {
        const r = await refused('PUT', `/v2/app/manifests/${ref}`, body, { 'Content-Type': ct }, code);
        if (what.startsWith('huge')) assert.equal(r.status, 413, what);
      }
      const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
      await refused('PUT', `/v2/app/manifests/${sha256(b)}`, body, { 'Content-Type': ct }, code);
      await refused('PUT', `/v2/new-repo/manifests/v1`, body, { 'Content-Type': ct }, code);
    }
    // v1 still names what it named
    const v1 = await request(reg.port, 'GET', '/v2/app/manifests/v1', undefined, { Accept: OCI_MANIFEST });
    assert.deepEqual(v1.body, image.manifest);
  });

  it('property: arbitrary JSON pushed as a manifest is refused and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(OCI_MANIFEST, OCI_INDEX, 'application/json', ''), async (v, ct) => {
        const body = JSON.stringify(v) ?? 'null';
        await refused('PUT', '/v2/app/manifests/prop', body, ct ? { 'Content-Type': ct } : {}, ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN']);
      }),
      RUNS,
    );
  });

  // ------------------------------------------------------------- pagination and methods

  it('pagination garbage: PAGINATION_NUMBER_INVALID; odd `last` values are just positions', async () => {
    for (const n of ['-1', 'abc', '1e3', '1.5', '0x10', '9999999999', ' 1', '+1', '１', '%00', '1%00', 'NaN', 'Infinity', '10000000000000000000000']) {
      const q = n.replace(/[^\x21-\x7e]/g, encodeURIComponent);
      for (const path of ['/v2/_catalog', '/v2/app/tags/list']) await refused('GET', `${path}?n=${q}`, undefined, {}, 'PAGINATION_NUMBER_INVALID');
    }
    for (const last of ['..', '%2e%2e%2f', '%00', 'zzz', '', '%C3%A9', 'a'.repeat(5000)]) {
      for (const path of ['/v2/_catalog', '/v2/app/tags/list']) {
        const r = await request(reg.port, 'GET', `${path}?n=2&last=${last}`);
        assert.equal(r.status, 200, `${path} last=${last}`);
        assert.deepEqual(await snapshot(base), before_);
      }
    }
  });

  it('property: any n that is not a small decimal number is refused', async () => {
    const n = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^\d{1,9}$/.test(s));
    await fc.assert(
      fc.asyncProperty(n, fc.constantFrom('/v2/_catalog', '/v2/app/tags/list'), async (v, path) => {
        await refused('GET', `${path}?n=${encodeURIComponent(v)}`, undefined, {}, 'PAGINATION_NUMBER_INVALID');
      }),
      RUNS,
    );
  });

  it('wrong methods: a 4xx OCI error, nothing touched', async () => {
    const id = session.split('/').pop();
    const cases: Array<[string, string]> = [
      ['POST', '/v2/'], ['PUT', '/v2/'], ['DELETE', '/v2/'], ['PATCH', '/v2/_catalog'], ['POST', '/v2/_catalog'], ['DELETE', '/v2/_catalog'],
      ['POST', '/v2/app/tags/list'], ['PUT', '/v2/app/tags/list'], ['DELETE', '/v2/app/tags/list'],
      ['POST', '/v2/app/manifests/v1'], ['PATCH', '/v2/app/manifests/v1'],
      ['POST', `/v2/app/blobs/${image.layerDigest}`], ['PUT', `/v2/app/blobs/${image.layerDigest}`], ['PATCH', `/v2/app/blobs/${image.layerDigest}`],
      ['GET', '/v2/app/blobs/uploads/'], ['PUT', '/v2/app/blobs/uploads/'], ['PATCH', '/v2/app/blobs/uploads/'], ['DELETE', '/v2/app/blobs/uploads/'],
      ['POST', `/v2/app/blobs/uploads/${id}`], ['HEAD', `/v2/app/blobs/uploads/${id}`],
      ['POST', `/v2/app/referrers/${image.digest}`], ['DELETE', `/v2/app/referrers/${image.digest}`], ['PUT', `/v2/app/referrers/${image.digest}`],
      ['OPTIONS', '/v2/app/manifests/v1'], ['TRACE', '/v2/'], ['GET', '/v2/app'], ['GET', '/v3/'], ['GET', '/'], ['GET', '/v2/app/blobs/uploads/not-a-uuid'],
      ['DELETE', '/v2/app/blobs/uploads/00000000-0000-0000-0000-000000000000'], ['PUT', `/v2/app/blobs/uploads/00000000-0000-0000-0000-000000000000?digest=${digestOf('x')}`],
    ];
    for (const [method, path] of cases) await refused(method, path, method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE' ? undefined : 'body', OCTET);
  });

  it('the repositories are intact after all of it', async () => {
    const v1 = await request(reg.port, 'GET', '/v2/app/manifests/v1', undefined, { Accept: OCI_MANIFEST });
    assert.deepEqual(v1.body, image.manifest);
    assert.deepEqual((await request(reg.port, 'GET', '/v2/app/tags/list')).json(), { name: 'app', tags: ['v1'] });
    assert.deepEqual((await request(reg.port, 'GET', '/v2/_catalog')).json(), { repositories: ['app', 'other/nested'] });
    assert.equal((await request(reg.port, 'GET', session)).headers.range, '0-4');
    const blob = await request(reg.port, 'GET', `/v2/app/blobs/${image.layerDigest}`);
    assert.equal(blob.body.toString(), 'layer-x');
    assert.deepEqual(await readdir(base), ['a']);
    // and a blob can still be pushed where a refused one was
    assert.equal(await pushBlob(reg.port, 'app', 'after'), sha256('after'));
  });
});
