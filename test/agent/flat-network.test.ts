// Root e2e: a `flat` provider network across two hosts. Each compute host of a fleet gets a
// veth `eth1` as its "physical" interface, the other ends on one bridge of the switch
// namespace (the wire between the hosts); the L2 agents map physnet1:eth1, and h1 runs the
// DHCP agent. An admin's flat network on physnet1: one instance on each host leases its
// port's address and they ping each other over eth1 (no VXLAN). Deleting the network removes
// the bridges and leaves eth1 on each host, out of any bridge. A mapping to an interface that
// does not exist: the agent says so (log and configurations), a port on that physical
// network ends binding_failed, no bridge is made, and the agent stays up and healthy; once
// the interface is made, the agent serves that physical network without a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeName } from '../../src/agent/protocol.js';
import { ExecRunner } from '../../src/host/linux/runner.js';
import { backends, requireTool } from '../support/backends.js';
import { adminToken, created, linksOf } from '../support/fleet-views.js';
import { sleep, until } from '../lab/lab-support.js';
import { Fleet, requireFleetTools } from '../support/server-fleet.js';

const postgres = backends().find((b) => b.name === 'postgres');
const exec = new ExecRunner();
const PHYS = 'eth1';
/** the wire between the hosts' eth1: a bridge in the fleet's switch namespace */
const WIRE = 'phys0';

test('flat network: two hosts wired through their physical interface, DHCP and ping; deleting the network releases the interface; a mapping to a missing interface is a clear error', {
  skip: postgres ? false : 'needs PostgreSQL: set CLOUDLET_TEST_DATABASE_URL (mandatory in CI)',
  timeout: 300_000,
}, async (t) => {
  const fleet = new Fleet(2);
  try {
    requireFleetTools();
    requireTool('dnsmasq', 'dnsmasq-base');
    requireTool('busybox', 'busybox-static');
    await fleet.start(postgres!);
    const s = await fleet.addNetworkServer();
    const [h1, h2] = fleet.computes as [typeof fleet.computes[0], typeof fleet.computes[0]];
    const sw = fleet.topology.switchNetns;

    // the physical wire: eth1 in each host, its peer on a bridge of the switch namespace (the fleet's namespaces take them along)
    await exec.run({ argv: ['ip', '-n', sw, 'link', 'add', WIRE, 'type', 'bridge'] });
    await exec.run({ argv: ['ip', '-n', sw, 'link', 'set', WIRE, 'up'] });
    for (const h of [h1, h2]) {
      const peer = `${h.name}-phys`;
      await exec.run({ argv: ['ip', 'link', 'add', PHYS, 'netns', h.netns, 'type', 'veth', 'peer', 'name', peer, 'netns', sw] });
      await exec.run({ argv: ['ip', '-n', sw, 'link', 'set', peer, 'master', WIRE, 'up'] });
    }
    const ifindex = { [h1.name]: (await linksOf(h1.netns)).find((l) => l.name === PHYS)!.ifindex, [h2.name]: (await linksOf(h2.netns)).find((l) => l.name === PHYS)!.ifindex };

    // h2 also maps physnet2 to an interface it does not have
    const l2a = await fleet.addAgent(h1, [s], { mappings: { physnet1: PHYS } });
    const l2b = await fleet.addAgent(h2, [s], { mappings: { physnet1: PHYS, physnet2: 'nosuch0' } });
    await fleet.addAgent(h1, [s], { kind: 'dhcp' });
    const auth = { 'X-Auth-Token': await adminToken(fleet.identity) };
    type Agent = { host: string; agent_type: string; alive: boolean; configurations: Record<string, any> };
    const agents = async () => (await s.call('GET', '/v2.0/agents', undefined, auth)).body.agents as Agent[];
    const l2Of = async (host: string) => (await agents()).find((a) => a.host === host && a.agent_type === 'Linux bridge agent');
    await until('the agents alive', async () => ((await agents()).filter((a) => a.alive).length === 3 ? true : undefined));

    await t.test('an agent mapped to an interface that does not exist says so, and stays healthy', async () => {
      const conf = await until('h2 reporting its missing interface', async () => {
        const a = await l2Of(h2.name);
        return a?.configurations.missing_interfaces ? a.configurations : undefined;
      });
      assert.deepEqual(conf.missing_interfaces, { physnet2: 'nosuch0' });
      assert.deepEqual(conf.interface_mappings, { physnet1: PHYS, physnet2: 'nosuch0' }, 'the mappings as configured');
      assert.equal(conf.healthy, true);
      assert.match(l2b.proc!.out(), /physical network physnet2.*nosuch0 does not exist|nosuch0.*physnet2.*does not exist/);
      assert.equal((await l2Of(h1.name))!.configurations.missing_interfaces, undefined, 'h1 has its eth1');
    });

    const { network: net } = await created(s, '/v2.0/networks', { network: { name: 'flat1', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }, auth);
    assert.equal(net['provider:network_type'], 'flat');
    assert.equal(net.mtu, 1500);
    const { subnet } = await created(s, '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } }, auth);
    const br = bridgeName(net.id);

    await t.test('one instance on each host: DHCP leases equal to the ports, ping both ways over eth1', async () => {
      const vms: Array<{ ns: string; ip: string }> = [];
      for (const h of [h1, h2]) {
        const { port } = await created(s, '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': h.name } }, auth);
        assert.equal(port['binding:vif_type'], 'bridge', `bound on ${h.name}: ${JSON.stringify(port)}`);
        vms.push({ ns: await fleet.plug(h, port, net.mtu), ip: port.fixed_ips[0].ip_address });
      }
      for (const h of [h1, h2]) {
        const links = await until(`${br} with eth1 on ${h.name}`, async () => {
          const l = await linksOf(h.netns);
          return l.some((x) => x.name === br) && l.find((x) => x.name === PHYS)?.master === br ? l : undefined;
        });
        assert.ok(!links.some((l) => l.kind === 'vxlan'), `no VXLAN device on ${h.name}: a flat network`);
      }
      for (const vm of vms) {
        let lease: Awaited<ReturnType<Fleet['lease']>> | undefined;
        for (let i = 0; i < 3 && !(lease && 'ip' in lease); i++) lease = await fleet.lease(vm.ns);
        assert.deepEqual(lease, { ip: vm.ip }, `${vm.ns} leases its port's address`);
        await exec.run({ argv: ['ip', 'addr', 'add', `${vm.ip}/24`, 'dev', 'eth0'], netns: vm.ns });
      }
      const ping = async (from: string, to: string) => (await exec.run({ argv: ['busybox', 'ping', '-c', '1', '-W', '1', to], netns: from, okCodes: [0, 1] })).code === 0;
      await until(`${vms[0]!.ns} → ${vms[1]!.ip}`, async () => ((await ping(vms[0]!.ns, vms[1]!.ip)) ? true : undefined), 15_000);
      assert.ok(await ping(vms[1]!.ns, vms[0]!.ip), 'and back');
      assert.ok(await ping(vms[1]!.ns, subnet.allocation_pools[0].start), "h1's DHCP port (the first address of the pool) answers from h2");
    });

    await t.test('a port on the physical network of the missing interface ends binding_failed; no bridge is made', async () => {
      const { network: other } = await created(s, '/v2.0/networks', { network: { name: 'flat2', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' } }, auth);
      const { port } = await created(s, '/v2.0/ports', { port: { network_id: other.id, 'binding:host_id': h2.name } }, auth);
      assert.equal(port['binding:vif_type'], 'binding_failed');
      await sleep(1000);
      assert.ok(!(await linksOf(h2.netns)).some((l) => l.name === bridgeName(other.id) || l.name.startsWith('brq') && l.name !== br), 'no half-made bridge');
      assert.equal((await s.call('DELETE', `/v2.0/ports/${port.id}`, undefined, auth)).status, 204);
      assert.equal((await s.call('DELETE', `/v2.0/networks/${other.id}`, undefined, auth)).status, 204);
    });

    await t.test('deleting the network removes the bridges and DHCP; eth1 stays on each host, in no bridge', async () => {
      const ports = (await s.call('GET', `/v2.0/ports?network_id=${net.id}`, undefined, auth)).body.ports as Array<{ id: string; device_owner: string }>;
      for (const p of ports.filter((x) => x.device_owner !== 'network:dhcp')) assert.equal((await s.call('DELETE', `/v2.0/ports/${p.id}`, undefined, auth)).status, 204);
      assert.equal((await s.call('DELETE', `/v2.0/networks/${net.id}`, undefined, auth)).status, 204);
      for (const h of [h1, h2]) {
        const links = await until(`${br} gone from ${h.name}`, async () => {
          const l = await linksOf(h.netns);
          return l.some((x) => x.name === br) ? undefined : l;
        });
        const phys = links.find((l) => l.name === PHYS);
        assert.ok(phys, `${PHYS} still exists on ${h.name}`);
        assert.equal(phys.ifindex, ifindex[h.name], `the same ${PHYS}, never deleted and made again`);
        assert.equal(phys.master, null, `${PHYS} on ${h.name} is in no bridge`);
      }
      await until('the DHCP agent\'s dnsmasq gone', async () => (fleet.dnsmasqs().length === 0 ? true : undefined));
      for (const a of [l2a, l2b]) assert.ok(a.proc && a.proc.child.exitCode === null, `${a.host.name}'s agent is still running`);
      const h2Agent = (await l2Of(h2.name))!;
      assert.equal(h2Agent.alive, true);
      assert.equal(h2Agent.configurations.healthy, true, JSON.stringify(h2Agent.configurations));
    });

    await t.test('the missing interface made: the agent sees it without a restart, and physnet2 binds on h2', async () => {
      await exec.run({ argv: ['ip', '-n', h2.netns, 'link', 'add', 'nosuch0', 'type', 'veth', 'peer', 'name', 'nosuch0p'] });
      await until('h2 no longer reporting a missing interface', async () => ((await l2Of(h2.name))?.configurations.missing_interfaces === undefined ? true : undefined), 15_000);
      const { network: other } = await created(s, '/v2.0/networks', { network: { name: 'flat2', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' } }, auth);
      const { port } = await created(s, '/v2.0/ports', { port: { network_id: other.id, 'binding:host_id': h2.name } }, auth);
      assert.equal(port['binding:vif_type'], 'bridge');
      await until('nosuch0 in its bridge', async () => ((await linksOf(h2.netns)).find((l) => l.name === 'nosuch0')?.master === bridgeName(other.id) ? true : undefined));
      assert.match(l2b.proc!.out(), /interface nosuch0 of physical network physnet2 is there now/);
    });
  } finally {
    await fleet.cleanup();
  }
});
