// DHCP agent, end to end as root: DhcpReconciler wires a qdhcp- namespace and starts
// dnsmasq; busybox udhcpc in client namespaces on the same bridge gets exactly each
// port's address and options. The agent's "host" is a namespace this test makes (its
// host-level commands run there through nsenter), so the machine's own links are untouched.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/common/logging.js';
import { DhcpReconciler } from '../../src/agent/dhcp/reconciler.js';
import { dhcpNamespace, tapName, type HostState, type NetworkState, type PortState } from '../../src/agent/protocol.js';
import { eui64, formatIp } from '../../src/common/net-address.js';
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
/** the session id (field 6 of /proc/PID/stat; the command name may hold spaces) */
const session = (pid: number | 'self'): string => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[3]!;
const exists = (p: string) => stat(p).then(() => true, () => false);

/** the test's "host" namespace with a bridge (the network's, as the L2 agent would make it) and client namespaces on it */
class Lab {
  readonly sfx = randomBytes(3).toString('hex');
  readonly host = `dhcpt-${this.sfx}`;
  readonly bridge = `brt${this.sfx}`;
  readonly clients: string[] = [];
  readonly runner = new HostNamespaceRunner(this.host);
  readonly dir = join(tmpdir(), `cloudlet-dhcp-${this.sfx}`);

  /** `mode` 0o755 lets dnsmasq drop to nobody; 0o700 (as mkdtemp makes) keeps it root */
  async start(mode = 0o755): Promise<void> {
    await mkdir(this.dir, { mode });
    await chmod(this.dir, mode);
    await sh('ip', 'netns', 'add', this.host);
    await sh('ip', '-n', this.host, 'link', 'add', this.bridge, 'type', 'bridge');
    await sh('ip', '-n', this.host, 'link', 'set', this.bridge, 'up');
  }

  /** the L2 agent's part: a DHCP port's tap into the bridge */
  enslave(tap: string) {
    return sh('ip', '-n', this.host, 'link', 'set', tap, 'master', this.bridge);
  }

  /** a client namespace whose eth0 has `mac` and a veth into the bridge */
  async client(mac: string): Promise<string> {
    const i = this.clients.length + 1;
    const ns = `dhcpc-${this.sfx}-${i}`;
    this.clients.push(ns);
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', this.host, 'link', 'add', `c${i}${this.sfx}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'address', mac, 'up');
    await sh('ip', '-n', this.host, 'link', 'set', `c${i}${this.sfx}`, 'master', this.bridge, 'up');
    return ns;
  }

  /** a client for port `p` runs busybox udhcpc; returns the environment its script saw on `bound` */
  async lease(p: PortState, dhcpNs: string): Promise<Record<string, string>> {
    const ns = await this.client(p.mac_address);
    const out = join(this.dir, `lease-${ns}`);
    const script = join(this.dir, `script-${ns}.sh`);
    await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`);
    await chmod(script, 0o755);
    const r = await exec.run({ argv: ['busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '8', '-T', '1', '-O', 'staticroutes', '-O', 'mtu', '-s', script], netns: ns, okCodes: [0, 1] });
    if (r.code !== 0) {
      const seen = await Promise.all([quiet('bridge', '-n', this.host, 'link'), quiet('ip', '-n', dhcpNs, '-br', 'addr'), quiet('ps', '-C', 'dnsmasq', '-o', 'pid,user,args')]);
      assert.fail(`udhcpc for ${p.fixed_ips[0]!.ip_address} got no lease: ${r.stderr}\n${seen.map((x) => x.stdout + x.stderr).join('\n')}`);
    }
    return Object.fromEntries((await readFile(out, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }

  /** kills the dnsmasq of `pidFile` if it still runs, deletes every namespace the test made and the directory */
  async cleanup(pidFile: string, namespaces: string[]): Promise<void> {
    const pid = await pidOf(pidFile).catch(() => 0);
    if (pid > 1 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(`--pid-file=${pidFile}`)) process.kill(pid, 'SIGKILL');
    for (const ns of [...this.clients, ...namespaces, this.host]) await quiet('ip', 'netns', 'del', ns);
    await rm(this.dir, { recursive: true, force: true });
  }
}

const requireRootAndTools = () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces, veth, dnsmasq)');
  requireTool('ip', 'iproute2');
  requireTool('nsenter', 'util-linux');
  requireTool('dnsmasq', 'dnsmasq-base');
  requireTool('busybox', 'busybox-static');
};

test('DHCP agent: dnsmasq in a qdhcp namespace leases each port its address and options; reload, restart, no-op, teardown', { timeout: 120_000 }, async () => {
  requireRootAndTools();
  const lab = new Lab();
  const { host, runner } = lab;
  const stateDir = join(lab.dir, 'dhcp');
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
  const agent = new DhcpReconciler(runner, { stateDir, checkIntervalMs: 0, reloadDelayMs: 50 }, createLogger('silent'), async (id) => {
    assert.equal(id, netId);
    ensureCalls++;
    return dhcpPort;
  });
  const pidFile = join(stateDir, netId, 'pid');

  // one client namespace with a veth into the bridge carrying the port's MAC; returns udhcpc's environment
  const lease = (p: PortState) => lab.lease(p, dhcpNamespace(netId));
  const assertLease = (env: Record<string, string>, p: PortState, dns = '192.0.2.53') => {
    assert.equal(env.ip, p.fixed_ips[0]!.ip_address);
    assert.equal(env.subnet, '255.255.255.0');
    assert.equal(env.router, '10.90.0.1');
    assert.equal(env.dns?.trim(), dns);
    assert.equal(env.mtu, '1450');
    assert.equal(env.staticroutes, '192.168.50.0/24 10.90.0.254 0.0.0.0/0 10.90.0.1');
  };

  try {
    await lab.start();
    await agent.reconcile(state([net]), { partial: false });
    assert.equal(ensureCalls, 1);
    assert.equal(agent.counters.starts, 1);
    const pid = await pidOf(pidFile);
    assert.ok(alive(pid));
    // daemonized: its own session, so the agent's death (or its terminal's) does not take it along
    assert.notEqual(session(pid), session('self'));
    // the L2 agent's part: the DHCP port's tap into the network's bridge
    await lab.enslave(tapName(dhcpPort.id));
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
    await lab.cleanup(pidFile, [dhcpNamespace(netId)]);
  }
});

test('DHCP agent: a SLAAC subnet (ipv6_ra_mode slaac) is advertised by dnsmasq; the client configures exactly its port address; in a state directory nobody cannot reach, dnsmasq keeps root and serves', { timeout: 60_000 }, async () => {
  requireRootAndTools();
  const lab = new Lab();
  const netId = randomUUID();
  const v4 = randomUUID();
  const v6 = randomUUID();
  const prefix = '2001:db8:90::/64';
  const slaac = (mac: string) => formatIp(6, eui64(prefix, mac));
  const dhcpPort = port(randomUUID(), 'fa:16:3e:00:01:02', v4, '10.91.0.2', { device_owner: 'network:dhcp', host: 'host-a' });
  dhcpPort.fixed_ips.push({ subnet_id: v6, ip_address: slaac(dhcpPort.mac_address) });
  const vm = port(randomUUID(), 'fa:16:3e:00:01:11', v4, '10.91.0.11');
  vm.fixed_ips.push({ subnet_id: v6, ip_address: slaac(vm.mac_address) });
  const sub = { name: '', enable_dhcp: true, dns_nameservers: [], host_routes: [], allocation_pools: [] };
  const net: NetworkState = {
    id: netId,
    name: 'net6',
    project_id: randomUUID(),
    admin_state_up: true,
    mtu: 1450,
    network_type: 'vxlan',
    physical_network: null,
    segmentation_id: 1002,
    dns_domain: '',
    vteps: [],
    subnets: [
      { ...sub, id: v4, cidr: '10.91.0.0/24', ip_version: 4, gateway_ip: '10.91.0.1', ipv6_ra_mode: null, ipv6_address_mode: null },
      { ...sub, id: v6, cidr: prefix, ip_version: 6, gateway_ip: '2001:db8:90::1', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' },
    ],
    ports: [vm],
  };
  const stateDir = join(lab.dir, 'dhcp');
  const agent = new DhcpReconciler(lab.runner, { stateDir, checkIntervalMs: 0 }, createLogger('silent'), async () => dhcpPort);
  try {
    await lab.start(0o700);
    await agent.reconcile({ revision: 1, host: 'host-a', agent_id: null, networks: [net] }, { partial: false });
    await lab.enslave(tapName(dhcpPort.id));
    const env = await lab.lease(vm, dhcpNamespace(netId));
    assert.equal(env.ip, '10.91.0.11');
    const ns = lab.clients[0]!;
    const want = slaac(vm.mac_address);
    let seen = '';
    for (let i = 0; i < 100 && !seen.includes(`inet6 ${want}/64`); i++) {
      await new Promise((r) => setTimeout(r, 200));
      seen = (await sh('ip', '-n', ns, '-o', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global')).stdout;
    }
    assert.match(seen, new RegExp(`inet6 ${want}/64`), `no SLAAC address ${want} from dnsmasq's advertisements: ${seen}`);
    assert.equal(seen.trim().split('\n').length, 1, `one global address only: ${seen}`);
  } finally {
    await agent.close();
    await lab.cleanup(join(stateDir, netId, 'pid'), [dhcpNamespace(netId)]);
  }
});
