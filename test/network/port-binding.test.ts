// ML2 port binding: binding:host_id binds through the mechanism drivers in order; the
// linuxbridge driver binds when an alive, admin-up Linux bridge agent on the host carries
// the network's type and physical network (vif_type bridge), else binding_failed; a failed
// binding is retried on the next update; status stays DOWN until the agent reports the device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_API } from '../../src/agent/protocol.js';
import { mechanismDrivers } from '../../src/network/ml2/drivers/registry.js';
import { backends } from '../support/backends.js';
import { testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { ADMIN, L2, SERVICE, age, l2Configurations, report } from '../support/agents.js';

const BRIDGE = { 'binding:vif_type': 'bridge', 'binding:vif_details': { port_filter: true, connectivity: 'l2' } };
const FAILED = { 'binding:vif_type': 'binding_failed', 'binding:vif_details': {} };
const UNBOUND = { 'binding:vif_type': 'unbound', 'binding:vif_details': {} };

async function call(net: RunningNetwork, method: string, path: string, body?: unknown, status = 200) {
  const r = await net.call(method, path, body, ADMIN);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const network = async (net: RunningNetwork, provider: Record<string, unknown> = {}) =>
  (await call(net, 'POST', '/v2.0/networks', { network: { name: 'n', ...provider } }, 201)).network.id as string;
const port = async (net: RunningNetwork, networkId: string, host: string) =>
  (await call(net, 'POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': host } }, 201)).port;
const binding = (p: any) => ({ 'binding:vif_type': p['binding:vif_type'], 'binding:vif_details': p['binding:vif_details'] });

for (const backend of backends()) {
  test(`port binding by the linuxbridge driver: types, physical networks, agent state (${backend.name})`, async () => {
    const net = await startNetwork(backend, (cfg) => { cfg.network.agents.agent_down_time = 30; }, testHeaderAuth);
    try {
      const vxlan = await network(net);
      const flat = await network(net, { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
      const flat2 = await network(net, { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
      const vlan = await network(net, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' });
      const local = await network(net, { 'provider:network_type': 'local' });

      // no agent on the host
      const early = await port(net, vxlan, 'osad1');
      assert.deepEqual(binding(early), FAILED);
      assert.equal(early.status, 'DOWN');
      assert.deepEqual(binding(await port(net, vxlan, '')), UNBOUND);

      const agent = await report(net, 'osad1', L2, l2Configurations('192.0.2.11', { vlan_unsupported_reason: 'the kernel has no 802.1Q (module 8021q)' }));
      const p = await port(net, vxlan, 'osad1');
      assert.deepEqual(binding(p), BRIDGE);
      assert.equal(p.status, 'DOWN', 'DOWN until the agent reports the device');
      assert.deepEqual(binding(await port(net, flat, 'osad1')), BRIDGE);
      assert.deepEqual(binding(await port(net, flat2, 'osad1')), FAILED, 'physnet2 is not mapped');
      assert.deepEqual(binding(await port(net, vlan, 'osad1')), FAILED, 'the agent says it cannot do VLANs');
      assert.deepEqual(binding(await port(net, local, 'osad1')), BRIDGE);
      assert.deepEqual(binding(await port(net, vxlan, 'osad2')), FAILED, 'another host without an agent');

      // a failed binding is retried on the next update
      const retried = (await call(net, 'PUT', `/v2.0/ports/${early.id}`, { port: { name: 'again' } })).port;
      assert.deepEqual(binding(retried), BRIDGE);

      // an agent without VXLAN, with VLANs: the other way round
      await report(net, 'osad2', L2, { interface_mappings: { physnet1: 'eth1' }, tunnel_types: [] });
      assert.deepEqual(binding(await port(net, vxlan, 'osad2')), FAILED);
      assert.deepEqual(binding(await port(net, vlan, 'osad2')), BRIDGE);
      // its eth1 gone (the agent says so): nothing of physnet1 binds there, until it is back
      await report(net, 'osad2', L2, { interface_mappings: { physnet1: 'eth1' }, missing_interfaces: { physnet1: 'eth1' }, tunnel_types: [] });
      assert.deepEqual(binding(await port(net, vlan, 'osad2')), FAILED);
      assert.deepEqual(binding(await port(net, flat, 'osad2')), FAILED);
      assert.deepEqual(binding(await port(net, local, 'osad2')), BRIDGE, 'local needs no interface');
      await report(net, 'osad2', L2, { interface_mappings: { physnet1: 'eth1' }, tunnel_types: [] });
      assert.deepEqual(binding(await port(net, flat, 'osad2')), BRIDGE);

      // a dead or disabled agent binds nothing
      await age(net, agent, 31);
      assert.deepEqual(binding(await port(net, vxlan, 'osad1')), FAILED);
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      await call(net, 'PUT', `/v2.0/agents/${agent}`, { agent: { admin_state_up: false } });
      assert.deepEqual(binding(await port(net, vxlan, 'osad1')), FAILED);
      await call(net, 'PUT', `/v2.0/agents/${agent}`, { agent: { admin_state_up: true } });

      // moving a port: bound again on the new host, DOWN until wired there; no host is unbound
      const up = await net.call('POST', `${AGENT_API}/devices`, { host: 'osad1', up: [p.id], down: [] }, SERVICE);
      assert.equal(up.status, 200);
      assert.equal((await call(net, 'GET', `/v2.0/ports/${p.id}`)).port.status, 'ACTIVE');
      const moved = (await call(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'osad2' } })).port;
      assert.deepEqual([binding(moved), moved.status], [FAILED, 'DOWN']);
      const back = (await call(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'osad1' } })).port;
      assert.deepEqual(binding(back), BRIDGE);
      assert.deepEqual(binding((await call(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': '' } })).port), UNBOUND);
      // a vnic type the driver does not serve
      const direct = (await call(net, 'POST', '/v2.0/ports', { port: { network_id: vxlan, 'binding:host_id': 'osad1', 'binding:vnic_type': 'direct' } }, 201)).port;
      assert.deepEqual(binding(direct), FAILED);
    } finally {
      await net.close();
    }
  });

  test(`port binding asks the drivers in order; a failing driver is passed over (${backend.name})`, async () => {
    const calls: string[] = [];
    mechanismDrivers.test_first = () => ({ name: 'test_first', bind_port(ctx) { calls.push(`first ${ctx.host}`); if (ctx.host === 'special') ctx.setBinding(ctx.segments[0], 'other', { x: 1 }); } });
    mechanismDrivers.test_broken = () => ({ name: 'test_broken', bind_port() { calls.push('broken'); throw new Error('boom'); } });
    const net = await startNetwork(backend, (cfg) => { cfg.network.ml2.mechanism_drivers = ['logger', 'test_broken', 'test_first', 'linuxbridge']; }, testHeaderAuth);
    try {
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      const n = await network(net);
      assert.deepEqual(binding(await port(net, n, 'special')), { 'binding:vif_type': 'other', 'binding:vif_details': { x: 1 } });
      assert.deepEqual(binding(await port(net, n, 'osad1')), BRIDGE);
      assert.deepEqual(calls, ['broken', 'first special', 'broken', 'first osad1']);
    } finally {
      await net.close();
      delete mechanismDrivers.test_first;
      delete mechanismDrivers.test_broken;
    }
  });

  test(`the test_fail driver is not among the production drivers (${backend.name})`, async () => {
    assert.equal(mechanismDrivers.test_fail, undefined);
    await assert.rejects(startNetwork(backend, (cfg) => { cfg.network.ml2.mechanism_drivers = ['test_fail']; }), /unknown ML2 mechanism driver "test_fail"/);
  });
}
