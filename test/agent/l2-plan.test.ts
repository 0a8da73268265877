import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingInterfaces, plan, type KernelState, type PlanInput } from '../../src/agent/l2/plan.js';
import type { L2Config } from '../../src/agent/l2/config.js';
import { markFor } from '../../src/agent/l2/marks.js';
import { temporaryName } from '../../src/host/linux/links.js';
import type { NetworkState } from '../../src/agent/protocol.js';
import { bridgeName, tapName } from '../../src/agent/protocol.js';
import { applyModel, emptyKernel, fdbEntry, HOST, hostState, link, NET_A, NET_B, network, port } from './l2-fixtures.js';

const cfg: L2Config = { localIp: '192.0.2.1', physicalInterfaceMappings: { physnet1: 'eth1' } };
const noVlan = { supported: false, reason: 'the kernel has no 802.1Q VLAN support (ip link add … type vlan: Error: Unknown device type.)' };
const input = (networks: NetworkState[], actual: KernelState, over: Partial<PlanInput> = {}): PlanInput => ({ desired: hostState(networks), actual, cfg, vlan: noVlan, ...over });
const BR_A = bridgeName(NET_A);

/** plans, applies to the model, and checks that planning again changes nothing */
function converge(networks: NetworkState[], actual: KernelState, over: Partial<PlanInput> = {}) {
  const p = plan(input(networks, actual, over));
  const after = applyModel(actual, p.steps);
  assert.deepEqual(plan(input(networks, after, over)).steps, [], 'a second plan is empty');
  return { p, after };
}

test('a new local network: a marked bridge, IPv6 off, up; the tap enslaved with the network MTU', () => {
  const local = port(HOST);
  const n = network(NET_A, { network_type: 'local', segmentation_id: null, ports: [local] });
  const tap = link(tapName(local.id), { up: false });
  const { p } = converge([n], emptyKernel([tap]));
  assert.deepEqual(p.steps, [
    { op: 'create', name: BR_A, link: { kind: 'bridge' }, mark: markFor(NET_A), mtu: 1450 },
    { op: 'set', name: BR_A, change: { up: true } },
    { op: 'set', name: tap.name, change: { master: BR_A, mtu: 1450, up: true } },
    { op: 'sysctl', key: `net.ipv6.conf.${BR_A}.disable_ipv6`, value: '1' },
  ]);
  assert.deepEqual([...p.wired], [[local.id, NET_A]]);
});

test('a create killed half-way left a cl-tmp-… link: it is deleted before the create', () => {
  const n = network(NET_A, { network_type: 'local', ports: [port(HOST)] });
  const left = link(temporaryName(BR_A), { kind: 'bridge' });
  const p = plan(input([n], emptyKernel([left])));
  assert.deepEqual(p.steps.slice(0, 2).map((s) => [s.op, 'name' in s && s.name]), [['delete', left.name], ['create', BR_A]]);
});

test('a create killed between add and alias, for a network no longer served here: the unmarked cl-tmp-… link goes on a full reconcile only', () => {
  const gone = bridgeName('0f0e0d0c-0000-4000-8000-000000000000');
  const unmarked = link(temporaryName(gone), { kind: 'bridge' });
  const markedLeft = link(temporaryName('vxlan-77'), { kind: 'vxlan', alias: markFor('0f0e0d0c-0000-4000-8000-000000000000') });
  // named like a temporary but not one of the agent's (not 8 hex digits), and a foreign bridge: never touched
  const others = [link('cl-tmp-eth0', { kind: 'bridge' }), link('cl-tmp-0123456789', { kind: 'bridge' }), link(bridgeName(NET_B), { kind: 'bridge' })];
  const n = network(NET_A, { network_type: 'local', ports: [port(HOST)] });
  const { p, after } = converge([n], emptyKernel([unmarked, markedLeft, ...others]));
  const deletes = p.steps.filter((s) => s.op === 'delete').map((s) => 'name' in s && s.name);
  assert.deepEqual(deletes.sort(), [markedLeft.name, unmarked.name].sort(), 'each once');
  assert.deepEqual(after.links.filter((l) => l.name.startsWith('cl-tmp-')).map((l) => l.name), ['cl-tmp-eth0', 'cl-tmp-0123456789']);
  // a partial reconcile (one network's change) may run while no create of its own is under way, but sweeps nothing
  const partial = plan(input([n], emptyKernel([unmarked, ...others]), { scope: new Set([NET_A]) }));
  assert.ok(!partial.steps.some((s) => s.op === 'delete' && s.name === unmarked.name));
});

test('a port whose tap does not exist yet is not wired, and nothing is made for it', () => {
  const local = port(HOST);
  const { p } = converge([network(NET_A, { network_type: 'local', ports: [local] })], emptyKernel());
  assert.equal(p.wired.size, 0);
  assert.equal(p.steps.filter((s) => s.op === 'set' && s.name.startsWith('tap')).length, 0);
});

test('a new vxlan network: vxlan-VNI (local IP, 4789, nolearning, proxy) in the bridge; flood, FDB and neighbour entries for the other hosts only', () => {
  const local = port(HOST);
  const r1 = port('h2');
  const r2 = port('h2', { fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.50' }, { subnet_id: 's6', ip_address: 'fd00:0:0:0::50' }] });
  const r3 = port('h3');
  const unbound = port('');
  const n = network(NET_A, {
    segmentation_id: 1001,
    ports: [local, r1, r2, r3, unbound],
    vteps: [{ host: 'h2', ip: '192.0.2.2' }, { host: 'h3', ip: '192.0.2.3' }, { host: 'h4', ip: '192.0.2.4' }],
  });
  const { p } = converge([n], emptyKernel([link(tapName(local.id), { master: BR_A, mtu: 1450 })]));
  const vx = p.steps.filter((s) => 'name' in s && s.name === 'vxlan-1001');
  assert.deepEqual(vx, [
    { op: 'create', name: 'vxlan-1001', link: { kind: 'vxlan', vni: 1001, local: '192.0.2.1', dstport: 4789, learning: false, proxy: true }, mark: markFor(NET_A), mtu: 1450 },
    { op: 'set', name: 'vxlan-1001', change: { master: BR_A, up: true } },
  ]);
  const l2pop = p.steps.filter((s) => 'dev' in s);
  assert.deepEqual(l2pop.filter((s) => s.op === 'flood-add').map((s) => 'dst' in s && s.dst), ['192.0.2.2', '192.0.2.3'], 'h4 has no port here: no flooding to it');
  assert.deepEqual(l2pop.filter((s) => s.op === 'fdb-set').map((s) => s.op === 'fdb-set' && [s.mac, s.dst]), [
    [r1.mac_address, '192.0.2.2'],
    [r2.mac_address, '192.0.2.2'],
    [r3.mac_address, '192.0.2.3'],
  ]);
  assert.deepEqual(l2pop.filter((s) => s.op === 'neigh-set').map((s) => s.op === 'neigh-set' && [s.ip, s.mac]), [
    [r1.fixed_ips[0].ip_address, r1.mac_address],
    ['10.0.0.50', r2.mac_address],
    ['fd00::50', r2.mac_address],
    [r3.fixed_ips[0].ip_address, r3.mac_address],
  ]);
  assert.ok(!l2pop.some((s) => 'mac' in s && s.mac === local.mac_address), 'no entry for a port of this host');
  assert.ok(!l2pop.some((s) => 'mac' in s && s.mac === unbound.mac_address), 'no entry for an unbound port');
});

function wiredVxlan(ports = [port(HOST), port('h2')]) {
  const n = network(NET_A, { segmentation_id: 7, ports, vteps: [{ host: 'h2', ip: '192.0.2.2' }, { host: 'h3', ip: '192.0.2.3' }] });
  const tap = link(tapName(ports[0].id));
  return { n, kernel: converge([n], emptyKernel([tap])).after };
}

test('one more remote port: exactly one FDB and one neighbour entry', () => {
  const { n, kernel } = wiredVxlan();
  const more = port('h2');
  const p = plan(input([{ ...n, ports: [...n.ports, more] }], kernel));
  assert.deepEqual(p.steps, [
    { op: 'fdb-set', dev: 'vxlan-7', mac: more.mac_address, dst: '192.0.2.2' },
    { op: 'neigh-set', dev: 'vxlan-7', ip: more.fixed_ips[0].ip_address, mac: more.mac_address },
  ]);
});

test('a remote VTEP added and another removed: flood entries follow the hosts with ports', () => {
  const { n, kernel } = wiredVxlan();
  const [local, gone] = n.ports;
  const fresh = port('h3');
  const p = plan(input([{ ...n, ports: [local, fresh], vteps: [{ host: 'h3', ip: '192.0.2.3' }] }], kernel));
  assert.deepEqual(p.steps, [
    { op: 'flood-add', dev: 'vxlan-7', dst: '192.0.2.3' },
    { op: 'fdb-set', dev: 'vxlan-7', mac: fresh.mac_address, dst: '192.0.2.3' },
    { op: 'fdb-del', dev: 'vxlan-7', mac: gone.mac_address, dst: '192.0.2.2' },
    { op: 'flood-del', dev: 'vxlan-7', dst: '192.0.2.2' },
    { op: 'neigh-set', dev: 'vxlan-7', ip: fresh.fixed_ips[0].ip_address, mac: fresh.mac_address },
    { op: 'neigh-del', dev: 'vxlan-7', ip: gone.fixed_ips[0].ip_address },
  ]);
});

test('a remote port moved to another host: its FDB entry is replaced, the old destination deleted first', () => {
  const { n, kernel } = wiredVxlan();
  const [local, moved] = n.ports;
  const p = plan(input([{ ...n, ports: [local, { ...moved, host: 'h3' }], vteps: [{ host: 'h3', ip: '192.0.2.3' }] }], kernel));
  assert.deepEqual(
    p.steps.filter((s) => s.op === 'fdb-del' || s.op === 'fdb-set'),
    [
      { op: 'fdb-del', dev: 'vxlan-7', mac: moved.mac_address, dst: '192.0.2.2' },
      { op: 'fdb-set', dev: 'vxlan-7', mac: moved.mac_address, dst: '192.0.2.3' },
    ],
  );
});

test('entries the kernel spells otherwise (IPv6 compressed, MAC upper case) are not rewritten', () => {
  const local = port(HOST);
  const r = port('h2', { mac_address: 'FA:16:3E:AB:CD:EF', fixed_ips: [{ subnet_id: 's', ip_address: 'fd00:0000::0001' }] });
  const n = network(NET_A, { segmentation_id: 7, ports: [local, r], vteps: [{ host: 'h2', ip: '192.0.2.2' }] });
  const k = converge([n], emptyKernel([link(tapName(local.id))])).after;
  const spelt: KernelState = { ...k, fdb: k.fdb.map((e) => ({ ...e, mac: e.mac.toLowerCase() })), neigh: k.neigh.map((e) => ({ ...e, ip: 'fd00::1' })) };
  assert.deepEqual(plan(input([n], spelt)).steps, []);
});

test('a port of this host removed: its tap leaves the bridge and stays; it is no longer wired', () => {
  const local1 = port(HOST);
  const local2 = port(HOST);
  const { n, kernel } = wiredVxlan([local1, port('h2'), local2]);
  const withTap2 = applyModel({ ...kernel, links: [...kernel.links, link(tapName(local2.id))] }, plan(input([n], { ...kernel, links: [...kernel.links, link(tapName(local2.id))] })).steps);
  const p = plan(input([{ ...n, ports: n.ports.filter((x) => x !== local2) }], withTap2));
  assert.deepEqual(p.steps, [{ op: 'set', name: tapName(local2.id), change: { nomaster: true } }]);
  assert.deepEqual([...p.wired.keys()], [local1.id]);
});

test('a tap that vanished: no step, the port is not wired', () => {
  const local = port(HOST);
  const { n, kernel } = wiredVxlan([local, port('h2')]);
  const p = plan(input([n], { ...kernel, links: kernel.links.filter((l) => l.name !== tapName(local.id)) }));
  assert.deepEqual(p.steps, []);
  assert.equal(p.wired.size, 0);
});

test('a port with admin_state_up false: its tap is set down and not wired', () => {
  const local = port(HOST);
  const { n, kernel } = wiredVxlan([local, port('h2')]);
  const p = plan(input([{ ...n, ports: [{ ...local, admin_state_up: false }, n.ports[1]] }], kernel));
  assert.deepEqual(p.steps, [{ op: 'set', name: tapName(local.id), change: { up: false } }]);
  assert.equal(p.wired.size, 0);
});

test('a network with no port here any more: its vxlan device then its bridge deleted; taps, foreign and unmarked links left alone', () => {
  const { kernel } = wiredVxlan();
  const foreignBr = link(bridgeName(NET_B), { kind: 'bridge' });
  const foreignVx = link('vxlan-9', { kind: 'vxlan', vxlan: { id: 9, local: null, port: 4789, learning: true, proxy: false } });
  const p = plan(input([], { ...kernel, links: [...kernel.links, foreignBr, foreignVx] }));
  assert.deepEqual(p.steps, [
    { op: 'delete', name: 'vxlan-7' },
    { op: 'delete', name: BR_A },
  ]);
  assert.deepEqual(p.foreign, [foreignBr.name, 'vxlan-9']);
});

test('an unmarked bridge under a served network name: not touched, reported as the reason', () => {
  const local = port(HOST);
  const n = network(NET_A, { network_type: 'local', ports: [local] });
  const p = plan(input([n], emptyKernel([link(BR_A, { kind: 'bridge', alias: 'someone-else' }), link(tapName(local.id))])));
  assert.deepEqual(p.steps, []);
  assert.match(p.problems[0].reason, /not made by cloudlet/);
  assert.equal(p.wired.size, 0);
});

test('an unmarked vxlan-VNI: the network is not wired and no bridge is made for it', () => {
  const local = port(HOST);
  const n = network(NET_A, { segmentation_id: 7, ports: [local] });
  const p = plan(input([n], emptyKernel([link('vxlan-7', { kind: 'vxlan' }), link(tapName(local.id))])));
  assert.deepEqual(p.steps, []);
  assert.match(p.problems[0].reason, /vxlan-7 exists and was not made by cloudlet/);
});

test('the network MTU changed: bridge, vxlan device and taps follow', () => {
  const { n, kernel } = wiredVxlan();
  const p = plan(input([{ ...n, mtu: 1400 }], kernel));
  assert.deepEqual(p.steps, [
    { op: 'set', name: BR_A, change: { mtu: 1400 } },
    { op: 'set', name: 'vxlan-7', change: { mtu: 1400 } },
    { op: 'set', name: tapName(n.ports[0].id), change: { mtu: 1400 } },
  ]);
});

test('a vxlan device of ours made with another local IP is made again; a bridge left down is set up', () => {
  const { n, kernel } = wiredVxlan();
  const k = { ...kernel, links: kernel.links.map((l) => (l.name === 'vxlan-7' ? { ...l, vxlan: { ...l.vxlan!, local: '192.0.2.99' } } : l.name === BR_A ? { ...l, up: false } : l)) };
  const { p } = converge([n], k);
  assert.deepEqual(p.steps.slice(0, 4).map((s) => s.op), ['set', 'delete', 'create', 'set']);
  assert.ok(p.steps.some((s) => s.op === 'flood-add'), 'l2population entries written again on the new device');
});

test('vlan on a kernel without 802.1Q: reported with the reason, nothing made', () => {
  const local = port(HOST);
  const n = network(NET_A, { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100, ports: [local] });
  const p = plan(input([n], emptyKernel([link('eth1'), link(tapName(local.id))])));
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.problems, [{ network_id: NET_A, reason: noVlan.reason }]);
});

test('vlan where the kernel has 802.1Q: a marked IFACE.VID subinterface in the bridge', () => {
  const local = port(HOST);
  const n = network(NET_A, { network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 100, ports: [local] });
  const { p } = converge([n], emptyKernel([link('eth1'), link(tapName(local.id))]), { vlan: { supported: true } });
  assert.ok(p.steps.some((s) => s.op === 'create' && s.name === 'eth1.100' && s.link.kind === 'vlan' && s.link.parent === 'eth1'));
});

test('flat: the mapped interface enslaved (never deleted on removal); an unmapped physical network reported', () => {
  const local = port(HOST);
  const n = network(NET_A, { network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, ports: [local] });
  const { p, after } = converge([n], emptyKernel([link('eth1', { up: false }), link(tapName(local.id))]));
  assert.ok(p.steps.some((s) => s.op === 'set' && s.name === 'eth1' && s.change.master === BR_A && s.change.up === true));
  assert.deepEqual(plan(input([], after)).steps, [{ op: 'delete', name: BR_A }]);

  const other = network(NET_B, { network_type: 'flat', physical_network: 'physnet9', ports: [port(HOST)] });
  const q = plan(input([other], emptyKernel()));
  assert.deepEqual(q.steps, []);
  assert.match(q.problems[0].reason, /no interface mapped to physical network "physnet9"/);
});

test('flat with its mapped interface missing: reported, nothing made (no bridge without its interface); missingInterfaces names it', () => {
  const n = network(NET_A, { network_type: 'flat', physical_network: 'physnet1', segmentation_id: null, ports: [port(HOST)] });
  const q = plan(input([n], emptyKernel([link('eth0')])));
  assert.deepEqual(q.steps, []);
  assert.match(q.problems[0].reason, /interface eth1 of physical network physnet1 does not exist/);
  assert.deepEqual(missingInterfaces({ physnet1: 'eth1', physnet2: 'eth0' }, [link('eth0')]), { physnet1: 'eth1' });
  assert.deepEqual(missingInterfaces({ physnet1: 'eth1' }, [link('eth1')]), {});
});

test('vxlan without local_ip configured: reported, nothing made', () => {
  const n = network(NET_A, { ports: [port(HOST)] });
  const p = plan(input([n], emptyKernel(), { cfg: { physicalInterfaceMappings: {} } }));
  assert.deepEqual(p.steps, []);
  assert.match(p.problems[0].reason, /local_ip/);
});

test('partial: only the networks named are touched', () => {
  const { kernel } = wiredVxlan();
  const b = network(NET_B, { network_type: 'local', ports: [port(HOST)] });
  // B named and present, A not named: A's links stay although A is absent from the state
  const p = plan(input([b], kernel, { scope: new Set([NET_B]) }));
  assert.deepEqual(new Set(p.steps.flatMap((s) => ('name' in s ? [s.name] : 'dev' in s ? [s.dev] : []))), new Set([bridgeName(NET_B)]));
  // A named and absent: gone
  const q = plan(input([], kernel, { scope: new Set([NET_A]) }));
  assert.deepEqual(q.steps, [
    { op: 'delete', name: 'vxlan-7' },
    { op: 'delete', name: BR_A },
  ]);
});

test('FDB entries of the bridge (no dst) and non-permanent neighbours are not the planner\'s', () => {
  const { n, kernel } = wiredVxlan();
  const k: KernelState = {
    ...kernel,
    fdb: [...kernel.fdb, { ...fdbEntry('vxlan-7', '02:00:00:00:00:09', '', 'permanent'), dst: null, master: BR_A }],
    neigh: [...kernel.neigh, { ip: 'fe80::1', dev: 'vxlan-7', mac: '02:00:00:00:00:09', state: ['STALE'] }],
  };
  assert.deepEqual(plan(input([n], k)).steps, []);
});
