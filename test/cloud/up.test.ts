// `cloudlet up` as a new user meets it: the built CLI in a child process, with
// HOME in a temp dir, so the clouds.yaml it writes is the one the stock
// `openstack` client (python3-openstackclient) reads. Then two project members
// use the network API through keystone tokens and are kept apart, until an
// RBAC policy shares one network.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backends, requireTool } from '../support/backends.js';
import { CLI, freePort } from '../support/cli.js';

type Run = { code: number; stdout: string; stderr: string };
function openstack(env: Record<string, string>, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile('openstack', args, { env, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** starts `cloudlet up` (without this machine's agents: tests run as root); resolves once it printed its banner (killed if it does not within 60 s) */
function up(env: NodeJS.ProcessEnv, networkPort: number): Promise<{ child: ChildProcess; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=2', CLI, 'up', '--port', String(networkPort), '--no-agents'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cloudlet up did not finish starting in 60 s:\n${out}${err}`));
    }, 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ctrl-C stops it.')) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cloudlet up exited ${code}:\n${out}${err}`));
    });
  });
}

for (const backend of backends()) {
  test(`cloudlet up: openstack --os-cloud cloudlet works at once, and projects are kept apart (${backend.name})`, async (t) => {
    requireTool('openstack', 'python3-openstackclient');
    assert.ok(existsSync(CLI), `${CLI} is missing: run npx tsc -p . first`);
    const home = await mkdtemp(join(tmpdir(), 'cloudlet-home-'));
    // removed even when a step below fails
    t.after(() => rm(home, { recursive: true, force: true }));
    const fresh = await backend.fresh();
    t.after(() => fresh.cleanup());
    const [identityPort, networkPort, registryPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LANG: 'C.UTF-8',
      CLOUDLET_DATA_DIR: fresh.dataDir,
      CLOUDLET_LOG_LEVEL: 'warn',
      CLOUDLET_IDENTITY__PORT: String(identityPort),
      REGISTRY_HTTP_ADDR: `127.0.0.1:${registryPort}`,
      ...(fresh.databaseUrl ? { CLOUDLET_DATABASE_URL: fresh.databaseUrl } : {}),
    };
    const { child, out } = await up(env, networkPort);
    try {
      const clouds = join(home, '.config', 'openstack', 'clouds.yaml');
      assert.equal(statSync(clouds).mode & 0o777, 0o600);
      // stdout is a pipe here, as under a service manager: the generated password goes to clouds.yaml only
      const password = /password: (\S+)/.exec(readFileSync(clouds, 'utf8'))?.[1];
      assert.ok(password, 'clouds.yaml holds the admin password');
      assert.ok(!out().includes(password), `the password is not printed off a terminal:\n${out()}`);
      assert.match(out(), new RegExp(`created user admin \\(domain Default, project admin\\); its password is in ${clouds}`));

      const base = { PATH: env.PATH!, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
      const admin = { ...base, OS_CLOUD: 'cloudlet' };
      const as = (user: string, project: string) => ({
        ...base, OS_AUTH_URL: `http://127.0.0.1:${identityPort}/v3`, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: user, OS_PASSWORD: `${user}-pw`,
        OS_PROJECT_NAME: project, OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne',
      });
      const ok = async (e: Record<string, string>, ...args: string[]): Promise<any> => {
        const r = await openstack(e, args);
        assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout.trim() ? JSON.parse(r.stdout) : null;
      };
      const fails = async (e: Record<string, string>, pattern: RegExp, ...args: string[]): Promise<void> => {
        const r = await openstack(e, args);
        assert.notEqual(r.code, 0, `openstack ${args.join(' ')} should have failed:\n${r.stdout}`);
        assert.match(r.stderr, pattern);
      };

      await t.test('the admin from clouds.yaml lists networks at once', async () => {
        assert.deepEqual(await ok(admin, 'network', 'list', '-f', 'json'), []);
      });

      await t.test('the catalog names each service where it listens (the registry per REGISTRY_HTTP_ADDR)', async () => {
        const endpoints = (await ok(admin, 'endpoint', 'list', '-f', 'json')) as Array<{ 'Service Type': string; Interface: string; URL: string }>;
        const url = (type: string) => endpoints.find((e) => e['Service Type'] === type && e.Interface === 'public')?.URL;
        assert.equal(url('image-registry'), `http://127.0.0.1:${registryPort}`);
        assert.equal(url('network'), `http://127.0.0.1:${networkPort}`);
      });

      const ids: Record<string, string> = {};
      await t.test('admin makes two projects with one member each', async () => {
        for (const p of ['pa', 'pb', 'pc']) ids[p] = (await ok(admin, 'project', 'create', '-f', 'json', p)).id;
        for (const [u, p] of [['ua', 'pa'], ['ub', 'pb']]) {
          await ok(admin, 'user', 'create', '-f', 'json', '--password', `${u}-pw`, u);
          await ok(admin, 'role', 'add', '--project', p, '--user', u, 'member');
        }
      });

      await t.test("a member creates a network in its project; the other project neither sees nor uses it", async () => {
        const net = await ok(as('ua', 'pa'), 'network', 'create', '-f', 'json', 'neta');
        ids.neta = net.id;
        assert.equal(net.project_id, ids.pa);
        await ok(as('ua', 'pa'), 'subnet', 'create', '-f', 'json', '--network', net.id, '--subnet-range', '10.9.0.0/24', 'suba');
        const seen = (await ok(as('ub', 'pb'), 'network', 'list', '-f', 'json')) as Array<{ ID: string }>;
        assert.ok(!seen.some((n) => n.ID === net.id));
        await fails(as('ub', 'pb'), /No Network found|Not ?Found|404/i, 'network', 'show', net.id);
        await fails(as('ub', 'pb'), /No Network found|Not ?Found|404/i, 'port', 'create', '--network', net.id, 'pb-port');
        await fails(as('ub', 'pb'), /No Network found|Not ?Found|404/i, 'network', 'delete', net.id);
      });

      await t.test('members cannot set admin-only attributes', async () => {
        await fails(as('ua', 'pa'), /disallowed by policy|403|Forbidden/i, 'network', 'create', '--provider-network-type', 'vxlan', 'nope');
      });

      await t.test('shared by RBAC to project b (not to c): b sees and uses it', async () => {
        await ok(admin, 'network', 'rbac', 'create', '-f', 'json', '--target-project', ids.pb, '--action', 'access_as_shared', '--type', 'network', ids.neta);
        const seen = (await ok(as('ub', 'pb'), 'network', 'list', '-f', 'json')) as Array<{ ID: string }>;
        assert.ok(seen.some((n) => n.ID === ids.neta));
        const port = await ok(as('ub', 'pb'), 'port', 'create', '-f', 'json', '--network', ids.neta, 'pb-port');
        assert.equal(port.project_id, ids.pb);
      });

      await t.test('the network API refuses a tampered, a revoked and an unscoped token', async () => {
        const tok = (await ok(as('ua', 'pa'), 'token', 'issue', '-f', 'json')).id as string;
        const list = (token: string) => fetch(`http://127.0.0.1:${networkPort}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
        assert.equal((await list(tok)).status, 200);
        const [h, p, sig] = tok.split('.');
        const flipped = `${h}.${p}.${sig!.slice(0, -2)}${sig!.slice(-2) === 'AA' ? 'BA' : 'AA'}`;
        assert.equal((await list(flipped)).status, 401, 'a changed signature');
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
        claims.project = { ...claims.project, id: ids.pb };
        assert.equal((await list(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`)).status, 401, 'a scope changed in the payload');
        const unscoped = await fetch(`http://127.0.0.1:${identityPort}/v3/auth/tokens`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'ua', domain: { id: 'default' }, password: 'ua-pw' } } } } }),
        });
        assert.equal(unscoped.status, 201);
        assert.equal((await list(unscoped.headers.get('x-subject-token')!)).status, 401, 'an unscoped token names no project');
        const revoke = await fetch(`http://127.0.0.1:${identityPort}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': tok, 'X-Subject-Token': tok } });
        assert.equal(revoke.status, 204);
        assert.equal((await list(tok)).status, 401, 'a revoked token, replayed');
      });

      await t.test('without a token the network API answers 401, as keystonemiddleware does', async () => {
        const r = await fetch(`http://127.0.0.1:${networkPort}/v2.0/networks`);
        assert.equal(r.status, 401);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/);
        assert.equal(((await r.json()) as any).error.code, 401);
        const bad = await fetch(`http://127.0.0.1:${networkPort}/v2.0/networks`, { headers: { 'X-Auth-Token': 'not-a-token' } });
        assert.equal(bad.status, 401);
        // all of /v2.0 is behind the token, as in Neutron's api-paste; only the version list is open
        for (const path of ['/v2.0', '/v2.0/extensions', '/v2.0/extensions/net-mtu', '/v2.0/no-such-thing']) {
          assert.equal((await fetch(`http://127.0.0.1:${networkPort}${path}`)).status, 401, path);
        }
        assert.equal((await fetch(`http://127.0.0.1:${networkPort}/`)).status, 200);
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
}
