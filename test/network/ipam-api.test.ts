// IPAM through the API: default and explicit pools, fixed IPs by subnet, by
// address or both, several per port, IPv6 SLAAC (EUI-64 from the MAC) and
// DHCPv6-stateful, MACs with Neutron's prefix, overlapping CIDRs across
// networks but not within one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';
import { eui64, formatIp } from '../../src/common/net-address.js';

for (const backend of backends()) {
  test(`IPAM semantics on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    const call = net.call.bind(net);
    try {
      const n = (await call('POST', '/v2.0/networks', { network: { name: 'ipam' } })).body.network;
      const v4 = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '192.168.10.0/24', ip_version: 4 } });
      assert.equal(v4.status, 201);
      assert.equal(v4.body.subnet.gateway_ip, '192.168.10.1');
      assert.deepEqual(v4.body.subnet.allocation_pools, [{ start: '192.168.10.2', end: '192.168.10.254' }]);

      // within one network no overlap; across networks overlap is fine
      const overlap = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '192.168.10.0/25', ip_version: 4 } });
      assert.equal(overlap.status, 400);
      assert.equal(overlap.body.NeutronError.type, 'InvalidInput');
      const other = (await call('POST', '/v2.0/networks', { network: { name: 'other' } })).body.network;
      assert.equal((await call('POST', '/v2.0/subnets', { subnet: { network_id: other.id, cidr: '192.168.10.0/24', ip_version: 4 } })).status, 201);

      // a gateway in the middle splits the default pool
      const mid = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '172.16.0.0/29', ip_version: 4, gateway_ip: '172.16.0.4' } });
      assert.deepEqual(mid.body.subnet.allocation_pools, [{ start: '172.16.0.1', end: '172.16.0.3' }, { start: '172.16.0.5', end: '172.16.0.6' }]);
      // explicit pools are validated
      const outside = await call('POST', '/v2.0/subnets', { subnet: { network_id: other.id, cidr: '10.1.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.0.10', end: '10.1.1.20' }] } });
      assert.equal(outside.status, 400);
      assert.equal(outside.body.NeutronError.type, 'OutOfBoundsAllocationPool');
      const gwIn = await call('POST', '/v2.0/subnets', { subnet: { network_id: other.id, cidr: '10.1.0.0/24', ip_version: 4, gateway_ip: '10.1.0.15', allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.20' }] } });
      assert.equal(gwIn.status, 409);
      assert.equal(gwIn.body.NeutronError.type, 'GatewayConflictWithAllocationPools');

      const slaac = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: 'fd00:1::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } });
      assert.equal(slaac.status, 201, JSON.stringify(slaac.body));
      const stateful = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: 'fd00:2::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateful' } });
      assert.equal(stateful.status, 201, JSON.stringify(stateful.body));
      const badSlaac = await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: 'fd00:3::/80', ip_version: 6, ipv6_address_mode: 'slaac' } });
      assert.equal(badSlaac.status, 400);

      // a port with no fixed_ips: one IPv4, one stateful IPv6, and its EUI-64 SLAAC address
      const p = (await call('POST', '/v2.0/ports', { port: { network_id: n.id } })).body.port;
      assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      const bySubnet = new Map(p.fixed_ips.map((f: any) => [f.subnet_id, f.ip_address]));
      assert.equal(bySubnet.size, 3, JSON.stringify(p.fixed_ips));
      // one IPv4 address, from either IPv4 subnet (Neutron does not promise which)
      const v4addr = bySubnet.get(v4.body.subnet.id) ?? bySubnet.get(mid.body.subnet.id);
      assert.ok(v4addr === '192.168.10.2' || v4addr === '172.16.0.1', JSON.stringify(p.fixed_ips));
      assert.equal(bySubnet.get(slaac.body.subnet.id), formatIp(6, eui64('fd00:1::/64', p.mac_address)));
      assert.match(String(bySubnet.get(stateful.body.subnet.id)), /^fd00:2::/);

      // several fixed IPs: by subnet, by address, by both
      const multi = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [
        { subnet_id: v4.body.subnet.id }, { ip_address: '192.168.10.100' }, { subnet_id: v4.body.subnet.id, ip_address: '192.168.10.101' },
      ] } });
      assert.equal(multi.status, 201, JSON.stringify(multi.body));
      const got = multi.body.port.fixed_ips.map((f: any) => f.ip_address).sort();
      assert.deepEqual(got.slice(0, 2), ['192.168.10.100', '192.168.10.101']);
      assert.match(got[2], /^192\.168\.10\.[23]$/);
      const taken = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '192.168.10.100' }] } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.NeutronError.type, 'IpAddressAlreadyAllocated');
      const notInNet = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '8.8.8.8' }] } });
      assert.equal(notInNet.status, 400);
      assert.equal(notInNet.body.NeutronError.type, 'InvalidIpForNetwork');
      const wrongSubnet = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ subnet_id: v4.body.subnet.id, ip_address: 'fd00:2::5' }] } });
      assert.equal(wrongSubnet.status, 400);
      assert.equal(wrongSubnet.body.NeutronError.type, 'InvalidIpForSubnet');
      const gw = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '192.168.10.1' }] } });
      assert.equal(gw.status, 409);
      const router = await call('POST', '/v2.0/ports', { port: { network_id: n.id, device_owner: 'network:router_interface', fixed_ips: [{ ip_address: '192.168.10.1' }] } });
      assert.equal(router.status, 201, 'a router interface may take the gateway address');

      // a MAC is unique per network, not globally
      const mac = 'fa:16:3e:aa:bb:cc';
      assert.equal((await call('POST', '/v2.0/ports', { port: { network_id: n.id, mac_address: mac } })).status, 201);
      assert.equal((await call('POST', '/v2.0/ports', { port: { network_id: n.id, mac_address: mac } })).body.NeutronError.type, 'MacAddressInUse');
      assert.equal((await call('POST', '/v2.0/ports', { port: { network_id: other.id, mac_address: mac } })).status, 201);

      // updating fixed_ips releases what is dropped: the address can be taken again;
      // the SLAAC address, not named, stays (Neutron's _get_changed_ips_for_port)
      const upd = await call('PUT', `/v2.0/ports/${multi.body.port.id}`, { port: { fixed_ips: [{ ip_address: '192.168.10.101' }, { ip_address: '192.168.10.150' }] } });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.deepEqual(upd.body.port.fixed_ips.map((f: any) => f.ip_address).sort(),
        ['192.168.10.101', '192.168.10.150', formatIp(6, eui64('fd00:1::/64', multi.body.port.mac_address))]);
      assert.equal((await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '192.168.10.100' }] } })).status, 201);

      // shrinking the pool keeps allocated addresses and hands out only from the new pool
      const shrink = await call('PUT', `/v2.0/subnets/${mid.body.subnet.id}`, { subnet: { allocation_pools: [{ start: '172.16.0.5', end: '172.16.0.6' }] } });
      assert.equal(shrink.status, 200, JSON.stringify(shrink.body));
      assert.equal((await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '172.16.0.5' }] } })).status, 201);
      const last = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ subnet_id: mid.body.subnet.id }] } });
      assert.equal(last.body.port.fixed_ips[0].ip_address, '172.16.0.6');
      const none = await call('POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ subnet_id: mid.body.subnet.id }] } });
      assert.equal(none.status, 409);
      assert.equal(none.body.NeutronError.type, 'IpAddressGenerationFailure');

      // a SLAAC or DHCPv6-stateless subnet goes even with ports: they lose its address
      // (Neutron's _remove_subnet_ip_allocations_from_ports); the network, in use, stays
      for (const mode of ['slaac', 'dhcpv6-stateless']) {
        const an = (await call('POST', '/v2.0/networks', { network: { name: `auto-${mode}` } })).body.network;
        const auto = (await call('POST', '/v2.0/subnets', { subnet: { network_id: an.id, cidr: 'fd00:9::/64', ip_version: 6, ipv6_address_mode: mode, ipv6_ra_mode: mode } })).body.subnet;
        const v4b = (await call('POST', '/v2.0/subnets', { subnet: { network_id: an.id, cidr: '10.9.0.0/24', ip_version: 4 } })).body.subnet;
        const ap = (await call('POST', '/v2.0/ports', { port: { network_id: an.id } })).body.port;
        assert.deepEqual(ap.fixed_ips.map((f: any) => f.subnet_id).sort(), [auto.id, v4b.id].sort());
        assert.equal((await call('DELETE', `/v2.0/subnets/${auto.id}`)).status, 204, mode);
        const after = (await call('GET', `/v2.0/ports/${ap.id}`)).body.port;
        assert.deepEqual(after.fixed_ips.map((f: any) => f.subnet_id), [v4b.id]);
        assert.equal(after.revision_number, ap.revision_number + 1);
        assert.equal((await call('GET', `/v2.0/subnets/${auto.id}`)).status, 404);
        assert.equal((await call('DELETE', `/v2.0/subnets/${v4b.id}`)).body.NeutronError.type, 'SubnetInUse');
        assert.equal((await call('DELETE', `/v2.0/networks/${an.id}`)).body.NeutronError.type, 'NetworkInUse');
      }

      // subnet-service-types (tempest's SubnetServiceTypeTestJSON): a port's implicit address comes from the
      // subnets that serve its device_owner, else from the subnets that serve nothing in particular
      {
        const sn = (await call('POST', '/v2.0/networks', { network: { name: 'typed' } })).body.network;
        const s1 = (await call('POST', '/v2.0/subnets', { subnet: { network_id: sn.id, cidr: '192.168.1.0/24', ip_version: 4, service_types: ['test:type_1', 'network:distributed'] } })).body.subnet;
        const s2 = (await call('POST', '/v2.0/subnets', { subnet: { network_id: sn.id, cidr: '192.168.2.0/24', ip_version: 4, service_types: ['test:type_2', 'network:distributed'] } })).body.subnet;
        const p1 = (await call('POST', '/v2.0/ports', { port: { network_id: sn.id, device_owner: 'test:type_1' } })).body.port;
        const p2 = (await call('POST', '/v2.0/ports', { port: { network_id: sn.id, device_owner: 'test:type_2' } })).body.port;
        assert.deepEqual(p1.fixed_ips.map((f: any) => f.subnet_id), [s1.id]);
        assert.deepEqual(p2.fixed_ips.map((f: any) => f.subnet_id), [s2.id]);
        const none = await call('POST', '/v2.0/ports', { port: { network_id: sn.id, device_owner: 'compute:nova' } });
        assert.equal(none.status, 409);
        assert.equal(none.body.NeutronError.type, 'IpAddressGenerationFailureNoMatchingSubnet');
        const plain = (await call('POST', '/v2.0/subnets', { subnet: { network_id: sn.id, cidr: '192.168.3.0/24', ip_version: 4 } })).body.subnet;
        const p3 = (await call('POST', '/v2.0/ports', { port: { network_id: sn.id, device_owner: 'compute:nova' } })).body.port;
        assert.deepEqual(p3.fixed_ips.map((f: any) => f.subnet_id), [plain.id]);
        const ext = (await call('GET', '/v2.0/extensions')).body.extensions.map((e: any) => e.alias);
        assert.ok(ext.includes('subnet-service-types'));
      }

      // subnets in use cannot go; a network in use neither
      assert.equal((await call('DELETE', `/v2.0/subnets/${v4.body.subnet.id}`)).body.NeutronError.type, 'SubnetInUse');
      assert.equal((await call('DELETE', `/v2.0/networks/${n.id}`)).body.NeutronError.type, 'NetworkInUse');
    } finally {
      await net.close();
    }
  });

  // Neutron's add_auto_addrs_on_network_ports: a SLAAC or DHCPv6-stateless subnet added to a network
  // gives the ports already there their EUI-64 address, router interfaces and ports its service_types
  // leave out aside; their revision moves on. A stateful subnet gives nothing.
  test(`a new auto-address subnet addresses the network's ports, on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    const call = net.call.bind(net);
    const port = async (network_id: string, device_owner: string) =>
      (await call('POST', '/v2.0/ports', { port: { network_id, device_owner } })).body.port;
    const subnet = async (network_id: string, cidr: string, extra: Record<string, unknown>) => {
      const r = await call('POST', '/v2.0/subnets', { subnet: { network_id, cidr, ip_version: 6, ...extra } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.subnet;
    };
    const addressOn = async (p: any, s: any) => {
      const now = (await call('GET', `/v2.0/ports/${p.id}`)).body.port;
      return { ip: now.fixed_ips.find((f: any) => f.subnet_id === s.id)?.ip_address, revision: now.revision_number - p.revision_number };
    };
    try {
      for (const mode of ['slaac', 'dhcpv6-stateless']) {
        const n = (await call('POST', '/v2.0/networks', { network: { name: mode } })).body.network;
        const bare = await port(n.id, ''); // before any subnet: no address at all
        await call('POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.5.0.0/24', ip_version: 4 } });
        const owners = ['compute:nova', 'network:dhcp', 'network:router_gateway', 'network:router_interface', 'network:router_centralized_snat'];
        const ports = [bare, ...(await Promise.all(owners.map((o) => port(n.id, o))))];
        const auto = await subnet(n.id, 'fd00:5::/64', { ipv6_address_mode: mode, ipv6_ra_mode: mode });
        for (const p of ports) {
          const routerInterface = p.device_owner === 'network:router_interface' || p.device_owner === 'network:router_centralized_snat';
          const expected = routerInterface ? { ip: undefined, revision: 0 } : { ip: formatIp(6, eui64('fd00:5::/64', p.mac_address)), revision: 1 };
          assert.deepEqual(await addressOn(p, auto), expected, `${mode} ${p.device_owner || 'no owner'}`);
        }
        // a port made afterwards gets it too, once
        const later = await port(n.id, '');
        assert.deepEqual(later.fixed_ips.filter((f: any) => f.subnet_id === auto.id).length, 1);
      }

      // service types: only the ports the subnet serves (and DHCP ports, the subnet having DHCP)
      const typed = (await call('POST', '/v2.0/networks', { network: { name: 'typed-auto' } })).body.network;
      const [nova, other, dhcp] = [await port(typed.id, 'compute:nova'), await port(typed.id, 'compute:other'), await port(typed.id, 'network:dhcp')];
      const served = await subnet(typed.id, 'fd00:6::/64', { ipv6_address_mode: 'slaac', service_types: ['compute:nova'] });
      assert.equal((await addressOn(nova, served)).ip, formatIp(6, eui64('fd00:6::/64', nova.mac_address)));
      assert.deepEqual(await addressOn(other, served), { ip: undefined, revision: 0 });
      assert.equal((await addressOn(dhcp, served)).ip, formatIp(6, eui64('fd00:6::/64', dhcp.mac_address)));

      // a stateful DHCPv6 subnet hands out addresses on request only
      const stateful = await subnet(typed.id, 'fd00:7::/64', { ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });
      assert.deepEqual(await addressOn(other, stateful), { ip: undefined, revision: 0 });
    } finally {
      await net.close();
    }
  });
}
