// A SLAAC subnet created while ports are being created on its network: every
// port ends with its EUI-64 address from it, whichever commits first (the
// subnet's create gives it to the ports before it, a port create after it
// takes it) — on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';
import { eui64, formatIp } from '../../src/common/net-address.js';

const ROUNDS = 8;
const PORTS = 12;

for (const backend of backends()) {
  test(`ports created while a SLAAC subnet is created all get its address on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    try {
      const missing: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const n = (await net.call('POST', '/v2.0/networks', { network: { name: `race${round}` } })).body.network;
        const cidr = `fd00:${round + 1}::/64`;
        const subnet = { network_id: n.id, cidr, ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' };
        const ports = Array.from({ length: PORTS }, () => net.call('POST', '/v2.0/ports', { port: { network_id: n.id } }));
        // every request settles before any assertion: a failed one must not leave the rest running into cleanup
        const [s, ...created] = await Promise.all([net.call('POST', '/v2.0/subnets', { subnet }), ...ports]);
        assert.equal(s.status, 201, `round ${round} subnet: ${JSON.stringify(s.body)}`);
        for (const p of created) assert.equal(p.status, 201, `round ${round} port: ${JSON.stringify(p.body)}`);
        const listed = (await net.call('GET', `/v2.0/ports?network_id=${n.id}`)).body.ports as Array<Record<string, any>>;
        assert.equal(listed.length, PORTS);
        for (const p of listed) {
          const ip = p.fixed_ips.find((f: { subnet_id: string }) => f.subnet_id === s.body.subnet.id)?.ip_address;
          if (ip !== formatIp(6, eui64(cidr, p.mac_address))) missing.push(`round ${round} port ${p.id}: ${JSON.stringify(p.fixed_ips)}`);
        }
      }
      assert.deepEqual(missing, [], `${missing.length} of ${ROUNDS * PORTS} ports lack the subnet's address`);
    } finally {
      await net.close();
    }
  });
}
