// Compatibility with the reference registry (CNCF distribution 2.8, Debian's docker-registry):
// one storage root served by cloudlet and by docker-registry at the same time. An image pushed
// through one is pulled through the other with identical digests, and both list the same
// tags and catalog.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool } from '../support/backends.js';
import { buildBusyboxImage, requireBusyboxImageTools, type BusyboxImage } from '../support/busybox-image.js';
import { containerTools, requireContainerTools, type ContainerTools } from '../support/containers.js';
import { startDockerRegistry, type ReferenceRegistry } from '../support/docker-registry.js';
import { request, sha256, startRegistry, tempRoot, type Running } from './helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT = `${OCI_MANIFEST}, ${DOCKER_MANIFEST}`;
const TEST_TIMEOUT = 120_000;

describe('one storage root served by cloudlet and by the reference docker-registry', { timeout: 600_000 }, () => {
  let work: { root: string; cleanup(): Promise<void> };
  let data: { root: string; cleanup(): Promise<void> };
  let cloudlet: Running;
  let reference: ReferenceRegistry;
  let image: BusyboxImage;
  let tools: ContainerTools;
  const ref = (port: number, repo: string, tag: string) => `docker://127.0.0.1:${port}/${repo}:${tag}`;
  const manifestOf = async (port: number, repo: string, reference: string) => {
    const r = await request(port, 'GET', `/v2/${repo}/manifests/${reference}`, undefined, { Accept: ACCEPT });
    assert.equal(r.status, 200, `GET ${repo}/manifests/${reference} on ${port}: ${r.status} ${r.body}`);
    return { body: r.body, digest: r.headers['docker-content-digest'], type: r.headers['content-type'] };
  };
  /** the manifest as both registries serve it: same bytes, same digest header, same media type */
  const sameManifest = async (repo: string, reference: string) => {
    const a = await manifestOf(cloudlet.port, repo, reference);
    const b = await manifestOf(referencePort(), repo, reference);
    assert.equal(a.digest, sha256(a.body));
    assert.equal(b.digest, a.digest, 'Docker-Content-Digest');
    assert.equal(b.type, a.type, 'Content-Type');
    assert.ok(a.body.equals(b.body), 'manifest bytes');
    return a;
  };
  const referencePort = () => reference.port;

  before(async () => {
    requireContainerTools('skopeo');
    requireTool('docker-registry', 'docker-registry');
    await requireBusyboxImageTools();
    work = await tempRoot();
    data = await tempRoot();
    image = await buildBusyboxImage(work.root, 'v1');
    tools = await containerTools(join(work.root, 'tools'));
    cloudlet = await startRegistry(data.root);
    const refDir = join(work.root, 'reference');
    mkdirSync(refDir);
    reference = await startDockerRegistry(data.root, refDir);
  });
  after(async () => {
    await reference?.stop();
    await cloudlet?.close();
    await work?.cleanup();
    await data?.cleanup();
  });

  it('pushed to cloudlet, pulled from docker-registry: identical digests', { timeout: TEST_TIMEOUT }, async () => {
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(cloudlet.port, 'compat/from-cloudlet', 'v1'));
    const m = await sameManifest('compat/from-cloudlet', 'v1');
    assert.equal(m.digest, image.digest);
    assert.equal(m.type, OCI_MANIFEST);
    await sameManifest('compat/from-cloudlet', image.digest);
    const back = join(work.root, 'from-reference');
    await tools.skopeo('copy', '--preserve-digests', '--src-tls-verify=false', ref(reference.port, 'compat/from-cloudlet', 'v1'), `oci:${back}:v1`);
    assert.equal(JSON.parse(await readFile(join(back, 'index.json'), 'utf8')).manifests[0].digest, image.digest);
    const { stdout } = await tools.skopeo('inspect', '--raw', '--tls-verify=false', ref(reference.port, 'compat/from-cloudlet', 'v1'));
    assert.equal(sha256(stdout), image.digest);
  });

  it('pushed to docker-registry (OCI and Docker schema 2), pulled from cloudlet: identical digests', { timeout: TEST_TIMEOUT }, async () => {
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(reference.port, 'compat/from-reference', 'v1'));
    const oci = await sameManifest('compat/from-reference', 'v1');
    assert.equal(oci.digest, image.digest);
    // skopeo converts to a Docker schema 2 manifest: a new digest, which the reference computed
    await tools.skopeo('copy', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(reference.port, 'compat/from-reference', 'docker'));
    const docker = await sameManifest('compat/from-reference', 'docker');
    assert.equal(docker.type, DOCKER_MANIFEST);
    assert.notEqual(docker.digest, image.digest);
    for (const [tag, digest] of [['v1', image.digest], ['docker', docker.digest]] as const) {
      const back = join(work.root, `from-cloudlet-${tag}`);
      await tools.skopeo('copy', '--preserve-digests', '--src-tls-verify=false', ref(cloudlet.port, 'compat/from-reference', tag), `oci:${back}:${tag}`);
      if (tag === 'v1') assert.equal(JSON.parse(await readFile(join(back, 'index.json'), 'utf8')).manifests[0].digest, digest);
      const { stdout } = await tools.skopeo('inspect', '--raw', '--tls-verify=false', ref(cloudlet.port, 'compat/from-reference', tag));
      assert.equal(sha256(stdout), digest);
    }
    // every blob either one wrote is served by the other with the same bytes
    const manifest = JSON.parse(docker.body.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const { digest } of [manifest.config, ...manifest.layers]) {
      const a = await request(cloudlet.port, 'GET', `/v2/compat/from-reference/blobs/${digest}`);
      assert.equal(a.status, 200);
      assert.equal(sha256(a.body), digest);
      assert.equal(a.headers['docker-content-digest'], digest);
    }
  });

  it('tags/list and _catalog agree, with and without pagination', { timeout: TEST_TIMEOUT }, async () => {
    // tags added through each server on a repository the other one created
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(cloudlet.port, 'compat/from-reference', 'by-cloudlet'));
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(reference.port, 'compat/from-cloudlet', 'by-reference'));
    await tools.skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layout}:v1`, ref(reference.port, 'a/first', 'latest'));
    const both = async (path: string) => {
      const a = await request(cloudlet.port, 'GET', path);
      const b = await request(reference.port, 'GET', path);
      assert.equal(a.status, 200, `cloudlet ${path}: ${a.body}`);
      assert.equal(b.status, 200, `docker-registry ${path}: ${b.body}`);
      // distribution 2.8 lists tags in directory order; the spec (and cloudlet) use lexical order
      const ordered = (v: { tags?: string[] }) => (v.tags ? { ...v, tags: [...v.tags].sort() } : v);
      assert.deepEqual(a.json(), ordered(a.json()), `cloudlet ${path}: lexical order`);
      assert.deepEqual(a.json(), ordered(b.json()), path);
      return a.json();
    };
    assert.deepEqual(await both('/v2/compat/from-cloudlet/tags/list'), { name: 'compat/from-cloudlet', tags: ['by-reference', 'v1'] });
    assert.deepEqual(await both('/v2/compat/from-reference/tags/list'), { name: 'compat/from-reference', tags: ['by-cloudlet', 'docker', 'v1'] });
    assert.deepEqual(await both('/v2/_catalog'), { repositories: ['a/first', 'compat/from-cloudlet', 'compat/from-reference'] });
    assert.deepEqual(await both('/v2/_catalog?n=2'), { repositories: ['a/first', 'compat/from-cloudlet'] });
    assert.deepEqual(await both('/v2/_catalog?n=2&last=compat/from-cloudlet'), { repositories: ['compat/from-reference'] });
    const { stdout } = await tools.skopeo('list-tags', '--tls-verify=false', `docker://127.0.0.1:${reference.port}/compat/from-reference`);
    assert.deepEqual(JSON.parse(stdout).Tags.sort(), ['by-cloudlet', 'docker', 'v1']);
  });

  it('a manifest deleted through cloudlet is gone for docker-registry too', { timeout: TEST_TIMEOUT }, async () => {
    const { digest } = await manifestOf(cloudlet.port, 'compat/from-reference', 'docker');
    const del = await request(cloudlet.port, 'DELETE', `/v2/compat/from-reference/manifests/${digest}`);
    assert.equal(del.status, 202);
    for (const port of [cloudlet.port, reference.port]) {
      const r = await request(port, 'GET', `/v2/compat/from-reference/manifests/${digest}`, undefined, { Accept: ACCEPT });
      assert.equal(r.status, 404, `port ${port}`);
      assert.equal(r.json().errors[0].code, 'MANIFEST_UNKNOWN');
    }
    const tags = (await request(reference.port, 'GET', '/v2/compat/from-reference/tags/list')).json();
    assert.deepEqual(tags.tags.sort(), ['by-cloudlet', 'v1']);
  });
});
