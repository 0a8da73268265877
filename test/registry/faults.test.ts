// Faults: the registry as a separate process (the built CLI, run as the `cloudlet`
// bin runs it: `node --max-semi-space-size=2 dist/src/cli/main.js registry serve`),
// killed with SIGKILL in the middle of an upload, watched for its resident set while
// a 1 GiB blob goes through, and left with the temp files of a crash for
// `cloudlet registry gc` to clean.
//
// dist/ is what `npm ci` builds (the prepare script); when a source file is newer
// than its build (a local edit), the build is refreshed first so the child runs
// the code under test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from './helpers.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const V2 = 'docker/registry/v2';
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- the built CLI

async function newestMtime(dir: string, ext: string): Promise<{ newest: number; files: Map<string, number> }> {
  const files = new Map<string, number>();
  let newest = 0;
  const visit = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.name.endsWith(ext) && !e.name.endsWith('.d.ts')) {
        const m = (await stat(p)).mtimeMs;
        files.set(relative(dir, p).slice(0, -ext.length), m);
        newest = Math.max(newest, m);
      }
    }
  };
  await visit(dir);
  return { newest, files };
}

/** builds dist/ when it is missing or older than a source file */
async function ensureBuilt(): Promise<void> {
  const src = await newestMtime(join(REPO_ROOT, 'src'), '.ts');
  const built = await newestMtime(join(REPO_ROOT, 'dist', 'src'), '.js');
  const stale = [...src.files].some(([f, m]) => (built.files.get(f) ?? 0) < m);
  if (!stale) return;
  try {
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch {
    // type errors elsewhere still emit; what matters is that the registry's files are fresh
  }
}

/** the environment of the child: none of the test runner's REGISTRY_* or CLOUDLET_* settings */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_') && !k.startsWith('CLOUDLET_')) env[k] = v;
  return { ...env, ...extra };
}

interface Child {
  proc: ChildProcess;
  pid: number;
  port: number;
  exited: Promise<NodeJS.Signals | number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `cloudlet registry serve --port 0 --data-dir DIR` as a child; resolves once it listens */
async function spawnRegistry(dataDir: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, ['--max-semi-space-size=2', CLI, 'registry', 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.on('exit', (code, signal) => resolve(signal ?? code)));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${out}`)), 20_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /"msg":"registry listening"/.test(out) && /"url":"https?:\/\/[^"]*:(\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`registry exited (${how}) before listening: ${out}`));
    });
  });
  return {
    proc,
    pid: proc.pid!,
    port,
    exited,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

// ---------------------------------------------------------------- generated data

/** 1 MiB blocks of one random block, each stamped with its index: never held whole, digest known */
class Generated {
  private readonly block = randomBytes(MiB);
  constructor(readonly size: number) {
    assert.equal(size % MiB, 0);
  }
  chunk(i: number): Buffer {
    const b = Buffer.from(this.block);
    b.writeUInt32BE(i, 0);
    return b;
  }
  digest(): string {
    const h = createHash('sha256');
    for (let i = 0; i < this.size / MiB; i++) h.update(this.chunk(i));
    return `sha256:${h.digest('hex')}`;
  }
  /** bytes [from, to), streamed; stops producing at `pauseAt` (and calls onPause) until destroyed */
  stream(from = 0, to = this.size, pauseAt?: number, onPause?: () => void): Readable & { produced: () => number } {
    let next = from;
    const self = this;
    const s = new Readable({
      read() {
        if (next === pauseAt) {
          onPause?.();
          return; // nothing more until destroyed
        }
        if (next >= to) return void this.push(null);
        const b = self.chunk(next / MiB);
        next += MiB;
        this.push(b);
      },
    });
    return Object.assign(s, { produced: () => next - from });
  }
}

/** streams a blob down and hashes it; nothing is kept */
function pullDigest(port: number, path: string): Promise<{ status: number; size: number; digest: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const h = createHash('sha256');
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          h.update(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, size, digest: `sha256:${h.digest('hex')}` }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** every file under a directory, relative, with its size */
async function tree(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const visit = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else out.set(relative(root, p), (await stat(p)).size);
    }
  };
  await visit(root);
  return out;
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const blobDir = (root: string, digest: string) => join(root, V2, 'blobs/sha256', digest.slice(7, 9), digest.slice(7));

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- the tests

describe('registry faults (a child process)', { timeout: 180_000 }, () => {
  let base: string;
  const children: Child[] = [];
  const start = async (dataDir: string, env?: Record<string, string>) => {
    const c = await spawnRegistry(dataDir, env);
    children.push(c);
    return c;
  };

  before(async () => {
    await ensureBuilt();
    base = await mkdtemp(join(tmpdir(), 'cloudlet-faults-'));
  });
  after(async () => {
    for (const c of children) await c.kill();
    await rm(base, { recursive: true, force: true });
  });

  it('SIGKILL in the middle of a 200 MiB upload: no partial blob, the upload resumes where the data file ends', { timeout: 60_000 }, async () => {
    const dataDir = join(base, 'kill');
    const root = join(dataDir, 'registry');
    const data = new Generated(200 * MiB);
    const digest = data.digest();
    const half = 100 * MiB;

    let srv = await start(dataDir);
    const started = await request(srv.port, 'POST', '/v2/crash/blobs/uploads/');
    assert.equal(started.status, 202);
    const id = String(started.headers['docker-upload-uuid']);
    const location = String(started.headers.location);
    const uploadData = join(root, V2, 'repositories/crash/_uploads', id, 'data');

    // a chunked PATCH of the whole 200 MiB; the source stops after 100 MiB
    let paused = false;
    const body = data.stream(0, data.size, half, () => (paused = true));
    const patch = request(srv.port, 'PATCH', location, body, { 'Content-Type': 'application/octet-stream' });
    patch.catch(() => {}); // observed below
    await waitFor('100 MiB to reach the server', async () => paused && (await stat(uploadData)).size === half, 30_000);

    await srv.kill('SIGKILL');
    assert.equal(await srv.exited, 'SIGKILL');
    await assert.rejects(patch, 'the interrupted request fails on the client side');

    // on disk, before the restart: the session's data is the prefix that arrived, no blob exists
    assert.equal((await stat(uploadData)).size, half);
    assert.equal(await exists(blobDir(root, digest)), false, 'no blob directory for the digest');
    assert.deepEqual([...(await tree(join(root, V2, 'blobs'))).keys()], [], 'nothing at all under blobs/');

    srv = await start(dataDir);
    // no partial blob is visible
    const head = await request(srv.port, 'HEAD', `/v2/crash/blobs/${digest}`);
    assert.equal(head.status, 404);
    const get = await request(srv.port, 'GET', `/v2/crash/blobs/${digest}`);
    assert.equal(get.status, 404);
    assert.equal(get.json().errors[0].code, 'BLOB_UNKNOWN');
    const catalog = await request(srv.port, 'GET', '/v2/_catalog');
    assert.deepEqual(catalog.json(), { repositories: [] }, 'an upload alone makes no repository in the catalog');
    const tags = await request(srv.port, 'GET', '/v2/crash/tags/list');
    assert.equal(tags.status, 200);
    assert.deepEqual(tags.json(), { name: 'crash', tags: [] });

    // what cloudlet promises: the session survives, its offset is exactly what reached the disk
    const status = await request(srv.port, 'GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${half - 1}`);
    assert.equal(status.headers['docker-upload-uuid'], id);
    assert.equal(status.headers.location, location);

    // a chunk that does not continue at the offset is refused with the offset, and changes nothing
    const wrong = await request(srv.port, 'PATCH', location, Buffer.alloc(10), { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-9', 'Content-Length': '10' });
    assert.equal(wrong.status, 416);
    assert.equal(wrong.headers.range, `0-${half - 1}`);
    assert.equal((await stat(uploadData)).size, half);

    // the rest, then the digest: the right blob
    const rest = await request(srv.port, 'PATCH', location, data.stream(half, data.size), {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `${half}-${data.size - 1}`,
      'Content-Length': String(data.size - half),
    });
    assert.equal(rest.status, 202, rest.body.toString());
    assert.equal(rest.headers.range, `0-${data.size - 1}`);
    const done = await request(srv.port, 'PUT', `${location}?digest=${digest}`);
    assert.equal(done.status, 201, done.body.toString());
    assert.equal(done.headers['docker-content-digest'], digest);

    const head2 = await request(srv.port, 'HEAD', `/v2/crash/blobs/${digest}`);
    assert.equal(head2.status, 200);
    assert.equal(head2.headers['content-length'], String(data.size));
    const pulled = await pullDigest(srv.port, `/v2/crash/blobs/${digest}`);
    assert.deepEqual(pulled, { status: 200, size: data.size, digest });
    assert.equal((await request(srv.port, 'GET', location)).status, 404, 'the session is over');
    assert.equal(await exists(join(root, V2, 'repositories/crash/_uploads', id)), false);
    await srv.kill('SIGTERM');
  });

  it('SIGKILL mid-upload, restarted after the upload expiry: the session is cleanly gone', { timeout: 60_000 }, async () => {
    const dataDir = join(base, 'expire');
    const root = join(dataDir, 'registry');
    const data = new Generated(16 * MiB);
    let srv = await start(dataDir);
    const started = await request(srv.port, 'POST', '/v2/gone/blobs/uploads/');
    const id = String(started.headers['docker-upload-uuid']);
    const location = String(started.headers.location);
    const uploadDir = join(root, V2, 'repositories/gone/_uploads', id);
    let paused = false;
    const patch = request(srv.port, 'PATCH', location, data.stream(0, data.size, 8 * MiB, () => (paused = true)));
    patch.catch(() => {});
    await waitFor('8 MiB to reach the server', async () => paused && (await stat(join(uploadDir, 'data'))).size === 8 * MiB, 30_000);
    await srv.kill('SIGKILL');
    await assert.rejects(patch);

    // distribution's storage.maintenance.uploadpurging.age, as an environment override
    await new Promise((r) => setTimeout(r, 1100));
    srv = await start(dataDir, { REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: '1s' });
    const status = await request(srv.port, 'GET', location);
    assert.equal(status.status, 404);
    assert.equal(status.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    const more = await request(srv.port, 'PATCH', location, Buffer.alloc(4), { 'Content-Type': 'application/octet-stream', 'Content-Range': `${8 * MiB}-${8 * MiB + 3}` });
    assert.equal(more.status, 404);
    assert.equal(more.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
    await waitFor('the expired session to be removed', async () => !(await exists(uploadDir)), 5_000);
    assert.deepEqual([...(await tree(join(root, V2, 'blobs'))).keys()], []);
    await srv.kill('SIGTERM');
  });

  it('memory stays flat: a 1 GiB blob pushed and pulled keeps the server under 100 MiB RSS', { timeout: 60_000 }, async (t) => {
    const dataDir = join(base, 'memory');
    const data = new Generated(1024 * MiB);
    const srv = await start(dataDir);
    const idle = vmRssBytes(srv.pid);
    let peak = idle;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, vmRssBytes(srv.pid));
      } catch {
        // the process is gone: the requests below fail
      }
    }, 100);
    try {
      const started = await request(srv.port, 'POST', '/v2/big/blobs/uploads/');
      assert.equal(started.status, 202);
      // the client hashes what it streams: the 1 GiB exists nowhere whole
      const h = createHash('sha256');
      const body = data.stream();
      body.on('data', (c: Buffer) => h.update(c));
      body.pause();
      const patched = await request(srv.port, 'PATCH', String(started.headers.location), body, { 'Content-Type': 'application/octet-stream' });
      assert.equal(patched.status, 202);
      assert.equal(patched.headers.range, `0-${data.size - 1}`);
      const digest = `sha256:${h.digest('hex')}`;
      const done = await request(srv.port, 'PUT', `${patched.headers.location}?digest=${digest}`);
      assert.equal(done.status, 201, done.body.toString());
      const afterPush = peak;
      const pulled = await pullDigest(srv.port, `/v2/big/blobs/${digest}`);
      assert.deepEqual(pulled, { status: 200, size: data.size, digest });
      t.diagnostic(`RSS idle ${(idle / MiB).toFixed(1)} MiB, peak during push ${(afterPush / MiB).toFixed(1)} MiB, peak overall ${(peak / MiB).toFixed(1)} MiB`);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak < 100 * MiB, `peak RSS ${(peak / MiB).toFixed(1)} MiB`);
    await srv.kill('SIGTERM');
  });

  it('temp files left by a crash are never visible and `cloudlet registry gc` removes those older than the grace period', { timeout: 60_000 }, async () => {
    const dataDir = join(base, 'temps');
    const root = join(dataDir, 'registry');
    const srv = await start(dataDir);
    // an image, pushed normally
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from('a layer');
    const dig = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    for (const b of [config, layer]) assert.equal((await request(srv.port, 'POST', `/v2/app/blobs/uploads/?digest=${dig(b)}`, b)).status, 201);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dig(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: dig(layer), size: layer.length }],
    }));
    assert.equal((await request(srv.port, 'PUT', '/v2/app/manifests/v1', manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })).status, 201);

    // what writers killed before their rename leave: a temp file beside the file they were writing
    const lost = Buffer.from('a manifest whose write never finished');
    const lostHex = dig(lost).slice(7);
    const temp = (p: string) => join(root, V2, p, `.tmp-${randomBytes(8).toString('hex')}`);
    const stale = [
      temp(`blobs/sha256/${lostHex.slice(0, 2)}/${lostHex}`), // a blob (manifest) being stored
      temp(`repositories/app/_manifests/revisions/sha256/${lostHex}`), // its revision link
      temp('repositories/app/_manifests/tags/v2/current'), // a new tag
      temp('repositories/app/_manifests/tags/v1/current'), // a tag being moved
      temp(`repositories/app/_layers/sha256/${lostHex}`), // a layer link
      temp('repositories/app/_uploads/0b8e2a44-3a59-4a43-9f3c-2f1b1d0c5e6a'), // an upload session's startedat
    ];
    const fresh = temp('repositories/app/_manifests/tags/v3/current'); // a write under way right now
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    for (const p of stale) {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, p.includes('/blobs/') ? lost : dig(lost));
      await utimes(p, old, old);
    }
    await mkdir(dirname(fresh), { recursive: true });
    await writeFile(fresh, dig(lost));

    // never visible through the API
    const tagList = await request(srv.port, 'GET', '/v2/app/tags/list');
    assert.deepEqual(tagList.json(), { name: 'app', tags: ['v1'] }, 'a tag whose link was never renamed into place does not exist');
    assert.deepEqual((await request(srv.port, 'GET', '/v2/_catalog')).json(), { repositories: ['app'] });
    for (const ref of ['v2', 'v3', dig(lost)]) {
      const r = await request(srv.port, 'GET', `/v2/app/manifests/${ref}`, undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
      assert.equal(r.status, 404, ref);
      assert.equal(r.json().errors[0].code, 'MANIFEST_UNKNOWN');
    }
    assert.equal((await request(srv.port, 'HEAD', `/v2/app/blobs/${dig(lost)}`)).status, 404);
    const v1 = await request(srv.port, 'GET', '/v2/app/manifests/v1', undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(v1.status, 200);
    assert.deepEqual(v1.body, manifest, 'v1 still names the manifest it named');
    const bogusUpload = await request(srv.port, 'GET', '/v2/app/blobs/uploads/0b8e2a44-3a59-4a43-9f3c-2f1b1d0c5e6a');
    assert.equal(bogusUpload.status, 404);
    for (const name of ['.tmp-0011223344556677', '%2Etmp-0011223344556677']) {
      const r = await request(srv.port, 'GET', `/v2/app/manifests/${name}`);
      assert.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status}`);
    }

    // gc: a dry run names them and deletes nothing; then they go, the fresh one stays, the image is whole
    const gc = async (...args: string[]) =>
      (await promisify(execFile)(process.execPath, [CLI, 'registry', 'gc', '--data-dir', dataDir, ...args], { cwd: REPO_ROOT, env: childEnv() })).stdout;
    const dry = await gc('--dry-run');
    for (const p of stale) assert.ok(dry.includes(`would delete temp file /${relative(root, p)}`), `dry run names ${p}:\n${dry}`);
    assert.ok(!dry.includes(relative(root, fresh)), dry);
    for (const p of [...stale, fresh]) assert.equal(await exists(p), true);

    const real = await gc();
    for (const p of stale) {
      assert.ok(real.includes(`deleted temp file /${relative(root, p)}`), real);
      assert.equal(await exists(p), false, p);
    }
    assert.equal(await exists(fresh), true, 'a temp file younger than the grace period may be a write under way');
    const left = [...(await tree(root)).keys()].filter((p) => p.split('/').some((s) => s.startsWith('.tmp-')));
    assert.deepEqual(left, [relative(root, fresh)]);

    const v1Again = await request(srv.port, 'GET', '/v2/app/manifests/v1', undefined, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.deepEqual(v1Again.body, manifest);
    for (const b of [config, layer]) assert.equal((await request(srv.port, 'HEAD', `/v2/app/blobs/${dig(b)}`)).status, 200);
    assert.deepEqual((await request(srv.port, 'GET', '/v2/app/tags/list')).json(), { name: 'app', tags: ['v1'] });
    await srv.kill('SIGTERM');
  });
});
