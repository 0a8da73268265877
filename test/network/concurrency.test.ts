// 600 port creates race for the 253 addresses of one /24: exactly 253 win,
// the rest get 409 IpAddressGenerationFailure, no address is handed out
// twice, and nothing answers 5xx — on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';

const CONCURRENT = 600;

for (const backend of backends()) {
  test(`${CONCURRENT} concurrent port creates on one /24 on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    try {
      const n = await net.call('POST', '/v2.0/networks', { network: { name: 'race' } });
      assert.equal(n.status, 201);
      const networkId = n.body.network.id;
      const s = await net.call('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.9.0.0/24', ip_version: 4 } });
      assert.equal(s.status, 201);

      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) => net.call('POST', '/v2.0/ports', { port: { network_id: networkId, name: `p${i}` } })),
      );
      const byStatus = new Map<number, number>();
      for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      const summary = JSON.stringify([...byStatus]);
      assert.equal(byStatus.get(201), 253, `201s: ${summary}`);
      assert.equal(byStatus.get(409), CONCURRENT - 253, `409s: ${summary}`);
      for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.NeutronError.type, 'IpAddressGenerationFailure');

      const ips = results.filter((r) => r.status === 201).map((r) => r.body.port.fixed_ips[0].ip_address as string);
      assert.equal(new Set(ips).size, 253, 'an address was handed out twice');
      assert.ok(!ips.includes('10.9.0.1'), 'the gateway was handed out');
      const macs = results.filter((r) => r.status === 201).map((r) => r.body.port.mac_address as string);
      assert.equal(new Set(macs).size, 253, 'a MAC address was handed out twice');

      // the database agrees with the answers
      const rows = await net.database.db.selectFrom('ip_allocations').select('ip_address').execute();
      assert.equal(rows.length, 253);
      const free = await net.database.db.selectFrom('ipam_free_ranges').selectAll().execute();
      assert.equal(free.length, 0, 'the pool should be exhausted');

      // releasing one address makes exactly that address available again
      const victim = results.find((r) => r.status === 201)!.body.port;
      assert.equal((await net.call('DELETE', `/v2.0/ports/${victim.id}`)).status, 204);
      const again = await net.call('POST', '/v2.0/ports', { port: { network_id: networkId } });
      assert.equal(again.status, 201);
      assert.equal(again.body.port.fixed_ips[0].ip_address, victim.fixed_ips[0].ip_address);
    } finally {
      await net.close();
    }
  });
}
