// Two-host VXLAN in a lab of a controller and two compute hosts, as the issue checks it:
// four instances on one network, two per compute host, each with its port's address, router
// and MTU from DHCP, all pinging each other; an instance on another network with the same
// CIDR reaching none of them; a network with ports on osad1 only has no bridge, VXLAN device
// or flood entry towards osad2 (l2population).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeOf, labUp, until, type Port } from './lab-support.js';

interface Net {
  id: string;
  mtu: number;
  'provider:segmentation_id': number;
}

const FLOOD = '00:00:00:00:00:00';
const VTEP = { osad: '10.99.0.1', osad1: '10.99.0.11', osad2: '10.99.0.12' };

test('two-host VXLAN: DHCP, reachability, isolation of the same CIDR, l2population', async (t) => {
  const lab = await labUp(t);
  // the first through the openstack client as a user would; the others straight through the API (faster)
  const network = async (name: string, cidr: string, client: 'openstack' | 'api' = 'api') => {
    if (client === 'openstack') {
      const net = await lab.os<Net>(['network', 'create', '--provider-network-type', 'vxlan', name]);
      const subnet = await lab.os<{ id: string; gateway_ip: string }>(['subnet', 'create', '--network', name, '--subnet-range', cidr, `${name}-sub`]);
      return { ...net, subnet };
    }
    const { network: net } = await lab.api<{ network: Net }>('POST', '/networks', { network: { name, 'provider:network_type': 'vxlan' } });
    const { subnet } = await lab.api<{ subnet: { id: string; gateway_ip: string } }>('POST', '/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr } });
    return { ...net, subnet };
  };
  const port = async (networkId: string, name: string, ip?: string) =>
    (await lab.api<{ port: Port }>('POST', '/ports', { port: { network_id: networkId, name, ...(ip ? { fixed_ips: [{ ip_address: ip }] } : {}) } })).port;

  const n1 = await network('net1', '10.0.0.0/24', 'openstack');
  const vms = [
    { vm: 'vm1', host: 'osad1' },
    { vm: 'vm2', host: 'osad1' },
    { vm: 'vm3', host: 'osad2' },
    { vm: 'vm4', host: 'osad2' },
  ];
  const instances = [];
  for (const v of vms) {
    const p = await port(n1.id, v.vm);
    const ns = await lab.instance(v.vm);
    await lab.plug(v.host, p.id, ns);
    instances.push({ ...v, ns, port: p, ip: p.fixed_ips[0]!.ip_address });
  }

  await t.test("every instance gets its port's address, the gateway and the network's MTU by DHCP", async () => {
    for (const i of instances) {
      const lease = await lab.lease(i.ns);
      assert.equal(lease.ip, i.ip, `${i.vm}'s lease`);
      assert.equal(lease.mask, '24');
      assert.equal(lease.router?.split(' ')[0], n1.subnet.gateway_ip, `${i.vm}'s router`);
      assert.equal(lease.mtu, String(n1.mtu), `${i.vm}'s MTU`);
      assert.equal(n1.mtu, 1450, 'a VXLAN network under a 1500 underlay');
    }
  });

  await t.test('all four ping each other, on one host and across hosts', async () => {
    // each host's agent learns the others' ports on its own time (l2population): a pair gets a few seconds
    for (const a of instances) {
      for (const b of instances.filter((x) => x !== a)) await until(`${a.vm} (${a.host}) → ${b.vm} (${b.host}) ${b.ip}`, async () => ((await lab.ping(a.ns, b.ip)) ? true : undefined), 10_000);
    }
  });

  await t.test('an instance on another network with the same CIDR reaches none of them', async () => {
    const n2 = await network('net2', '10.0.0.0/24');
    const p = await port(n2.id, 'other', '10.0.0.200');
    const ns = await lab.instance('other');
    await lab.plug('osad1', p.id, ns);
    assert.equal((await lab.lease(ns)).ip, '10.0.0.200', 'it has its own lease, from its own network');
    assert.ok(await lab.ping(ns, '10.0.0.2'), 'its own DHCP port (the first address after the gateway) answers');
    for (const i of instances) assert.ok(!(await lab.ping(ns, i.ip)), `the other network reached ${i.vm} at ${i.ip}`);
  });

  await t.test("a network with ports on osad1 only: bridge and VXLAN device on osad1 and osad (its DHCP), none on osad2, no flooding towards osad2", async () => {
    const n3 = await network('net3', '10.3.0.0/24');
    const p = await port(n3.id, 'lonely');
    await lab.plug('osad1', p.id, await lab.instance('lonely'));
    const vxlan = `vxlan-${n3['provider:segmentation_id']}`;
    for (const host of ['osad', 'osad1']) {
      const names = (await lab.links(host)).map((l) => l.ifname);
      assert.ok(names.includes(bridgeOf(n3.id)) && names.includes(vxlan), `${host} has ${bridgeOf(n3.id)} and ${vxlan}: ${names.join(' ')}`);
    }
    const osad2 = (await lab.links('osad2')).map((l) => l.ifname);
    assert.ok(!osad2.includes(bridgeOf(n3.id)) && !osad2.includes(vxlan), `osad2 has none of net3's devices: ${osad2.join(' ')}`);
    const floods = async (host: string, dev: string) => (await lab.fdb(host, dev)).filter((e) => e.mac === FLOOD).map((e) => e.dst).sort();
    assert.deepEqual(await floods('osad1', vxlan), [VTEP.osad], 'osad1 floods net3 to osad only');
    assert.deepEqual(await floods('osad', vxlan), [VTEP.osad1], 'osad floods net3 to osad1 only');
    // net1 has ports on every host: each floods to both others
    const v1 = `vxlan-${n1['provider:segmentation_id']}`;
    assert.deepEqual(await floods('osad1', v1), [VTEP.osad, VTEP.osad2]);
    assert.deepEqual(await floods('osad2', v1), [VTEP.osad, VTEP.osad1]);
    // and the unicast entries of net1 on osad1 name osad2's instances at osad2's VTEP
    const unicast = (await lab.fdb('osad1', v1)).filter((e) => e.mac !== FLOOD);
    for (const i of instances.filter((x) => x.host === 'osad2')) assert.deepEqual(unicast.filter((e) => e.mac === i.port.mac_address).map((e) => e.dst), [VTEP.osad2], `${i.vm}'s MAC at osad2`);
  });
});
