// ML2 type drivers through the API: tenant allocation from the configured
// ranges, exact and reusable ids, exhaustion, provider networks as admins
// ask for them, and MTU per type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

const create = (net: RunningNetwork, network: Record<string, unknown>) => net.call('POST', '/v2.0/networks', { network });

for (const backend of backends()) {
  test(`tenant networks take vxlan VNIs exactly, reuse released ones and run out with 503 on ${backend.name}`, async () => {
    const net = await startNetwork(backend, (cfg) => {
      cfg.network.ml2.vni_ranges = ['10:12'];
    });
    try {
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await create(net, { name: `t${i}` }));
      assert.deepEqual(made.map((r) => r.status), [201, 201, 201]);
      assert.deepEqual(made.map((r) => r.body.network['provider:segmentation_id']).sort(), [10, 11, 12]);
      for (const r of made) {
        assert.equal(r.body.network['provider:network_type'], 'vxlan');
        assert.equal(r.body.network.mtu, 1450);
      }
      // the MTU attribute is advertised under Neutron's alias, net-mtu (tempest skips its MTU tests otherwise)
      assert.equal((await net.call('GET', '/v2.0/extensions/net-mtu')).body.extension?.alias, 'net-mtu');
      assert.equal((await net.call('GET', '/v2.0/extensions/network-mtu')).status, 404);
      const full = await create(net, { name: 'one too many' });
      assert.equal(full.status, 503);
      assert.equal(full.body.NeutronError.type, 'NoNetworkAvailable');

      const middle = made.find((r) => r.body.network['provider:segmentation_id'] === 11)!;
      assert.equal((await net.call('DELETE', `/v2.0/networks/${middle.body.network.id}`)).status, 204);
      const again = await create(net, { name: 'reuse' });
      assert.equal(again.status, 201);
      assert.equal(again.body.network['provider:segmentation_id'], 11);

      // concurrent creates never share an id
      await net.call('DELETE', `/v2.0/networks/${again.body.network.id}`);
      const race = await Promise.all(Array.from({ length: 6 }, (_, i) => create(net, { name: `race${i}` })));
      assert.deepEqual(race.map((r) => r.status).sort(), [201, 503, 503, 503, 503, 503]);
    } finally {
      await net.close();
    }
  });

  test(`provider networks: vlan, flat, vxlan, gre, local and their errors on ${backend.name}`, async () => {
    const net = await startNetwork(backend, (cfg) => {
      cfg.network.ml2.network_vlan_ranges = ['physnet1:100:101', 'physnet2'];
      cfg.network.ml2.flat_networks = ['public'];
    });
    try {
      const vlan = await create(net, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
      assert.equal(vlan.status, 201, JSON.stringify(vlan.body));
      assert.equal(vlan.body.network.mtu, 1500);
      const dup = await create(net, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.NeutronError.type, 'VlanIdInUse');
      // outside the tenant range, and on a provider-only physnet: allowed for admins
      assert.equal((await create(net, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2', 'provider:segmentation_id': 3000 })).status, 201);
      // partial segment: the physnet's next free id
      const partial = await create(net, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' });
      assert.equal(partial.status, 201);
      assert.equal(partial.body.network['provider:segmentation_id'], 101);

      const bad: Array<[Record<string, unknown>, number, string]> = [
        [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'nope', 'provider:segmentation_id': 5 }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 4095 }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'flat' }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'flat', 'provider:physical_network': 'other' }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'vxlan', 'provider:physical_network': 'physnet1' }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'geneve' }, 400, 'InvalidInput'],
        [{ 'provider:segmentation_id': 5 }, 400, 'InvalidInput'],
        [{ 'provider:network_type': 'local', 'provider:segmentation_id': 5 }, 400, 'InvalidInput'],
      ];
      for (const [body, status, type] of bad) {
        const r = await create(net, body);
        assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.NeutronError.type, type);
      }

      const flat = await create(net, { 'provider:network_type': 'flat', 'provider:physical_network': 'public' });
      assert.equal(flat.status, 201);
      assert.equal(flat.body.network['provider:segmentation_id'], null);
      const flat2 = await create(net, { 'provider:network_type': 'flat', 'provider:physical_network': 'public' });
      assert.equal(flat2.status, 409);
      assert.equal(flat2.body.NeutronError.type, 'FlatNetworkInUse');

      const vx = await create(net, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 5000 });
      assert.equal(vx.status, 201);
      assert.equal(vx.body.network.mtu, 1450);
      assert.equal((await create(net, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 5000 })).body.NeutronError.type, 'TunnelIdInUse');

      const gre = await create(net, { 'provider:network_type': 'gre', 'provider:segmentation_id': 7 });
      assert.equal(gre.status, 201);
      assert.equal(gre.body.network.mtu, 1458);

      const local = await create(net, { 'provider:network_type': 'local' });
      assert.equal(local.status, 201);
      assert.equal(local.body.network['provider:physical_network'], null);

      const tooBig = await create(net, { 'provider:network_type': 'vxlan', mtu: 1500 });
      assert.equal(tooBig.status, 400);

      // filters on provider attributes
      const listed = await net.call('GET', '/v2.0/networks?provider:network_type=vlan&fields=id');
      assert.equal(listed.status, 200);
      assert.equal(listed.body.networks.length, 3);
    } finally {
      await net.close();
    }
  });
}
