// Neutron's dhcp_agent_scheduler: networks with a DHCP-enabled subnet go to up to
// dhcp_agents_per_network alive, admin-up DHCP agents (on subnet create, and when an agent
// reports while networks wait); the dhcp-networks / dhcp-agents API with Neutron's errors;
// networks of dead agents rescheduled to alive ones; bindings gone with agent or network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { ADMIN, DHCP, L2, SERVICE, age, networkWithSubnet, report } from '../support/agents.js';
import { dhcpDeviceId, RESERVED_DHCP_PORT } from '../../src/network/agents/dhcp-device.js';

const MEMBER = as('project-a', 'member');
const MISSING = '2ff0e4c3-1b7e-4e8b-b0a2-000000000000';

async function call(net: RunningNetwork, method: string, path: string, body?: unknown, headers = ADMIN, status = 200) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function fails(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status: number, type: string, message?: string) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, JSON.stringify(r.body));
  if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
}

const hostedBy = async (net: RunningNetwork, agentId: string) =>
  (await call(net, 'GET', `/v2.0/agents/${agentId}/dhcp-networks`)).networks.map((n: any) => n.id).sort();
const agentsOf = async (net: RunningNetwork, networkId: string) =>
  (await call(net, 'GET', `/v2.0/networks/${networkId}/dhcp-agents`)).agents.map((a: any) => a.id).sort();

for (const backend of backends()) {
  test(`DHCP scheduling: automatic, per-network count, waiting networks, failover (${backend.name})`, async () => {
    const net = await startNetwork(backend, (cfg) => { cfg.network.agents.dhcp_agents_per_network = 2; }, testHeaderAuth);
    try {
      // no DHCP agent yet: the network waits
      const early = await networkWithSubnet(net, '10.1.0.0/24');
      assert.deepEqual(await agentsOf(net, early.networkId), []);
      const a = await report(net, 'osad', DHCP, { networks: 0 });
      assert.deepEqual(await agentsOf(net, early.networkId), [a], 'a reporting agent takes the waiting network');

      // a network without a DHCP-enabled subnet is nobody's
      const bare = (await call(net, 'POST', '/v2.0/networks', { network: { name: 'bare' } }, ADMIN, 201)).network.id;
      await call(net, 'POST', '/v2.0/subnets', { subnet: { network_id: bare, cidr: '10.9.0.0/24', ip_version: 4, enable_dhcp: false } }, ADMIN, 201);
      assert.deepEqual(await agentsOf(net, bare), []);

      // a second agent: the waiting network gets its second agent; new ones get both
      const b = await report(net, 'osad1', DHCP, {});
      assert.deepEqual(await agentsOf(net, early.networkId), [a, b].sort());
      const later = await networkWithSubnet(net, '10.2.0.0/24');
      assert.deepEqual(await agentsOf(net, later.networkId), [a, b].sort());
      // an L2 agent never hosts networks
      await report(net, 'osad2', L2, {});
      const c = await report(net, 'osad2', DHCP, {});
      assert.deepEqual(await hostedBy(net, c), []);

      // the dhcp-agents answer is agents as GET /v2.0/agents shows them
      const shown = (await call(net, 'GET', `/v2.0/networks/${later.networkId}/dhcp-agents`)).agents;
      assert.equal(shown[0].agent_type, 'DHCP agent');
      assert.equal(typeof shown[0].alive, 'boolean');

      // failover: a dead agent's networks go to an alive one, its DHCP port is kept reserved;
      // nothing moves while all are dead
      const dhcpPort = (await call(net, 'POST', '/agent-api/v1/dhcp-port', { host: 'osad', network_id: early.networkId }, SERVICE)).id;
      await age(net, a, 10_000);
      const moved = await net.server.agents.scheduler.failover();
      assert.deepEqual(moved.sort(), [early.networkId, later.networkId].sort());
      assert.deepEqual(await hostedBy(net, a), []);
      assert.equal((await call(net, 'GET', `/v2.0/ports/${dhcpPort}`)).port.device_id, RESERVED_DHCP_PORT);
      assert.deepEqual(await agentsOf(net, early.networkId), [b, c].sort());
      for (const id of [b, c]) await age(net, id, 10_000);
      assert.deepEqual(await net.server.agents.scheduler.failover(), []);
      assert.deepEqual(await agentsOf(net, early.networkId), [b, c].sort());

      // dead or disabled agents get no new networks
      await report(net, 'osad1', DHCP, {});
      await call(net, 'PUT', `/v2.0/agents/${b}`, { agent: { admin_state_up: false } });
      const third = await networkWithSubnet(net, '10.3.0.0/24');
      assert.deepEqual(await agentsOf(net, third.networkId), []);
      // back in service: it takes the waiting network
      await call(net, 'PUT', `/v2.0/agents/${b}`, { agent: { admin_state_up: true } });
      assert.deepEqual(await agentsOf(net, third.networkId), [b]);

      // bindings go with the agent and with the network
      await call(net, 'DELETE', `/v2.0/agents/${c}`, undefined, ADMIN, 204);
      assert.deepEqual(await agentsOf(net, early.networkId), [b]);
      await call(net, 'DELETE', `/v2.0/subnets/${third.subnetId}`, undefined, ADMIN, 204);
      await call(net, 'DELETE', `/v2.0/networks/${third.networkId}`, undefined, ADMIN, 204);
      const left = await net.database.db.selectFrom('network_dhcp_agent_bindings').select('network_id').where('network_id', '=', third.networkId).execute();
      assert.deepEqual(left, []);
    } finally {
      await net.close();
    }
  });

  test(`DHCP scheduling API: add, remove, Neutron's errors and policy (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const dhcp = await report(net, 'osad', DHCP, {});
      const l2 = await report(net, 'osad', L2, {});
      const { networkId } = await networkWithSubnet(net);
      assert.deepEqual(await hostedBy(net, dhcp), [networkId]);
      const other = (await call(net, 'POST', '/v2.0/networks', { network: { name: 'other' } }, ADMIN, 201)).network.id;

      // add: Neutron answers 201 with null
      const added = await net.call('POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: other }, ADMIN);
      assert.equal(added.status, 201);
      assert.equal(added.body, null);
      assert.deepEqual(await hostedBy(net, dhcp), [networkId, other].sort());
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: other }, ADMIN, 409, 'NetworkHostedByDHCPAgent',
        `The network ${other} has been already hosted by the DHCP Agent ${dhcp}.`);
      await fails(net, 'POST', `/v2.0/agents/${l2}/dhcp-networks`, { network_id: other }, ADMIN, 404, 'InvalidDHCPAgent',
        `Agent ${l2} is not a valid DHCP Agent or has been disabled.`);
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: MISSING }, ADMIN, 404, 'NetworkNotFound');
      await fails(net, 'POST', `/v2.0/agents/${MISSING}/dhcp-networks`, { network_id: other }, ADMIN, 404, 'AgentNotFound');
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, {}, ADMIN, 400, 'HTTPBadRequest');
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, [other], ADMIN, 400, 'HTTPBadRequest');
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: 7 }, ADMIN, 400, 'HTTPBadRequest');
      await fails(net, 'GET', `/v2.0/agents/${MISSING}/dhcp-networks`, undefined, ADMIN, 404, 'AgentNotFound');
      assert.deepEqual((await call(net, 'GET', `/v2.0/networks/${MISSING}/dhcp-agents`)).agents, []);

      // a network taken from the agent by hand stays away on its heartbeats, and comes back when it restarts
      await call(net, 'DELETE', `/v2.0/agents/${dhcp}/dhcp-networks/${networkId}`, undefined, ADMIN, 204);
      await report(net, 'osad', DHCP, {});
      assert.deepEqual(await hostedBy(net, dhcp), [other]);
      await report(net, 'osad', DHCP, {}, { start_flag: true });
      assert.deepEqual(await hostedBy(net, dhcp), [networkId, other].sort(), 'a restarted agent takes the networks that have none');

      // remove: the agent's DHCP port stays, reserved for the next agent
      const port = (await call(net, 'POST', '/agent-api/v1/dhcp-port', { host: 'osad', network_id: networkId })).id;
      await call(net, 'DELETE', `/v2.0/agents/${dhcp}/dhcp-networks/${networkId}`, undefined, ADMIN, 204);
      assert.deepEqual(await hostedBy(net, dhcp), [other]);
      assert.equal((await call(net, 'GET', `/v2.0/ports/${port}`)).port.device_id, RESERVED_DHCP_PORT);
      await fails(net, 'DELETE', `/v2.0/agents/${dhcp}/dhcp-networks/${networkId}`, undefined, ADMIN, 409, 'NetworkNotHostedByDhcpAgent',
        `The network ${networkId} is not hosted by the DHCP Agent ${dhcp}.`);
      await fails(net, 'DELETE', `/v2.0/agents/${MISSING}/dhcp-networks/${networkId}`, undefined, ADMIN, 404, 'AgentNotFound');
      // added back, the agent claims the reserved port: same port, same address
      await call(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: networkId }, ADMIN, 201);
      const again = await call(net, 'POST', '/agent-api/v1/dhcp-port', { host: 'osad', network_id: networkId });
      assert.equal(again.id, port);
      assert.equal(again.device_id, dhcpDeviceId(networkId, 'osad'));

      // a disabled DHCP agent takes no network by hand either
      await call(net, 'PUT', `/v2.0/agents/${dhcp}`, { agent: { admin_state_up: false } });
      const third = (await call(net, 'POST', '/v2.0/networks', { network: { name: 'third' } }, ADMIN, 201)).network.id;
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: third }, ADMIN, 404, 'InvalidDHCPAgent');

      // admin only, as Neutron's policy
      await fails(net, 'GET', `/v2.0/agents/${dhcp}/dhcp-networks`, undefined, MEMBER, 403, 'PolicyNotAuthorized', '(rule:get_dhcp-networks) is disallowed by policy');
      await fails(net, 'POST', `/v2.0/agents/${dhcp}/dhcp-networks`, { network_id: third }, MEMBER, 403, 'PolicyNotAuthorized');
      await fails(net, 'DELETE', `/v2.0/agents/${dhcp}/dhcp-networks/${other}`, undefined, MEMBER, 403, 'PolicyNotAuthorized');
      await fails(net, 'GET', `/v2.0/networks/${networkId}/dhcp-agents`, undefined, MEMBER, 403, 'PolicyNotAuthorized', '(rule:get_dhcp-agents) is disallowed by policy');
    } finally {
      await net.close();
    }
  });
}
