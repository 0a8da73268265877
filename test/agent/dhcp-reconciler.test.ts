// DhcpReconciler without root: a fake host (commands recorded, namespaces and dnsmasq
// processes simulated) and real files in a temporary directory. Bursts coalesce into a
// handful of SIGHUPs, a lone change is one at once; dead or outdated dnsmasqs are restarted; teardown touches only what
// the state directory says this agent made; a stranger's pid is never signalled.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DhcpReconciler, type DhcpConfig } from '../../src/agent/dhcp/reconciler.js';
import type { HostState, NetworkState, PortState } from '../../src/agent/protocol.js';
import { createLogger } from '../../src/common/logging.js';
import { procTable, type ProcessTable } from '../../src/host/linux/dnsmasq.js';
import { fullArgv, type Command, type Result, type Runner } from '../../src/host/linux/runner.js';
import { NET, network, port, subnet } from './dhcp-fixtures.js';

class FakeProcs implements ProcessTable {
  readonly live = new Map<number, string[]>();
  readonly signals: Array<[number, string]> = [];
  readFile = procTable.readFile;
  removeFile = procTable.removeFile;
  async cmdline(pid: number) {
    return this.live.get(pid) ?? null;
  }
  signal(pid: number, sig: NodeJS.Signals) {
    this.signals.push([pid, sig]);
    if (!this.live.has(pid)) return false;
    if (sig !== 'SIGHUP') this.live.delete(pid);
    return true;
  }
  async sleep() {}
}

/** namespaces and dnsmasq starts simulated; every command recorded */
class FakeHost implements Runner {
  readonly lines: string[] = [];
  readonly namespaces = new Set<string>();
  private nextPid = 4000;
  constructor(private readonly procs: FakeProcs) {}
  async run(cmd: Command): Promise<Result> {
    const argv = fullArgv(cmd);
    this.lines.push(argv.join(' '));
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    if (argv.join(' ') === 'ip -json netns list') return ok(JSON.stringify([...this.namespaces].map((name) => ({ name }))));
    if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'add') this.namespaces.add(argv[3]!);
    if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'del') this.namespaces.delete(argv[3]!);
    if (cmd.argv[0] === 'dnsmasq') {
      const pid = this.nextPid++;
      const pidFile = cmd.argv.find((a) => a.startsWith('--pid-file='))!.slice('--pid-file='.length);
      writeFileSync(pidFile, `${pid}\n`);
      this.procs.live.set(pid, [...cmd.argv]);
    }
    return ok();
  }
}

const V4 = 'dddddddd-dddd-dddd-dddd-dddddddddddd';
const dhcpPort = port('aaaaaaaa-0000-0000-0000-000000000001', 'fa:16:3e:00:00:02', [[V4, '10.0.0.2']], { device_owner: 'network:dhcp', host: 'h1' });
const vm = (i: number): PortState => port(`bbbbbbbb-0000-0000-0000-${String(i).padStart(12, '0')}`, `fa:16:3e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, [[V4, `10.0.${i >> 8}.${(i & 255) + 10}`]]);
const net = (ports: PortState[], extra: Partial<NetworkState> = {}) => network([subnet({ id: V4, cidr: '10.0.0.0/16', gateway_ip: '10.0.0.1' })], ports, extra);
const state = (networks: NetworkState[]): HostState => ({ revision: 1, host: 'h1', agent_id: null, networks });

/** runs `fn` with an agent on a fake host, then closes it and removes its directory */
async function withAgent(fn: (t: Setup) => Promise<void>, mode = 0o755): Promise<void> {
  const t = await setup({}, mode);
  try {
    await fn(t);
  } finally {
    await t.agent.close();
    await t.done();
  }
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function setup(cfg: Partial<DhcpConfig> = {}, mode = 0o755) {
  const dir = await mkdtemp(join(tmpdir(), 'cloudlet-dhcp-unit-'));
  await chmod(dir, mode);
  const procs = new FakeProcs();
  const host = new FakeHost(procs);
  let ensureCalls = 0;
  const agent = new DhcpReconciler(host, { stateDir: join(dir, 'dhcp'), checkIntervalMs: 0, ...cfg }, createLogger('silent'), async (id) => {
    assert.equal(id, NET);
    ensureCalls++;
    return dhcpPort;
  }, procs);
  return { dir, procs, host, agent, ensure: () => ensureCalls, pidFile: join(dir, 'dhcp', NET, 'pid'), done: () => rm(dir, { recursive: true, force: true }) };
}

test('a burst of 100 port creates is a handful of SIGHUPs to one dnsmasq, never a restart', () =>
  // the defaults: 100 ms of quiet, at most 1 s after the first change
  withAgent(async (t) => {
    await t.agent.reconcile(state([net([])]), { partial: false });
    assert.equal(t.agent.counters.starts, 1);
    assert.equal(t.ensure(), 1);
    const ports: PortState[] = [];
    for (let i = 1; i <= 100; i++) {
      ports.push(vm(i));
      await t.agent.reconcile(state([net([...ports])]), { partial: true, networkIds: [NET] });
    }
    await t.agent.flushReloads();
    const { reloads, starts, restarts } = t.agent.counters;
    assert.ok(reloads >= 1 && reloads <= 5, `${reloads} reloads for 100 port creates`);
    assert.equal(starts, 1);
    assert.equal(restarts, 0);
    assert.equal(t.ensure(), 1, 'the DHCP port is asked for once');
    const pid = [...t.procs.live.keys()][0]!;
    assert.deepEqual(new Set(t.procs.signals.map(([p, s]) => `${p} ${s}`)), new Set([`${pid} SIGHUP`]));
    const hosts = await readFile(join(t.dir, 'dhcp', NET, 'host'), 'utf8');
    assert.equal(hosts.trim().split('\n').length, 101);
    // nothing changed: no file written, no reload
    const writes = t.agent.counters.fileWrites;
    await t.agent.reconcile(state([net([...ports])]), { partial: false });
    await t.agent.flushReloads();
    assert.equal(t.agent.counters.fileWrites, writes);
    assert.equal(t.agent.counters.reloads, reloads);
  }));

test('a port change after a quiet spell is one SIGHUP at once, not after the burst delay', () =>
  withAgent(async (t) => {
    await t.agent.reconcile(state([net([])]), { partial: false });
    await t.agent.flushReloads();
    await new Promise((r) => setTimeout(r, 120)); // quiet: longer than the 100 ms burst delay
    const before = t.agent.counters.reloads;
    await t.agent.reconcile(state([net([vm(1)])]), { partial: true, networkIds: [NET] });
    // timers run in order of expiry: one of 5 ms runs after a SIGHUP sent "at once", before one held back 100 ms
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(t.agent.pendingReloads, 0, 'the SIGHUP is not held back');
    await t.agent.flushReloads();
    assert.equal(t.agent.counters.reloads, before + 1);
  }));

test('a dead dnsmasq is started again; a new command line (MTU) is a restart; a stranger holding the pid is never signalled', () =>
  withAgent(async (t) => {
    await t.agent.reconcile(state([net([vm(1)])]), { partial: false });
    const [pid1] = [...t.procs.live.keys()];
    t.procs.live.delete(pid1!); // kill -9
    await t.agent.reconcile(state([net([vm(1)])]), { partial: false });
    assert.equal(t.agent.counters.restarts, 1);
    const [pid2] = [...t.procs.live.keys()];
    assert.notEqual(pid2, pid1);

    await t.agent.reconcile(state([net([vm(1)], { mtu: 1400 })]), { partial: false });
    assert.equal(t.agent.counters.restarts, 2);
    assert.deepEqual(t.procs.signals.slice(-1), [[pid2, 'SIGTERM']]);
    const [pid3] = [...t.procs.live.keys()];
    assert.ok(t.procs.live.get(pid3!)!.includes('--dhcp-option-force=option:mtu,1400'));

    // the pid is reused by another program: not ours, not signalled; a dnsmasq of ours is started
    t.procs.live.set(pid3!, ['sleep', '1000']);
    const before = t.procs.signals.length;
    await t.agent.reconcile(state([net([vm(1), vm(2)], { mtu: 1400 })]), { partial: false });
    await t.agent.flushReloads();
    assert.equal(t.procs.signals.length, before);
    assert.deepEqual(t.procs.live.get(pid3!), ['sleep', '1000']);
    assert.equal(t.agent.counters.starts, 4);
  }));

test('teardown: only networks with a state directory; namespaces and directories of others are left alone', () =>
  withAgent(async (t) => {
    const foreign = '99999999-9999-9999-9999-999999999999';
    t.host.namespaces.add(`qdhcp-${foreign}`); // made by someone else: no state directory
    mkdirSync(join(t.dir, 'dhcp', 'notes'), { recursive: true });
    // named like a network, but without the agent's mark: someone else's
    const unmarked = '88888888-8888-8888-8888-888888888888';
    mkdirSync(join(t.dir, 'dhcp', unmarked), { recursive: true });
    await t.agent.reconcile(state([net([vm(1)])]), { partial: false });
    assert.ok(t.host.namespaces.has(`qdhcp-${NET}`));
    // a network without DHCP subnets any more: removed like a deleted one
    const noDhcp = network([subnet({ id: V4, cidr: '10.0.0.0/16', enable_dhcp: false })], [vm(1)]);
    await t.agent.reconcile(state([noDhcp]), { partial: true, networkIds: [NET] });
    assert.equal(t.agent.counters.stops, 1);
    assert.equal(t.procs.live.size, 0);
    assert.ok(!t.host.namespaces.has(`qdhcp-${NET}`));
    assert.ok(t.host.namespaces.has(`qdhcp-${foreign}`));
    assert.ok(!t.host.lines.some((l) => l.includes(foreign)));
    await assert.rejects(readFile(join(t.dir, 'dhcp', NET, 'host')));
    assert.ok((await stat(join(t.dir, 'dhcp', 'notes'))).isDirectory());
    await t.agent.reconcile(state([]), { partial: false });
    assert.ok((await stat(join(t.dir, 'dhcp', unmarked))).isDirectory());
    assert.ok(!t.host.lines.some((l) => l.includes(unmarked)));
  }));

test('full state without the network removes it; the DHCP port listed in the state is used without asking the server; configurations', () =>
  withAgent(async (t) => {
    await t.agent.reconcile(state([net([vm(1), dhcpPort])]), { partial: false });
    assert.equal(t.ensure(), 0);
    assert.deepEqual(t.agent.configurations(), { dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq', dhcp_lease_duration: 86400, log_agent_heartbeats: false, networks: 1, ports: 2, subnets: 1 });
    await t.agent.reconcile(state([]), { partial: false });
    assert.equal(t.agent.counters.stops, 1);
    assert.ok(!t.host.namespaces.has(`qdhcp-${NET}`));
    assert.deepEqual(t.agent.configurations().networks, 0);
    assert.deepEqual(await t.agent.reconcile(state([]), { partial: false }), { up: [], down: [] });
  }));

test('a state directory nobody cannot reach: dnsmasq keeps root (--user=root), with a warning', () =>
  withAgent(async (t) => {
    await t.agent.reconcile(state([net([vm(1)])]), { partial: false });
    const [argv] = [...t.procs.live.values()];
    assert.equal(argv!.at(-1), '--user=root');
  }, 0o700));

test('under umask 077 the directories it makes are 0755 and its files 0644: dnsmasq drops to nobody (no --user)', async () => {
  const old = process.umask(0o077);
  try {
    await withAgent(async (t) => {
      await t.agent.reconcile(state([net([vm(1)])]), { partial: false });
      const [argv] = [...t.procs.live.values()];
      assert.ok(!argv!.some((a) => a.startsWith('--user')), argv!.join(' '));
      for (const d of [join(t.dir, 'dhcp'), join(t.dir, 'dhcp', NET)]) assert.equal((await stat(d)).mode & 0o777, 0o755, d);
      assert.equal((await stat(join(t.dir, 'dhcp', NET, 'host'))).mode & 0o777, 0o644);
    });
  } finally {
    process.umask(old);
  }
});

test('one network failing (no DHCP port from the server) does not stop the others; the reconcile then fails naming it; an absent network asked for is removed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cloudlet-dhcp-unit-'));
  await chmod(dir, 0o755);
  const procs = new FakeProcs();
  const host = new FakeHost(procs);
  const other = '77777777-7777-7777-7777-777777777777';
  const agent = new DhcpReconciler(host, { stateDir: join(dir, 'dhcp'), checkIntervalMs: 0 }, createLogger('silent'), async (id) => {
    if (id === other) throw new Error(`no DHCP port on ${id}: 409 IpAddressGenerationFailure`);
    return dhcpPort;
  }, procs);
  try {
    await assert.rejects(agent.reconcile(state([{ ...net([vm(1)]), id: other }, net([vm(1)])]), { partial: false }), /no DHCP port on 7777.*IpAddressGenerationFailure/);
    assert.ok(host.namespaces.has(`qdhcp-${NET}`));
    assert.equal(agent.counters.starts, 1);
    await agent.reconcile(state([]), { partial: true, networkIds: [NET] });
    assert.ok(!host.namespaces.has(`qdhcp-${NET}`));
    assert.equal(procs.live.size, 0);
  } finally {
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  }
});
