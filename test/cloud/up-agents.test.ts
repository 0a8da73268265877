// `cloudlet up` with this host's agents: as root with `ip` and `bridge` but no
// dnsmasq on PATH it starts the L2 agent and says in one line that it skipped
// the DHCP agent and why; --bind moves every service, --host names the agents'
// host; `cloudlet agent list` and `cloudlet status` show the agent alive; Ctrl-C
// stops it all. Binding nothing to that host, the agent makes no kernel object.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingFor, onPath } from '../../src/agent/agents.js';
import { backends, requireTool } from '../support/backends.js';
import { cloudlet, requireBuiltCli, sandbox, serve } from '../support/cli.js';
import { until } from '../support/fake-reconciler.js';

test('what an agent needs: root, then its tools on PATH, said in one line', () => {
  const dhcp = { dhcp: { dnsmasq: 'dnsmasq', dnsDomain: 'openstacklocal' } };
  assert.equal(missingFor('l2', dhcp, false), 'not root (agents change network links)');
  assert.equal(missingFor('dhcp', { dhcp: { dnsmasq: '/nonexistent/dnsmasq', dnsDomain: 'x' } }, true), '/nonexistent/dnsmasq not on PATH (Debian: dnsmasq-base)');
  assert.equal(onPath('sh'), true);
});

test('cloudlet up as another user: one line says the agents were skipped and why, the APIs work', async (t) => {
  requireBuiltCli();
  requireTool('setpriv', 'util-linux');
  assert.equal(process.getuid?.(), 0, 'this test runs cloudlet up as nobody: run it as root (CI does)');
  const { home, fresh, env: base, portFlags, ports } = await sandbox(t, backends()[0]);
  for (const dir of [home, fresh.dataDir]) execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
  const env = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4' };
  const up = await serve(['up', ...portFlags.filter((f) => f !== '--no-agents')], env, { prefix: ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] });
  t.after(() => up.stop());
  assert.ok(up.out().includes('agents      skipped the L2 and DHCP agents: not root (agents change network links); the APIs work without them'), up.out());
  assert.equal((await fetch(`http://127.0.0.1:${ports.network}/`)).status, 200);
  assert.equal(await up.stop(), 0);
});

test('cloudlet up as root without dnsmasq: the L2 agent runs, the DHCP agent is skipped in one line; --bind and --host', async (t) => {
  requireBuiltCli();
  requireTool('ip', 'iproute2');
  assert.equal(process.getuid?.(), 0, 'cloudlet up starts agents as root only: run this test as root (CI does)');
  const backend = backends()[0];
  const { env: base, portFlags } = await sandbox(t, backend);
  const bin = mkdtempSync(join(tmpdir(), 'cloudlet-bin-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  for (const tool of ['ip', 'bridge']) {
    const found = (process.env.PATH ?? '').split(':').map((d) => join(d, tool)).find((p) => onPath(p));
    assert.ok(found, `${tool} not found`);
    symlinkSync(found, join(bin, tool));
  }
  const host = `up-agents-${process.pid}`;
  const env = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4' };
  const flags = portFlags.filter((f) => f !== '--no-agents');
  const up = await serve(['up', ...flags, '--bind', '127.0.0.2', '--host', host], { ...env, PATH: bin });
  t.after(() => up.stop());

  await t.test('the banner: services on --bind, the L2 agent for --host, the DHCP agent skipped and why', async () => {
    assert.match(up.out(), /identity +http:\/\/127\.0\.0\.2:\d+\/v3/);
    assert.match(up.out(), /network +http:\/\/127\.0\.0\.2:\d+/);
    assert.ok(up.out().includes(`agents      L2 agent for host ${host}; skipped the DHCP agent: dnsmasq not on PATH (Debian: dnsmasq-base); the APIs work without them`), up.out());
  });

  await t.test('cloudlet agent list and cloudlet status show the L2 agent alive', async () => {
    const admin = { ...env, OS_CLOUD: 'cloudlet' };
    await until('the agent listed', async () => (await cloudlet(['agent', 'list', '--host', host], admin)).stdout.includes('Linux bridge agent'), 20_000);
    const r = await cloudlet(['agent', 'list', '--host', host], admin);
    assert.match(r.stdout, /^ID +Agent Type +Host +Availability Zone +Alive +State +Binary$/m);
    assert.match(r.stdout, new RegExp(`Linux bridge agent +${host} +nova +:-\\) +UP +neutron-linuxbridge-agent`));
    const s = await cloudlet(['status'], env);
    assert.equal(s.code, 0, s.stderr + s.stdout);
    assert.match(s.stdout, new RegExp(`Linux bridge agent +${host} +alive`));
  });

  await t.test('Ctrl-C stops the agent and the services', async () => {
    assert.equal(await up.stop(), 0);
    assert.match(up.out(), /cloudlet stopped/);
  });
});
