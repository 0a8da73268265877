// A real client: skopeo pushes an OCI layout built here (a tiny gzipped tar layer,
// config and manifest written with node; no network) and pulls it back; the
// manifest digest survives the round trip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { requireTool } from '../support/backends.js';
import { request, startRegistry, tempRoot, type Running } from './helpers.js';

const run = promisify(execFile);

/** one regular file in a ustar archive */
function tar(name: string, content: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024)]);
}

async function ociLayout(dir: string, tag: string): Promise<string> {
  const blobs = join(dir, 'blobs/sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer) => {
    const hex = createHash('sha256').update(b).digest('hex');
    await writeFile(join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const raw = tar('hello.txt', Buffer.from('hello from cloudlet\n'));
  const layer = await put(gzipSync(raw));
  const diffId = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const config = await put(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] },
  })));
  const manifest = await put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return manifest.digest;
}

describe('skopeo against the registry', () => {
  let reg: Running;
  let work: { root: string; cleanup(): Promise<void> };
  let data: { root: string; cleanup(): Promise<void> };
  before(async () => {
    requireTool('skopeo', 'skopeo');
    work = await tempRoot();
    data = await tempRoot();
    reg = await startRegistry(data.root);
  });
  after(async () => {
    await reg?.close();
    await work?.cleanup();
    await data?.cleanup();
  });

  it('copies an image in and out with identical digests', async () => {
    const src = join(work.root, 'src');
    const back = join(work.root, 'back');
    const digest = await ociLayout(src, 'v1');
    const ref = `docker://127.0.0.1:${reg.port}/cloudlet/test:v1`;
    await run('skopeo', ['--insecure-policy', 'copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${src}:v1`, ref], { timeout: 60_000 });
    const head = await request(reg.port, 'HEAD', '/v2/cloudlet/test/manifests/v1', undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(head.headers['docker-content-digest'], digest);
    const { stdout } = await run('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', '--raw', ref], { timeout: 60_000 });
    assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, digest);
    await run('skopeo', ['--insecure-policy', 'copy', '--preserve-digests', '--src-tls-verify=false', ref, `oci:${back}:v1`], { timeout: 60_000 });
    const index = JSON.parse(await readFile(join(back, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, digest);
    const { stdout: tags } = await run('skopeo', ['--insecure-policy', 'list-tags', '--tls-verify=false', `docker://127.0.0.1:${reg.port}/cloudlet/test`]);
    assert.deepEqual(JSON.parse(tags).Tags, ['v1']);
  });
});
