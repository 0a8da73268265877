// The classic private-registry recipe end to end: REGISTRY_* variables, a certificate from
// `cloudlet registry cert`, an htpasswd file, and Debian's skopeo pushing and pulling over TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningRegistry } from '../../src/cli/registry.js';
import { requireTool } from '../support/backends.js';
import { startSecureRegistry } from './secure-registry.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cloudlet-skopeo-'));
let registry: RunningRegistry;
let caDir: string;

/** A small OCI image layout made here: one gzipped tar layer, its config, a manifest, index.json. */
function ociLayout(path: string): void {
  const blob = (data: Buffer) => {
    const hex = execFileSync('sha256sum', { input: data }).toString().slice(0, 64);
    writeFileSync(join(path, 'blobs', 'sha256', hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  mkdirSync(join(path, 'blobs', 'sha256'), { recursive: true });
  mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
  writeFileSync(join(dir, 'rootfs', 'etc', 'hello'), 'hello from cloudlet\n');
  const layer = blob(execFileSync('tar', ['-C', join(dir, 'rootfs'), '-czf', '-', 'etc']));
  const diffId = execFileSync('sh', ['-c', `tar -C ${join(dir, 'rootfs')} -cf - etc | sha256sum`]).toString().slice(0, 64);
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] }, config: {} })));
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
  writeFileSync(join(path, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const ref = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } };
  writeFileSync(join(path, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [ref] }));
}

const skopeo = (...args: string[]) => exec('skopeo', ['--insecure-policy', ...args], { env: { ...process.env, HOME: dir } });

before(async () => {
  requireTool('skopeo', 'skopeo');
  requireTool('openssl', 'openssl');
  requireTool('tar', 'tar');
  ({ registry, caDir } = await startSecureRegistry(dir));
  ociLayout(join(dir, 'image'));
});

after(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('without credentials: 401 with a Basic challenge naming the realm', async () => {
  const res = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
    get({ host: '127.0.0.1', port: registry.port, path: '/v2/', ca: readFileSync(join(caDir, 'ca.crt')) }, (r) => {
      r.resume();
      resolve({ status: r.statusCode ?? 0, challenge: r.headers['www-authenticate'] });
    }).on('error', reject);
  });
  assert.equal(res.status, 401);
  assert.match(res.challenge ?? '', /^Basic realm="Registry Realm"/);
});

test('skopeo copy over TLS with --dest-cert-dir and --dest-creds, and back; digests unchanged', async () => {
  const ref = `docker://127.0.0.1:${registry.port}/team/hello:1.0`;
  const local = JSON.parse(readFileSync(join(dir, 'image', 'index.json'), 'utf8')).manifests[0].digest as string;
  await skopeo('copy', `oci:${join(dir, 'image')}:latest`, ref, '--dest-cert-dir', caDir, '--dest-creds', 'testuser:testpassword');
  const { stdout } = await skopeo('inspect', '--cert-dir', caDir, '--creds', 'testuser:testpassword', ref);
  assert.equal(JSON.parse(stdout).Digest, local);
  await skopeo('copy', '--src-cert-dir', caDir, '--src-creds', 'testuser:testpassword', ref, `oci:${join(dir, 'back')}:latest`);
  const back = JSON.parse(readFileSync(join(dir, 'back', 'index.json'), 'utf8')).manifests[0].digest as string;
  assert.equal(back, local);
});

test('skopeo is refused with a wrong password, and without the certificate', async () => {
  const ref = `docker://127.0.0.1:${registry.port}/team/hello:1.0`;
  await assert.rejects(skopeo('inspect', '--cert-dir', caDir, '--creds', 'testuser:wrong', ref), /unauthorized|authentication required/i);
  await assert.rejects(skopeo('inspect', '--creds', 'testuser:testpassword', ref), /x509: certificate signed by unknown authority/);
});
