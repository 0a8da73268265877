// `cloudlet up` with this host's agents: as root with `ip` and `bridge` but no
// dnsmasq on PATH it starts the L2 agent and says in one line that it skipped
// the DHCP agent and why; --bind moves every service, --host names the agents'
// host; `cloudlet agent list` and `cloudlet status` show the agent alive; Ctrl-C
// stops it all. With dnsmasq too, both agents run, heartbeat within a short
// agent_down_time, and status tells an agent that stopped reporting (DEAD) and one
// an admin took down. Binding nothing to that host, the agent makes no kernel object.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingFor, onPath } from '../../src/agent/agents.js';
import { AGENT_API } from '../../src/agent/protocol.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
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

test('cloudlet up as root with its two agents: status and agent list show services and agents, alive or DEAD, admin down', async (t) => {
  requireBuiltCli();
  for (const [tool, pkg] of [['ip', 'iproute2'], ['dnsmasq', 'dnsmasq-base']]) requireTool(tool, pkg);
  assert.equal(process.getuid?.(), 0, 'cloudlet up starts agents as root only: run this test as root (CI does)');
  const { home, fresh, env: base, portFlags, ports } = await sandbox(t, backends()[0]);
  const host = `up-status-${process.pid}`;
  const stateDir = join(home, 'agent-state');
  // agent_down_time 4: up's agents report every 2 s (half of it), a silent one is DEAD within seconds
  const env = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4', CLOUDLET_NETWORK__AGENTS__AGENT_DOWN_TIME: '4' };
  const up = await serve(['up', ...portFlags.filter((f) => f !== '--no-agents'), '--host', host, '--agent-state-dir', stateDir], env);
  t.after(() => up.stop());
  assert.ok(up.out().includes(`agents      L2 and DHCP agents for host ${host}`), up.out());
  const admin = { ...env, OS_CLOUD: 'cloudlet' };
  const listed = async () => (await cloudlet(['agent', 'list'], admin)).stdout;
  await until('both agents listed', async () => /Linux bridge agent/.test(await listed()) && /DHCP agent/.test(await listed()), 20_000);

  // an agent of another host that reported once, then went silent
  const service = new KeystoneSession({
    authUrl: `http://127.0.0.1:${ports.identity}/v3`, username: 'cloudlet-agent', password: readFileSync(join(fresh.dataDir, 'agent-password'), 'utf8').trim(),
    projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
  });
  const ghost = `ghost-host-with-a-long-name-${process.pid}`;
  await service.json('POST', `http://127.0.0.1:${ports.network}${AGENT_API}/report`, {
    body: { host: ghost, agent_type: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', availability_zone: 'nova', configurations: {}, start_flag: true },
  });

  await t.test('agent list: both of up\'s agents alive, the silent one XXX after agent_down_time', async () => {
    await until('the silent agent dead', async () => new RegExp(`DHCP agent +${ghost} +nova +XXX +UP +neutron-dhcp-agent`).test(await listed()), 20_000);
    // 8 s after start with a 4 s agent_down_time: up's agents still alive (they heartbeat every 2 s)
    await new Promise((r) => setTimeout(r, 5000));
    const out = await listed();
    assert.match(out, new RegExp(`Linux bridge agent +${host} +nova +:-\\) +UP +neutron-linuxbridge-agent`), out);
    assert.match(out, new RegExp(`DHCP agent +${host} +nova +:-\\) +UP +neutron-dhcp-agent`), out);
  });

  await t.test('status: every service answering, each agent alive or DEAD, one taken down by an admin says so; exit 0', async () => {
    const a = await cloudlet(['agent', 'list', '--host', host], admin);
    const l2 = /^(\S+) +Linux bridge agent/m.exec(a.stdout)![1];
    const session = new KeystoneSession({ ...(await adminAuth(home)) });
    await session.json('PUT', `http://127.0.0.1:${ports.network}/v2.0/agents/${l2}`, { body: { agent: { admin_state_up: false } } });
    const s = await cloudlet(['status'], env);
    assert.equal(s.code, 0, s.stderr + s.stdout);
    for (const [name, port] of [['identity', ports.identity], ['network', ports.network], ['registry', ports.registry]] as const) {
      assert.match(s.stdout, new RegExp(`^  ${name} +http://127\\.0\\.0\\.1:${port}\\S* +answering$`, 'm'));
    }
    const agentLines = s.stdout.split('agents\n')[1].split('\n').filter(Boolean);
    assert.deepEqual(agentLines.map((l) => l.trim().split(/ {2,}/)).sort(), [
      ['DHCP agent', ghost, 'DEAD'],
      ['DHCP agent', host, 'alive'],
      ['Linux bridge agent', host, 'alive (admin down)'],
    ].sort((x, y) => x.join().localeCompare(y.join())));
  });

  await t.test('status once up is gone: the identity service not answering, exit 1', async () => {
    assert.equal(await up.stop(), 0);
    const s = await cloudlet(['status'], env);
    assert.equal(s.code, 1);
    assert.match(s.stdout, new RegExp(`^  identity +http://127\\.0\\.0\\.1:${ports.identity}/v3 +not answering: `, 'm'));
  });
});

/** the admin's credentials `up` wrote into clouds.yaml */
async function adminAuth(home: string) {
  const { parse } = await import('yaml');
  const auth = parse(readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8')).clouds.cloudlet.auth;
  return { authUrl: auth.auth_url as string, username: 'admin', password: auth.password as string, projectName: 'admin', userDomainName: 'Default', projectDomainName: 'Default' };
}
