// Network quotas with Debian's stock clients, as a user types the commands, against
// cloudlet's identity and network services (keystone tokens; the catalog has no
// compute or volume service, which decides what python3-openstackclient 6.0 can do).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keystoneAuth } from '../../src/network/api/keystone-auth.js';
import { backends, requireTool } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { startNetwork } from '../support/network-server.js';

type Run = { code: number; stdout: string; stderr: string };

const openstack = (env: Record<string, string>, args: string[]): Promise<Run> => run('openstack', env, args);

function run(cmd: string, env: Record<string, string>, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** A stand-in for nova's quota read: an empty compute quota set for any project. */
async function stubCompute() {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const id = /^\/v2\.1\/os-quota-sets\/([^/?]+)$/.exec(req.url ?? '')?.[1];
    res.writeHead(id ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(id ? { quota_set: { id } } : { itemNotFound: { code: 404, message: 'not a stub route' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v2.1`, asked, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** the neutron command (python3-neutronclient), deprecated but shipped beside openstack */
const runNeutron = (env: Record<string, string>, args: string[]): Promise<Run> => run('neutron', env, args);

for (const backend of backends()) {
  test(`network quotas with the stock openstack and neutron clients (${backend.name})`, async () => {
    requireTool('openstack', 'python3-openstackclient');
    const home = await mkdtemp(join(tmpdir(), 'cloudlet-oshome-'));
    const identity = await startIdentity(backend);
    const net = await startNetwork(backend, () => {}, keystoneAuth(identity.server.tokens, identity.url));
    let compute: Awaited<ReturnType<typeof stubCompute>> | undefined;
    try {
      // the catalog's network endpoint is this test's server
      const token = await identity.login();
      const auth = { 'x-auth-token': token };
      const services = (await identity.call('GET', '/v3/services?type=network', undefined, auth)).body.services;
      const endpoints = (await identity.call('GET', `/v3/endpoints?service_id=${services[0].id}`, undefined, auth)).body.endpoints;
      for (const e of endpoints) assert.equal((await identity.call('PATCH', `/v3/endpoints/${e.id}`, { endpoint: { url: net.url } }, auth)).status, 200);

      const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
      const as = (user: string, password: string, project: string) => ({
        ...base, OS_AUTH_URL: `${identity.url}/v3`, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: user, OS_PASSWORD: password,
        OS_PROJECT_NAME: project, OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne',
      });
      const admin = as('admin', identity.adminPassword, 'admin');
      const alice = as('alice', 'alice-pw', 'demo');
      const ok = async (env: Record<string, string>, ...args: string[]): Promise<any> => {
        const r = await openstack(env, args);
        assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout.trim().startsWith('{') || r.stdout.trim().startsWith('[') ? JSON.parse(r.stdout) : r.stdout;
      };

      const demo = (await ok(admin, 'project', 'create', 'demo', '-f', 'json')).id as string;
      await ok(admin, 'user', 'create', '--password', 'alice-pw', 'alice');
      await ok(admin, 'role', 'add', '--project', 'demo', '--user', 'alice', 'member');

      // Neutron's defaults and usage, under the client's names
      type Detail = { Resource: string; 'In Use': number; Reserved: number; Limit: number };
      // by id: a member may not look projects up by name in the identity service
      const usage = async (env: Record<string, string>) => {
        const rows: Detail[] = await ok(env, 'quota', 'list', '--network', '--detail', '--project', demo, '-f', 'json');
        return Object.fromEntries(rows.map((r) => [r.Resource, [r['In Use'], r.Limit]]));
      };
      assert.deepEqual(await usage(admin), {
        networks: [0, 100], subnets: [0, 100], ports: [0, 500], security_groups: [0, 10], security_group_rules: [0, 100], rbac_policies: [0, 10],
      });

      // python3-openstackclient before 7.1 (Debian bookworm has 6.0) makes a compute client for
      // `quota show` and `quota set` whatever is asked, and `quota show` reads compute quotas too:
      // with no compute service in the catalog both stop before asking the network API.
      const [major, minor] = (await ok(base, '--version') as string).trim().split(' ')[1].split('.').map(Number);
      const modern = major > 7 || (major === 7 && minor >= 1);
      if (!modern) {
        for (const args of [['quota', 'show', 'demo'], ['quota', 'set', '--networks', '1', 'demo']]) {
          const r = await openstack(admin, args);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /public endpoint for compute service in RegionOne region not found/);
        }
        // Every real cloud has a compute service; cloudlet has none yet, so a stand-in is put in the
        // catalog (mocked: nova cannot exist here). It answers only the compute quota read that
        // `quota show` makes; `quota set --networks` never calls it. Everything network is real.
        compute = await stubCompute();
        await ok(admin, 'service', 'create', '--name', 'nova', 'compute');
        await ok(admin, 'endpoint', 'create', '--region', 'RegionOne', 'nova', 'public', compute.url);
      }
      await ok(admin, 'quota', 'set', '--networks', '1', '--ports', '7', 'demo');
      const shown = await ok(admin, 'quota', 'show', ...(modern ? ['--network'] : []), 'demo', '-f', 'json');
      assert.deepEqual([shown.networks, shown.ports, shown.subnets], [1, 7, 100]);
      if (compute) assert.deepEqual(compute.asked, [`GET /v2.1/os-quota-sets/${demo}`]);
      // the neutron command of the same Debian release sets them too
      const set = await runNeutron(admin, ['quota-update', '--tenant-id', demo, '--network', '1', '--port', '7', '-f', 'json']);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual([JSON.parse(set.stdout).network, JSON.parse(set.stdout).port], [1, 7]);
      assert.deepEqual((await usage(admin)).networks, [0, 1]);
      // a member reads its own project's quota
      assert.deepEqual((await usage(alice)).ports, [0, 7]);

      // the limit holds for the member
      await ok(alice, 'network', 'create', 'one');
      const refused = await openstack(alice, ['network', 'create', 'two']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Quota exceeded for resources: \['network'\]/);
      assert.deepEqual((await usage(alice)).networks, [1, 1]);

      // the projects with quotas of their own
      const listed: Array<Record<string, unknown>> = await ok(admin, 'quota', 'list', '--network', '-f', 'json');
      assert.deepEqual(listed.map((q) => [q['Project ID'], q.Networks, q.Ports]), [[demo, 1, 7]]);

      // a member may not change it
      const denied = await runNeutron(alice, ['quota-update', '--tenant-id', demo, '--network', '50']);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /rule:update_quota/);
    } finally {
      await compute?.close();
      await net.close();
      await identity.close();
      await rm(home, { recursive: true, force: true });
    }
  });
}
