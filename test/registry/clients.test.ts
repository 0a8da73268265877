// Real clients against the registry: an image built at test time with umoci from a
// busybox-static rootfs (and one built with buildah from scratch) is pushed and pulled
// with skopeo, podman and buildah; the manifest digest is the same everywhere after the
// round trip. podman and buildah keep their state under a temp directory (see
// test/support/containers.ts for the flags this machine needs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningRegistry } from '../../src/cli/registry.js';
import { BUSYBOX, buildBusyboxImage, requireBusyboxImageTools, type BusyboxImage } from '../support/busybox-image.js';
import { containerTools, PODMAN_RUN_FLAGS, requireContainerTools, type ContainerTools } from '../support/containers.js';
import { request, sha256, startRegistry, tempRoot, type Running } from './helpers.js';
import { startSecureRegistry } from './secure-registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT = [OCI_MANIFEST, DOCKER_MANIFEST, 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'].join(', ');
const TEST_TIMEOUT = 180_000;

/** GET the manifest as the registry serves it; checks its digest header against its bytes */
async function served(port: number, repo: string, ref: string) {
  const r = await request(port, 'GET', `/v2/${repo}/manifests/${ref}`, undefined, { Accept: ACCEPT });
  assert.equal(r.status, 200, `GET /v2/${repo}/manifests/${ref}: ${r.status} ${r.body}`);
  assert.equal(r.headers['docker-content-digest'], sha256(r.body));
  const manifest = r.json() as { mediaType?: string; config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
  // every blob the manifest names is there, with the size it names
  for (const b of [manifest.config, ...manifest.layers]) {
    const h = await request(port, 'HEAD', `/v2/${repo}/blobs/${b.digest}`);
    assert.equal(h.status, 200, `HEAD blob ${b.digest}`);
    assert.equal(Number(h.headers['content-length']), b.size);
  }
  return { digest: sha256(r.body), contentType: r.headers['content-type'], manifest, raw: r.body };
}

const inspectRawDigest = async (tools: ContainerTools, ref: string, ...flags: string[]) => sha256((await tools.skopeo('inspect', '--raw', ...flags, ref)).stdout);

describe('real clients push and pull a busybox image built at test time', { timeout: 600_000 }, () => {
  let work: { root: string; cleanup(): Promise<void> };
  let data: { root: string; cleanup(): Promise<void> };
  let reg: Running;
  let image: BusyboxImage;
  let tools: ContainerTools;
  let fresh = 0;
  /** tools over an empty store of their own: a pull there fetches everything from the registry */
  const freshTools = () => containerTools(join(work.root, `fresh-${++fresh}`));

  before(async () => {
    requireContainerTools('skopeo', 'podman', 'buildah');
    await requireBusyboxImageTools();
    work = await tempRoot();
    data = await tempRoot();
    image = await buildBusyboxImage(work.root, 'v1');
    tools = await containerTools(join(work.root, 'tools'));
    reg = await startRegistry(data.root);
  });
  after(async () => {
    await reg?.close();
    await work?.cleanup();
    await data?.cleanup();
  });

  it('skopeo: the umoci-built image keeps its manifest digest into the registry and back', { timeout: TEST_TIMEOUT }, async () => {
    const ref = `docker://127.0.0.1:${reg.port}/umoci/busybox:v1`;
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:${image.tag}`, ref);
    const s = await served(reg.port, 'umoci/busybox', 'v1');
    assert.equal(s.digest, image.digest);
    assert.equal(s.contentType, OCI_MANIFEST);
    assert.equal((await served(reg.port, 'umoci/busybox', image.digest)).digest, image.digest);
    assert.equal(await inspectRawDigest(tools, ref, '--tls-verify=false'), image.digest);
    const back = join(work.root, 'skopeo-back');
    await tools.skopeo('copy', '--preserve-digests', '--src-tls-verify=false', ref, `oci:${back}:v1`);
    const index = JSON.parse(await readFile(join(back, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, image.digest);
    // the layer is the busybox binary, byte for byte
    const layer = s.manifest.layers[0]!;
    const blob = await request(reg.port, 'GET', `/v2/umoci/busybox/blobs/${layer.digest}`);
    assert.equal(sha256(blob.body), layer.digest);
  });

  it('podman push (OCI), podman pull into a fresh store: same digest, and the pulled image runs', { timeout: TEST_TIMEOUT }, async () => {
    await tools.load(`oci:${image.layout}:${image.tag}`, 'localhost/busybox:v1');
    const digestFile = join(work.root, 'podman.digest');
    const dest = `127.0.0.1:${reg.port}/podman/busybox:v1`;
    await tools.podman('push', '--tls-verify=false', '--format', 'oci', '--digestfile', digestFile, 'localhost/busybox:v1', `docker://${dest}`);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const s = await served(reg.port, 'podman/busybox', 'v1');
    assert.equal(s.digest, pushed);
    assert.equal(s.contentType, OCI_MANIFEST);
    assert.equal(await inspectRawDigest(tools, `docker://${dest}`, '--tls-verify=false'), pushed);

    const other = await freshTools();
    await other.podman('pull', '-q', '--tls-verify=false', dest);
    assert.equal((await other.podman('image', 'inspect', '--format', '{{.Digest}}', dest)).stdout.trim(), pushed);
    const { stdout } = await other.podman('run', '--rm', ...PODMAN_RUN_FLAGS, dest, '/bin/sh', '-c', 'echo hello from busybox; ls /bin');
    assert.match(stdout, /^hello from busybox\n/);
    assert.deepEqual(stdout.split('\n').slice(1).filter(Boolean).sort(), ['busybox', 'cat', 'echo', 'ls', 'sh']);
  });

  it('podman push --format v2s2: a Docker schema 2 manifest, pulled back with the same digest', { timeout: TEST_TIMEOUT }, async () => {
    await tools.podman('image', 'exists', 'localhost/busybox:v1').catch(() => tools.load(`oci:${image.layout}:${image.tag}`, 'localhost/busybox:v1'));
    const digestFile = join(work.root, 'podman-v2s2.digest');
    const dest = `127.0.0.1:${reg.port}/podman/busybox-docker:v1`;
    await tools.podman('push', '--tls-verify=false', '--format', 'v2s2', '--digestfile', digestFile, 'localhost/busybox:v1', `docker://${dest}`);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const s = await served(reg.port, 'podman/busybox-docker', 'v1');
    assert.equal(s.contentType, DOCKER_MANIFEST);
    assert.equal(s.manifest.mediaType, DOCKER_MANIFEST);
    assert.equal(s.digest, pushed);
    const other = await freshTools();
    await other.podman('pull', '-q', '--tls-verify=false', dest);
    assert.equal((await other.podman('image', 'inspect', '--format', '{{.Digest}}', dest)).stdout.trim(), pushed);
  });

  it('buildah from scratch, copy busybox, commit, push; pulled back with the same digest', { timeout: TEST_TIMEOUT }, async () => {
    const rootfs = join(work.root, 'buildah-rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    const ctr = (await tools.buildah('from', '--quiet', 'scratch')).stdout.trim();
    await tools.buildah('copy', '--quiet', ctr, join(rootfs, 'bin'), '/bin');
    await tools.buildah('config', '--cmd', '/bin/busybox sh', '--env', 'PATH=/bin', ctr);
    await tools.buildah('commit', '--quiet', '--rm', ctr, 'localhost/buildah-busybox:v1');
    const digestFile = join(work.root, 'buildah.digest');
    const dest = `127.0.0.1:${reg.port}/buildah/busybox:v1`;
    await tools.buildah('push', '--quiet', '--tls-verify=false', '--digestfile', digestFile, 'localhost/buildah-busybox:v1', `docker://${dest}`);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const s = await served(reg.port, 'buildah/busybox', 'v1');
    assert.equal(s.digest, pushed);
    assert.equal(await inspectRawDigest(tools, `docker://${dest}`, '--tls-verify=false'), pushed);
    const back = join(work.root, 'buildah-back');
    await tools.skopeo('copy', '--preserve-digests', '--src-tls-verify=false', `docker://${dest}`, `oci:${back}:v1`);
    assert.equal(JSON.parse(await readFile(join(back, 'index.json'), 'utf8')).manifests[0].digest, pushed);
    const other = await freshTools();
    await other.buildah('pull', '--quiet', '--tls-verify=false', `docker://${dest}`);
    assert.equal((await other.buildah('images', '--format', '{{.Digest}}', dest)).stdout.trim(), pushed);
  });

  it('lists what the clients pushed: tags and catalog', { timeout: TEST_TIMEOUT }, async () => {
    const { stdout } = await tools.skopeo('list-tags', '--tls-verify=false', `docker://127.0.0.1:${reg.port}/podman/busybox`);
    assert.deepEqual(JSON.parse(stdout).Tags, ['v1']);
    const cat = await request(reg.port, 'GET', '/v2/_catalog');
    assert.deepEqual(cat.json().repositories, ['buildah/busybox', 'podman/busybox', 'podman/busybox-docker', 'umoci/busybox']);
  });
});

describe('podman and buildah over TLS with Basic auth (--cert-dir, --creds)', { timeout: 600_000 }, () => {
  let work: { root: string; cleanup(): Promise<void> };
  let registry: RunningRegistry;
  let image: BusyboxImage;
  let tools: ContainerTools;
  let caDir: string;
  const creds = 'testuser:testpassword';

  before(async () => {
    requireContainerTools('skopeo', 'podman', 'buildah');
    await requireBusyboxImageTools();
    work = await tempRoot();
    image = await buildBusyboxImage(work.root, 'v1');
    tools = await containerTools(join(work.root, 'tools'));
    ({ registry, caDir } = await startSecureRegistry(join(work.root, 'registry')));
  });
  after(async () => {
    await registry?.stop();
    await work?.cleanup();
  });

  it('podman pushes and pulls with --cert-dir and --creds; buildah pushes; digests identical; refused without creds', { timeout: TEST_TIMEOUT }, async () => {
    await tools.load(`oci:${image.layout}:${image.tag}`, 'localhost/busybox:v1');
    const dest = `127.0.0.1:${registry.port}/secure/busybox:v1`;
    const digestFile = join(work.root, 'podman.digest');
    await tools.podman('push', '--cert-dir', caDir, '--creds', creds, '--digestfile', digestFile, 'localhost/busybox:v1', `docker://${dest}`);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    assert.equal(await inspectRawDigest(tools, `docker://${dest}`, '--cert-dir', caDir, '--creds', creds), pushed);

    const other = await containerTools(join(work.root, 'fresh'));
    await assert.rejects(other.podman('pull', '-q', '--cert-dir', caDir, dest), /unauthorized|authentication required/i);
    await other.podman('pull', '-q', '--cert-dir', caDir, '--creds', creds, dest);
    assert.equal((await other.podman('image', 'inspect', '--format', '{{.Digest}}', dest)).stdout.trim(), pushed);

    const bdest = `127.0.0.1:${registry.port}/secure/busybox:buildah`;
    const bdigestFile = join(work.root, 'buildah.digest');
    await tools.buildah('push', '--quiet', '--cert-dir', caDir, '--creds', creds, '--digestfile', bdigestFile, 'localhost/busybox:v1', `docker://${bdest}`);
    const bpushed = (await readFile(bdigestFile, 'utf8')).trim();
    assert.equal(await inspectRawDigest(tools, `docker://${bdest}`, '--cert-dir', caDir, '--creds', creds), bpushed);
  });
});
