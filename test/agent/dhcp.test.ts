// DHCP agent, end to end as root: DhcpReconciler wires a qdhcp- namespace and starts
// dnsmasq; busybox udhcpc in client namespaces on the same bridge gets exactly each
// port's address and options. The agent's "host" is a namespace this test makes (its
// host-level commands run there through nsenter), so the machine's own links are untouched.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/common/logging.js';
import { DhcpReconciler } from '../../src/agent/dhcp/reconciler.js';
import { dhcpNamespace, tapName, type HostState, type NetworkState, type PortState } from '../../src/agent/protocol.js';
import { ExecRunner, type Command, type Result, type Runner } from '../../src/host/linux/runner.js';
import { requireTool } from '../support/backends.js';

const exec = new ExecRunner();
const sh = (...argv: [string, ...string[]]) => exec.run({ argv });
const quiet = (...argv: [string, ...string[]]) => exec.run({ argv, okCodes: [0, 1, 2, 255] });

/** runs the agent's host-level commands inside the test's "host" namespace, and records them */
class HostNamespaceRunner implements Runner {
  readonly commands: Command[] = [];
  constructor(private readonly host: string) {}
  run(cmd: Command): Promise<Result> {
    this.commands.push(cmd);
    return exec.run(cmd.netns ? cmd : { ...cmd, argv: ['nsenter', `--net=/run/netns/${this.host}`, ...cmd.argv] });
  }
}

const port = (id: string, mac: string, subnetId: string, ip: string, extra: Partial<PortState> = {}): PortState => ({
  id,
  mac_address: mac,
  fixed_ips: [{ subnet_id: subnetId, ip_address: ip }],
  device_owner: 'compute:nova',
  device_id: randomUUID(),
  admin_state_up: true,
  status: 'ACTIVE',
  host: 'elsewhere',
  vif_type: 'bridge',
  dns_name: '',
  extra_dhcp_opts: [],
  ...extra,
});

const pidOf = async (pidFile: string): Promise<number> => Number((await readFile(pidFile, 'utf8')).trim());
/** running (a zombie is not: dnsmasq's parent is init, which may be slow to reap it) */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const exists = (p: string) => stat(p).then(() => true, () => false);

test('DHCP agent: dnsmasq in a qdhcp namespace leases each port its address and options; reload, restart, no-op, teardown', { timeout: 120_000 }, async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces, veth, dnsmasq)');
  requireTool('ip', 'iproute2');
  requireTool('nsenter', 'util-linux');
  requireTool('dnsmasq', 'dnsmasq-base');
  requireTool('busybox', 'busybox-static');

  const sfx = randomBytes(3).toString('hex');
  const host = `dhcpt-${sfx}`;
  const bridge = `brt${sfx}`;
  const clients: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'cloudlet-dhcp-'));
  await chmod(dir, 0o755); // dnsmasq runs as nobody
  const stateDir = join(dir, 'dhcp');
  const netId = randomUUID();
  const subnetId = randomUUID();
  const dhcpPort = port(randomUUID(), 'fa:16:3e:00:00:02', subnetId, '10.90.0.2', { device_owner: 'network:dhcp', host: 'host-a' });
  const vm1 = port(randomUUID(), 'fa:16:3e:00:00:11', subnetId, '10.90.0.11');
  const vm2 = port(randomUUID(), 'fa:16:3e:00:00:12', subnetId, '10.90.0.12');
  const vm3 = port(randomUUID(), 'fa:16:3e:00:00:13', subnetId, '10.90.0.13');
  const net: NetworkState = {
    id: netId,
    name: 'net1',
    project_id: randomUUID(),
    admin_state_up: true,
    mtu: 1450,
    network_type: 'vxlan',
    physical_network: null,
    segmentation_id: 1001,
    dns_domain: '',
    subnets: [
      {
        id: subnetId,
        name: 'sub1',
        cidr: '10.90.0.0/24',
        ip_version: 4,
        gateway_ip: '10.90.0.1',
        enable_dhcp: true,
        dns_nameservers: ['192.0.2.53'],
        host_routes: [{ destination: '192.168.50.0/24', nexthop: '10.90.0.254' }],
        allocation_pools: [{ start: '10.90.0.2', end: '10.90.0.254' }],
        ipv6_ra_mode: null,
        ipv6_address_mode: null,
      },
    ],
    ports: [vm1, vm2],
    vteps: [],
  };
  const state = (networks: NetworkState[]): HostState => ({ revision: 1, host: 'host-a', agent_id: null, networks });
  let ensureCalls = 0;
  const runner = new HostNamespaceRunner(host);
  const agent = new DhcpReconciler(runner, { stateDir, checkIntervalMs: 0, reloadDelayMs: 50 }, createLogger('silent'), async (id) => {
    assert.equal(id, netId);
    ensureCalls++;
    return dhcpPort;
  });
  const pidFile = join(stateDir, netId, 'pid');

  // one client namespace with a veth into the bridge carrying the port's MAC; returns udhcpc's environment
  const lease = async (p: PortState): Promise<Record<string, string>> => {
    const i = clients.length + 1;
    const ns = `dhcpc-${sfx}-${i}`;
    clients.push(ns);
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', host, 'link', 'add', `c${i}${sfx}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'address', p.mac_address, 'up');
    await sh('ip', '-n', host, 'link', 'set', `c${i}${sfx}`, 'master', bridge, 'up');
    const out = join(dir, `lease-${i}`);
    const script = join(dir, `script-${i}.sh`);
    await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
    await chmod(script, 0o755);
    const r = await exec.run({ argv: ['busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '8', '-T', '1', '-O', 'staticroutes', '-O', 'mtu', '-s', script], netns: ns, okCodes: [0, 1] });
    if (r.code !== 0) {
      const seen = await Promise.all([quiet('bridge', '-n', host, 'link'), quiet('ip', '-n', dhcpNamespace(netId), '-br', 'addr'), quiet('ps', '-C', 'dnsmasq', '-o', 'pid,user,args')]);
      assert.fail(`udhcpc for ${p.fixed_ips[0]!.ip_address} got no lease: ${r.stderr}\n${seen.map((x) => x.stdout + x.stderr).join('\n')}`);
    }
    const env = Object.fromEntries((await readFile(out, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return env;
  };
  const assertLease = (env: Record<string, string>, p: PortState, dns = '192.0.2.53') => {
    assert.equal(env.ip, p.fixed_ips[0]!.ip_address);
    assert.equal(env.subnet, '255.255.255.0');
    assert.equal(env.router, '10.90.0.1');
    assert.equal(env.dns?.trim(), dns);
    assert.equal(env.mtu, '1450');
    assert.equal(env.staticroutes, '192.168.50.0/24 10.90.0.254 0.0.0.0/0 10.90.0.1');
  };

  try {
    await sh('ip', 'netns', 'add', host);
    await sh('ip', '-n', host, 'link', 'add', bridge, 'type', 'bridge');
    await sh('ip', '-n', host, 'link', 'set', bridge, 'up');

    await agent.reconcile(state([net]), { partial: false });
    assert.equal(ensureCalls, 1);
    assert.equal(agent.counters.starts, 1);
    const pid = await pidOf(pidFile);
    assert.ok(alive(pid));
    // the L2 agent's part: the DHCP port's tap into the network's bridge
    await sh('ip', '-n', host, 'link', 'set', tapName(dhcpPort.id), 'master', bridge);
    const addr = await sh('ip', '-n', dhcpNamespace(netId), '-o', '-4', 'addr', 'show');
    assert.match(addr.stdout, /ns-\S+\s+inet 10\.90\.0\.2\/24/);
    assert.equal(await readFile(join(stateDir, netId, 'host'), 'utf8'), [
      `fa:16:3e:00:00:11,host-10-90-0-11.openstacklocal,10.90.0.11`,
      `fa:16:3e:00:00:12,host-10-90-0-12.openstacklocal,10.90.0.12`,
      `fa:16:3e:00:00:02,host-10-90-0-2.openstacklocal,10.90.0.2`,
      '',
    ].join('\n'));

    assertLease(await lease(vm1), vm1);
    assertLease(await lease(vm2), vm2);

    // a new port, and the subnet's nameservers cleared: files rewritten, one SIGHUP, the same
    // dnsmasq, which now names itself (the DHCP port's address) as the DNS server
    const changed = { ...net, ports: [vm1, vm2, vm3], subnets: [{ ...net.subnets[0]!, dns_nameservers: [] }] };
    await agent.reconcile(state([changed]), { partial: true, networkIds: [netId] });
    await agent.flushReloads();
    assert.equal(agent.counters.reloads, 1);
    assert.equal(agent.counters.starts, 1);
    assert.equal(await pidOf(pidFile), pid);
    assertLease(await lease(vm3), vm3, '10.90.0.2');

    // dnsmasq killed: the next reconcile starts it again
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 10));
    const full = state([changed]);
    await agent.reconcile(full, { partial: false });
    assert.equal(agent.counters.restarts, 1);
    const pid2 = await pidOf(pidFile);
    assert.notEqual(pid2, pid);
    assert.ok(alive(pid2));

    // nothing changed, twice: only reads (ip -json), no reload, same process
    for (let i = 0; i < 2; i++) {
      runner.commands.length = 0;
      await agent.reconcile(full, { partial: false });
      await agent.flushReloads();
      const writes = runner.commands.filter((c) => !c.argv.includes('-json'));
      assert.deepEqual(writes, [], `a no-op reconcile ran ${JSON.stringify(writes.map((c) => c.argv.join(' ')))}`);
    }
    assert.equal(agent.counters.reloads, 1);
    assert.equal(await pidOf(pidFile), pid2);
    assert.equal(ensureCalls, 1);

    // the network gone from the full state: dnsmasq, namespace, veth and files go
    await agent.reconcile(state([]), { partial: false });
    assert.equal(agent.counters.stops, 1);
    assert.ok(!alive(pid2), 'dnsmasq still runs');
    const namespaces = (await sh('ip', 'netns', 'list')).stdout;
    assert.ok(!namespaces.includes(dhcpNamespace(netId)), 'namespace left behind');
    const links = (await sh('ip', '-n', host, '-o', 'link', 'show')).stdout;
    assert.ok(!links.includes(tapName(dhcpPort.id)), 'tap left behind');
    assert.ok(!(await exists(join(stateDir, netId))), 'state directory left behind');
  } finally {
    await agent.close();
    const pid = await pidOf(pidFile).catch(() => 0);
    if (pid > 1 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(`--pid-file=${pidFile}`)) process.kill(pid, 'SIGKILL');
    for (const ns of [...clients, dhcpNamespace(netId), host]) await quiet('ip', 'netns', 'del', ns);
    await rm(dir, { recursive: true, force: true });
  }
});
