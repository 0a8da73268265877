import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { L2Reconciler } from '../../src/agent/l2/reconciler.js';
import { plan, type KernelState } from '../../src/agent/l2/plan.js';
import type { NetworkState } from '../../src/agent/protocol.js';
import { tapName } from '../../src/agent/protocol.js';
import { RecordingRunner } from '../../src/host/linux/runner.js';
import { applyModel, emptyKernel, HOST, hostState, link, NET_A, network, port, rawLink } from './l2-fixtures.js';

const cfg = { localIp: '192.0.2.1', physicalInterfaceMappings: {} };
const log = pino({ level: 'silent' });
const READS = new Set(['ip -json -d link show', 'bridge -json fdb show', 'ip -json neigh show nud permanent', 'ip link add link lo name cl-vlan-probe type vlan id 1']);

/** a runner answering the reads with `k`, as the kernel would print it */
function kernelRunner(k: KernelState, extra: Record<string, { code: number; stderr: string }> = {}): RecordingRunner {
  return new RecordingRunner({
    ...extra,
    'ip link add link lo name cl-vlan-probe type vlan id 1': { code: 2, stderr: 'Error: Unknown device type.\n' },
    'ip -json -d link show': { stdout: JSON.stringify(k.links.map(rawLink)) },
    'bridge -json fdb show': { stdout: JSON.stringify(k.fdb.map((e) => ({ mac: e.mac, ifname: e.dev, dst: e.dst, flags: e.flags, state: e.state }))) },
    'ip -json neigh show nud permanent': { stdout: JSON.stringify(k.neigh.map((e) => ({ dst: e.ip, dev: e.dev, lladdr: e.mac, state: e.state }))) },
  });
}
/** the commands run, a batch (ip -batch -) spelt out as its commands */
const expanded = (r: RecordingRunner): string[] =>
  r.commands.flatMap((c) => (c.argv[1] === '-batch' ? (c.input ?? '').trim().split('\n').map((l) => `${c.argv[0]} ${l}`) : [c.argv.join(' ')]));
const mutating = (r: RecordingRunner): string[] => expanded(r).filter((l) => !READS.has(l));

function setup() {
  const local = port(HOST);
  const n: NetworkState = network(NET_A, { segmentation_id: 42, ports: [local, port('h2')], vteps: [{ host: 'h2', ip: '192.0.2.2' }] });
  const desired = hostState([n]);
  const start = emptyKernel([link(tapName(local.id))]);
  const right = applyModel(start, plan({ desired, actual: start, cfg, vlan: { supported: false } }).steps);
  return { local, n, right };
}

test('a kernel already right: the reconcile runs no mutating command, reports the wired port up once', async () => {
  const { local, n, right } = setup();
  const runner = kernelRunner(right);
  const r = new L2Reconciler(runner, cfg, log);
  assert.deepEqual(await r.reconcile(hostState([n]), { partial: false }), { up: [local.id], down: [] });
  assert.deepEqual(mutating(runner), []);
  assert.deepEqual(await r.reconcile(hostState([n]), { partial: false }), { up: [], down: [] });
  assert.deepEqual(mutating(runner), []);
  const c = r.configurations();
  assert.equal(c.devices, 1);
  assert.equal(c.tunneling_ip, '192.0.2.1');
  assert.match(String(c.vlan_unsupported_reason), /Unknown device type/);
});

test('one more remote port: one bridge fdb and one ip neigh command', async () => {
  const { n, right } = setup();
  const runner = kernelRunner(right);
  const r = new L2Reconciler(runner, cfg, log);
  const more = port('h2');
  await r.reconcile(hostState([{ ...n, ports: [...n.ports, more] }]), { partial: false });
  assert.deepEqual(mutating(runner), [
    `bridge fdb replace ${more.mac_address} dev vxlan-42 dst 192.0.2.2 static`,
    `ip neigh replace ${more.fixed_ips[0].ip_address} lladdr ${more.mac_address} dev vxlan-42 nud permanent`,
  ]);
});

test('a new network from nothing: the bridge and vxlan device are made under a temporary name, marked, renamed', async () => {
  const { n } = setup();
  const runner = kernelRunner(emptyKernel());
  const r = new L2Reconciler(runner, cfg, log);
  assert.deepEqual(await r.reconcile(hostState([n]), { partial: false }), { up: [], down: [] }, 'no tap yet: nothing wired');
  const lines = mutating(runner);
  const tmp = lines[0].split(' ')[3];
  assert.match(tmp, /^cl-tmp-[0-9a-f]{8}$/);
  assert.deepEqual(lines.slice(0, 3), [
    `ip link add ${tmp} mtu 1450 type bridge`,
    `ip link set dev ${tmp} alias cloudlet-l2:${NET_A}`,
    `ip link set dev ${tmp} name brq${NET_A.slice(0, 11)}`,
  ]);
  assert.ok(lines.some((l) => /^ip link add cl-tmp-\w+ mtu 1450 type vxlan id 42 local 192.0.2.1 dstport 4789 nolearning proxy$/.test(l)));
  assert.ok(lines.includes('bridge fdb append 00:00:00:00:00:00 dev vxlan-42 dst 192.0.2.2'));
});

test('a partial reconcile reads the FDB and neighbours of the named networks\' devices only, and reports a port gone as down', async () => {
  const { local, n, right } = setup();
  const runner = kernelRunner(right);
  const r = new L2Reconciler(runner, cfg, log);
  await r.reconcile(hostState([n]), { partial: false });
  runner.commands.length = 0;
  const res = await r.reconcile(hostState([{ ...n, ports: n.ports.filter((p) => p !== local) }]), { partial: true, networkIds: [NET_A] });
  assert.deepEqual(res, { up: [], down: [local.id] });
  assert.ok(runner.lines().includes('bridge -json fdb show dev vxlan-42'));
  assert.ok(!runner.lines().includes('bridge -json fdb show'));
});

test('a step that fails does not stop the others; the error shows in configurations', async () => {
  const { n, right } = setup();
  const more = port('h2');
  const runner = kernelRunner(right, { [`bridge fdb replace ${more.mac_address} dev vxlan-42 dst 192.0.2.2 static`]: { code: 2, stderr: 'RTNETLINK answers: No such device' } });
  const r = new L2Reconciler(runner, cfg, log);
  await r.reconcile(hostState([{ ...n, ports: [...n.ports, more] }]), { partial: false });
  assert.ok(runner.lines().some((l) => l.startsWith('ip neigh replace')));
  assert.match(String((r.configurations().errors as string[])[0]), /No such device/);
});

test("a port bound here whose tap is not made yet: waited for; once the tap appears, its network is named to reconcile again", async () => {
  const local = port(HOST);
  const n: NetworkState = network(NET_A, { segmentation_id: 42, ports: [local], vteps: [] });
  const replies: Record<string, { stdout?: string; code?: number; stderr?: string }> = {
    'ip link add link lo name cl-vlan-probe type vlan id 1': { code: 2, stderr: 'Error: Unknown device type.\n' },
    'ip -json -d link show': { stdout: '[]' },
    'bridge -json fdb show': { stdout: '[]' },
    'ip -json neigh show nud permanent': { stdout: '[]' },
  };
  const r = new L2Reconciler(new RecordingRunner(replies), cfg, log);
  assert.deepEqual(await r.reconcile(hostState([n]), { partial: false }), { up: [], down: [] });
  assert.equal(r.waitingForDevices(), true);
  assert.deepEqual(await r.devicesAppeared(), [], 'no tap yet');
  replies['ip -json -d link show'] = { stdout: JSON.stringify([rawLink(link(tapName(local.id)))]) };
  assert.deepEqual(await r.devicesAppeared(), [NET_A]);
  // reconciled with the tap there: nothing more to wait for (wired or not: a tap that exists is not looked for again)
  await r.reconcile(hostState([n]), { partial: true, networkIds: [NET_A] });
  assert.equal(r.waitingForDevices(), false);
  // bound here again without a tap, then unbound: nothing to wait for
  replies['ip -json -d link show'] = { stdout: '[]' };
  await r.reconcile(hostState([n]), { partial: false });
  assert.equal(r.waitingForDevices(), true);
  await r.reconcile(hostState([network(NET_A, { segmentation_id: 42, ports: [], vteps: [] })]), { partial: true, networkIds: [NET_A] });
  assert.equal(r.waitingForDevices(), false);
});

test('a mapped interface the host does not have: missing_interfaces in configurations, one warning, nothing made', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const runner = kernelRunner(emptyKernel([link('eth0')]));
  const r = new L2Reconciler(runner, { physicalInterfaceMappings: { physnet1: 'eth1', physnet2: 'eth0' } }, logger);
  const flat = network(NET_A, { network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, ports: [port(HOST)] });
  for (let i = 0; i < 2; i++) await r.reconcile(hostState([flat]), { partial: false });
  assert.deepEqual(mutating(runner), []);
  assert.deepEqual(r.configurations().missing_interfaces, { physnet1: 'eth1' });
  assert.deepEqual(r.configurations().interface_mappings, { physnet1: 'eth1', physnet2: 'eth0' }, 'the mappings as configured');
  assert.equal(lines.filter((l) => l.includes('interface eth1 of physical network physnet1 does not exist (physical_interface_mappings)')).length, 1, 'said once, however many reconciles');
});
