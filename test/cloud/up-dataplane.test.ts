// `cloudlet up` as root on one machine wires what the API says: its own L2 and
// DHCP agents serve a port plugged with `cloudlet port plug --wait` into a
// namespace standing for an instance, which takes its port's address by DHCP
// (busybox udhcpc); unplug and deletion take every link, namespace and dnsmasq
// of that network away. Names are the run's own; what is left after a failure
// (the instance namespace, the network's qdhcp- namespace and brq bridge) is removed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { bridgeName, dhcpNamespace, tapName } from '../../src/agent/protocol.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
import { backends, requireTool } from '../support/backends.js';
import { cloudlet, requireBuiltCli, sandbox, serve } from '../support/cli.js';
import { until } from '../support/fake-reconciler.js';

const quiet = (argv: string[]) => {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
  } catch {
    // already gone
  }
};
const exists = (argv: string[]) => {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

test('cloudlet up on one machine: its agents give a plugged instance its address by DHCP, and take everything away after', async (t) => {
  requireBuiltCli();
  for (const [tool, pkg] of [['ip', 'iproute2'], ['dnsmasq', 'dnsmasq-base'], ['busybox', 'busybox-static']]) requireTool(tool, pkg);
  assert.equal(process.getuid?.(), 0, 'cloudlet up starts agents as root only: run this test as root (CI does)');
  const { home, env: base, portFlags } = await sandbox(t, backends()[0]);
  const env = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4' };
  const host = `up-dp-${randomBytes(3).toString('hex')}`;
  // the agents' default state directory as root; removed after up stops (what this run made of it only)
  const stateDir = `/var/lib/cloudlet/agents/${host}`;
  const made = ['/var/lib/cloudlet', '/var/lib/cloudlet/agents'].filter((d) => !existsSync(d));
  t.after(() => {
    rmSync(stateDir, { recursive: true, force: true });
    for (const d of made.reverse()) quiet(['rmdir', d]);
  });
  const up = await serve(['up', ...portFlags.filter((f) => f !== '--no-agents'), '--host', host], env);
  t.after(() => up.stop());
  assert.match(up.out(), new RegExp(`agents +L2 and DHCP agents for host ${host}`));
  const auth = parse(readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8')).clouds.cloudlet.auth;
  const session = new KeystoneSession({ authUrl: auth.auth_url, username: 'admin', password: auth.password, projectName: 'admin' });
  const api = async (method: string, path: string, body?: unknown) => session.json<any>(method, `${await session.endpoint('network')}${path}`, { body });
  const instance = `up-dp-inst-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', instance]);
  t.after(() => quiet(['ip', 'netns', 'del', instance]));
  const network = (await api('POST', '/v2.0/networks', { network: { name: 'dp' } })).network;
  // registered after up.stop(): runs before it (t.after is last in, first out), so the agents take their objects first
  t.after(() => {
    quiet(['ip', 'netns', 'del', dhcpNamespace(network.id)]);
    quiet(['ip', 'link', 'del', bridgeName(network.id)]);
  });
  t.after(() => api('DELETE', `/v2.0/networks/${network.id}`).catch(() => {}));
  const subnet = (await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.213.0.0/24', ip_version: 4 } })).subnet;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: network.id, name: 'inst' } })).port;
  const admin = { ...env, OS_CLOUD: 'cloudlet' };

  await t.test('plug --wait: bound to the host, ACTIVE, a DHCP lease of the port\'s address', async () => {
    const r = await cloudlet(['port', 'plug', port.id, '--netns', instance, '--host', host, '--wait', '30'], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`plugged port ${port.id} \\(${port.mac_address}, mtu 1450\\) into network namespace ${instance} as eth0 on host ${host}`));
    // udhcpc says what it leased on stderr
    const dhcp = spawnSync('ip', ['netns', 'exec', instance, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '10', '-s', '/bin/true'], { encoding: 'utf8', timeout: 60_000 });
    assert.match(`${dhcp.stdout}${dhcp.stderr}`, new RegExp(`lease of ${port.fixed_ips[0].ip_address.replace(/\./g, '\\.')} obtained`));
  });

  await t.test("dnsmasq runs as nobody, its files in /var/lib/cloudlet/agents/<host> (0755, files 0644), the data directory stays 0700", () => {
    const pid = readFileSync(join(stateDir, network.id, 'pid'), 'utf8').trim();
    const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/).map(Number);
    const nobody = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    assert.deepEqual(uids, [nobody, nobody, nobody, nobody], `dnsmasq ${pid}: uids ${uids.join(' ')}`);
    for (const d of [stateDir, join(stateDir, network.id)]) assert.equal(statSync(d).mode & 0o777, 0o755, d);
    assert.equal(statSync(join(stateDir, network.id, 'host')).mode & 0o777, 0o644);
    assert.equal(statSync(base.CLOUDLET_DATA_DIR!).mode & 0o777, 0o700);
    assert.ok(!up.out().includes('dnsmasq runs as root'), up.out());
  });

  await t.test('unplug, then deleting the network: no tap, bridge, qdhcp namespace left', async () => {
    const r = await cloudlet(['port', 'unplug', port.id], admin);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await api('GET', `/v2.0/ports/${port.id}`)).port['binding:host_id'], '');
    assert.equal(exists(['ip', 'link', 'show', tapName(port.id)]), false);
    await api('DELETE', `/v2.0/ports/${port.id}`);
    await api('DELETE', `/v2.0/subnets/${subnet.id}`);
    await api('DELETE', `/v2.0/networks/${network.id}`);
    await until('the network\'s bridge and qdhcp namespace gone', () => !exists(['ip', 'link', 'show', bridgeName(network.id)]) && !exists(['ip', 'netns', 'exec', dhcpNamespace(network.id), 'true']), 30_000);
  });
});
