// Root e2e: two "hosts" (namespaces on a veth underlay), each running the L2 reconciler on a
// hand-written desired state (no server), two instances plugged into each; VXLAN with
// l2population carries them, another network with the same CIDR reaches none of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { L2Reconciler } from '../../src/agent/l2/reconciler.js';
import { plugPort } from '../../src/agent/plug.js';
import type { HostState, NetworkState, PortState } from '../../src/agent/protocol.js';
import { bridgeName, tapName, vxlanName } from '../../src/agent/protocol.js';
import { listFdb } from '../../src/host/linux/fdb.js';
import { addMarkedLinkCommands, listLinks, temporaryName } from '../../src/host/linux/links.js';
import { listNeigh } from '../../src/host/linux/neigh.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';
import { port } from './l2-fixtures.js';
import { exec, isMutating, Lab, ping, requireRootNetworking, sh, TeeRunner } from './l2-lab.js';

const log = pino({ level: 'silent' });
const MTU = 1450;

interface Instance {
  netns: string;
  host: 'h1' | 'h2';
  ip: string;
  port: PortState;
}

const mac = (): string => `fa:16:3e:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`;

const portOf = (host: string, ip: string): PortState =>
  port(host, { id: randomUUID(), mac_address: mac(), device_id: randomUUID(), fixed_ips: [{ subnet_id: 'sub', ip_address: ip }] });

function networkOf(vni: number, instances: Instance[], self: string, vtepIps: Record<string, string>): NetworkState {
  const hosts = [...new Set(instances.map((i) => i.host))].filter((h) => h !== self);
  return {
    id: randomUUID(),
    name: `net-${vni}`,
    project_id: 'p',
    admin_state_up: true,
    mtu: MTU,
    network_type: 'vxlan',
    physical_network: null,
    segmentation_id: vni,
    dns_domain: 'openstacklocal.',
    subnets: [],
    ports: instances.map((i) => i.port),
    vteps: hosts.map((h) => ({ host: h, ip: vtepIps[h] })),
  };
}

test('two hosts over VXLAN with l2population: four instances reach each other, another network with the same CIDR reaches none; a second reconcile changes nothing; a removed port leaves the other host', async () => {
  requireRootNetworking();
  const lab = new Lab();
  try {
    const hostNs = { h1: await lab.netns('clh1'), h2: await lab.netns('clh2') };
    const vtep = { h1: '192.168.77.1', h2: '192.168.77.2' };
    await lab.underlay(hostNs.h1, vtep.h1, hostNs.h2, vtep.h2);

    const vniA = 10_000 + Math.floor(Math.random() * 50_000);
    const vniB = vniA + 1;
    const inst = async (name: string, host: 'h1' | 'h2', ip: string): Promise<Instance> => ({ netns: await lab.netns(name), host, ip, port: portOf(host, ip) });
    const a = [await inst('cli1a', 'h1', '10.0.0.11'), await inst('cli1b', 'h1', '10.0.0.12'), await inst('cli2a', 'h2', '10.0.0.21'), await inst('cli2b', 'h2', '10.0.0.22')];
    const b = [await inst('cli1x', 'h1', '10.0.0.31'), await inst('cli2x', 'h2', '10.0.0.32')];

    // one id per network, the same on both hosts
    const netA = networkOf(vniA, a, 'h1', vtep);
    const netB = networkOf(vniB, b, 'h1', vtep);
    const stateFor = (host: 'h1' | 'h2', aInst = a, bInst = b): HostState => {
      const other = host === 'h1' ? 'h2' : 'h1';
      const withVteps = (n: NetworkState, list: Instance[]): NetworkState => ({
        ...n,
        ports: list.map((i) => i.port),
        vteps: list.some((i) => i.host === other) ? [{ host: other, ip: vtep[other] }] : [],
      });
      return { revision: 1, host, agent_id: null, networks: [withVteps(netA, aInst), withVteps(netB, bInst)] };
    };

    const runners = { h1: new TeeRunner(new NetnsRunner(exec, hostNs.h1)), h2: new TeeRunner(new NetnsRunner(exec, hostNs.h2)) };
    const agents = {
      h1: new L2Reconciler(runners.h1, { localIp: vtep.h1, physicalInterfaceMappings: {} }, log),
      h2: new L2Reconciler(runners.h2, { localIp: vtep.h2, physicalInterfaceMappings: {} }, log),
    };

    // the instances are plugged before the agents see their ports (the taps wait outside any bridge)
    for (const i of [...a, ...b]) await plugPort(new NetnsRunner(exec, hostNs[i.host]), { portId: i.port.id, mac: i.port.mac_address, mtu: MTU, netns: i.netns });
    for (const i of [...a, ...b]) await sh(['ip', '-n', i.netns, 'addr', 'add', `${i.ip}/24`, 'dev', 'eth0']);

    // on h1: a bridge named like the agent's that it did not make, and the leftover of a
    // create killed half-way (the temporary name of net A's bridge)
    const foreignBr = bridgeName(randomUUID());
    await sh(['ip', '-n', hostNs.h1, 'link', 'add', foreignBr, 'type', 'bridge']);
    await sh(['ip', '-n', hostNs.h1, 'link', 'add', temporaryName(bridgeName(netA.id)), 'type', 'bridge']);
    // and a create killed between `ip link add` and its alias (its first command alone) for a
    // network no longer served here: unmarked, no network will claim it again
    const [addOnly] = addMarkedLinkCommands(bridgeName(randomUUID()), { kind: 'bridge' }, 'cloudlet-l2:gone');
    await runners.h1.run(addOnly);
    const orphan = addOnly.argv[3]!;
    assert.match(orphan, /^cl-tmp-[0-9a-f]{8}$/);

    for (const h of ['h1', 'h2'] as const) {
      const res = await agents[h].reconcile(stateFor(h), { partial: false });
      const mine = [...a, ...b].filter((i) => i.host === h).map((i) => i.port.id);
      assert.deepEqual(new Set(res.up), new Set(mine), `${h}: its ports reported up`);
      assert.deepEqual(res.down, []);
      assert.equal(agents[h].configurations().errors, undefined, `${h}: every step ran`);
      assert.equal(agents[h].configurations().devices, mine.length);
    }

    const h1Names = (await listLinks(runners.h1)).map((l) => l.name);
    assert.ok(h1Names.includes(foreignBr) && !h1Names.includes(temporaryName(bridgeName(netA.id))), 'the foreign bridge stays, the leftover is gone');
    assert.ok(!h1Names.includes(orphan), `the unmarked leftover ${orphan} is gone too`);
    assert.deepEqual(agents.h1.configurations().foreign_devices, [foreignBr]);

    // inside an instance: the port's MAC and the network MTU
    const eth0 = (await listLinks(exec, a[0].netns)).find((l) => l.name === 'eth0')!;
    assert.equal(eth0.address, a[0].port.mac_address);
    assert.equal(eth0.mtu, MTU);
    const h1Links = await listLinks(runners.h1);
    const vx = h1Links.find((l) => l.name === vxlanName(vniA))!;
    assert.deepEqual(vx.vxlan, { id: vniA, local: vtep.h1, port: 4789, learning: false, proxy: true });
    assert.equal(vx.mtu, MTU);

    for (const from of a) for (const to of a) if (from !== to) assert.ok(await ping(from.netns, to.ip), `${from.netns} reaches ${to.ip}`);
    assert.ok(await ping(b[0].netns, b[1].ip), 'the other network works across the hosts too');
    for (const from of b) for (const to of a) assert.ok(!(await ping(from.netns, to.ip, 1)), `${from.netns} (other network) does not reach ${to.ip}`);
    assert.ok(!(await ping(a[0].netns, b[0].ip, 1)) && !(await ping(a[2].netns, b[1].ip, 1)), 'nor the reverse');

    // a second reconcile of the same state: no mutating command, the same links (ifindexes)
    const before = { h1: await listLinks(runners.h1), h2: await listLinks(runners.h2) };
    runners.h1.lines.length = 0;
    runners.h2.lines.length = 0;
    for (const h of ['h1', 'h2'] as const) {
      assert.deepEqual(await agents[h].reconcile(stateFor(h), { partial: false }), { up: [], down: [] });
      assert.deepEqual(runners[h].lines.filter(isMutating), [], `${h}: nothing changed`);
      const again = await listLinks(runners[h]);
      assert.deepEqual(again.map((l) => [l.name, l.ifindex]), before[h].map((l) => [l.name, l.ifindex]));
    }
    // a fresh agent (a restart) changes nothing either, and reports the wired ports up again
    const restarted = new L2Reconciler(runners.h1, { localIp: vtep.h1, physicalInterfaceMappings: {} }, log);
    runners.h1.lines.length = 0;
    assert.equal((await restarted.reconcile(stateFor('h1'), { partial: false })).up.length, 3);
    assert.deepEqual(runners.h1.lines.filter(isMutating), []);

    // port 2b removed: its FDB and neighbour entries leave h1, its tap leaves h2's bridge (and stays)
    const gone = a[3];
    const left = a.filter((i) => i !== gone);
    const r1 = await agents.h1.reconcile(stateFor('h1', left), { partial: true, networkIds: [netA.id] });
    assert.deepEqual(r1, { up: [], down: [] });
    const r2 = await agents.h2.reconcile(stateFor('h2', left), { partial: true, networkIds: [netA.id] });
    assert.deepEqual(r2, { up: [], down: [gone.port.id] });
    // the VXLAN device's own entries (with a dst); the bridge's learnt ones age out by themselves
    const fdb = (await listFdb(runners.h1, vxlanName(vniA))).filter((e) => e.dst !== null);
    assert.ok(!fdb.some((e) => e.mac === gone.port.mac_address), 'no FDB entry for the removed port on h1');
    assert.ok(fdb.some((e) => e.mac === a[2].port.mac_address), 'the other remote port keeps its entry');
    const neigh = await listNeigh(runners.h1, { dev: vxlanName(vniA) });
    assert.ok(!neigh.some((e) => e.ip === gone.ip));
    const tap = (await listLinks(runners.h2)).find((l) => l.name === tapName(gone.port.id));
    assert.ok(tap && tap.master === null, 'the tap stays, out of the bridge');
    assert.ok(!(await ping(a[0].netns, gone.ip, 1)), 'the removed port is unreachable');
    assert.ok(await ping(a[0].netns, a[2].ip), 'the others still reach each other');

    // the network gone from h2 entirely: bridge and vxlan device removed, the taps stay
    await agents.h2.reconcile({ ...stateFor('h2'), networks: [] }, { partial: false });
    const h2Links = await listLinks(runners.h2);
    assert.ok(!h2Links.some((l) => l.name === vxlanName(vniA) || l.name === vxlanName(vniB) || l.name.startsWith('brq')));
    assert.ok(h2Links.some((l) => l.name === tapName(a[2].port.id)));
    await agents.h1.reconcile({ ...stateFor('h1'), networks: [] }, { partial: false });
    assert.deepEqual((await listLinks(runners.h1)).filter((l) => l.kind === 'bridge').map((l) => l.name), [foreignBr], 'only what the agent made is removed');
  } finally {
    await lab.cleanup();
  }
});
