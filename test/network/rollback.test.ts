// ML2's contract: a postcommit failure on create deletes the resource again
// and answers an error; a precommit failure rolls the transaction back. In
// both cases the database is exactly as before: rows, IP allocations and
// segment allocations. Uses the test_fail mechanism driver, which fails the
// hook named by the resource's name ("fail-<hook>").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';
import { registerTestFailDriver } from '../support/test-fail-driver.js';
import { dbState } from './db-counts.js';

registerTestFailDriver();

for (const backend of backends()) {
  test(`failed mechanism drivers leave nothing behind on ${backend.name}`, async () => {
    const net = await startNetwork(backend, (cfg) => {
      cfg.network.ml2.mechanism_drivers = ['logger', 'test_fail'];
    });
    try {
      const n = await net.call('POST', '/v2.0/networks', { network: { name: 'ok' } });
      assert.equal(n.status, 201);
      const networkId = n.body.network.id;
      assert.equal((await net.call('POST', '/v2.0/subnets', { subnet: { network_id: networkId, cidr: '10.5.0.0/24', ip_version: 4 } })).status, 201);
      assert.equal((await net.call('POST', '/v2.0/ports', { port: { network_id: networkId, name: 'first' } })).status, 201);

      const cases: Array<[string, string, unknown]> = [];
      for (const phase of ['precommit', 'postcommit']) {
        cases.push(
          [`network ${phase}`, '/v2.0/networks', { network: { name: `fail-create_network_${phase}` } }],
          [`provider network ${phase}`, '/v2.0/networks', { network: { name: `fail-create_network_${phase}`, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 150 } }],
          [`subnet ${phase}`, '/v2.0/subnets', { subnet: { name: `fail-create_subnet_${phase}`, network_id: networkId, cidr: '10.6.0.0/24', ip_version: 4 } }],
          [`port ${phase}`, '/v2.0/ports', { port: { name: `fail-create_port_${phase}`, network_id: networkId } }],
          [`port with fixed ip ${phase}`, '/v2.0/ports', { port: { name: `fail-create_port_${phase}`, network_id: networkId, fixed_ips: [{ ip_address: '10.5.0.77' }] } }],
          [`bulk ports, second fails ${phase}`, '/v2.0/ports', { ports: [{ network_id: networkId, name: 'fine' }, { network_id: networkId, name: `fail-create_port_${phase}` }] }],
        );
      }
      for (const [what, path, body] of cases) {
        const before = await dbState(net.database);
        const res = await net.call('POST', path, body);
        assert.equal(res.status, 500, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.NeutronError.type, 'MechanismDriverError', what);
        assert.deepEqual(await dbState(net.database), before, `${what}: the database changed`);
      }
      // and the address and segment freed by the rollbacks are handed out again
      const p = await net.call('POST', '/v2.0/ports', { port: { network_id: networkId, fixed_ips: [{ ip_address: '10.5.0.77' }] } });
      assert.equal(p.status, 201);
      const v = await net.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 150 } });
      assert.equal(v.status, 201, JSON.stringify(v.body));
      // the VNI the failed tenant networks held is the next one handed out
      const t = await net.call('POST', '/v2.0/networks', { network: { name: 'after' } });
      assert.equal(t.status, 201);
      assert.equal(t.body.network['provider:segmentation_id'], n.body.network['provider:segmentation_id'] + 1);
    } finally {
      await net.close();
    }
  });
}
