// Neutron's agent extension: agents made by their reports, listed and shown with Neutron's
// fields and timestamps, alive from the heartbeat and agent_down_time, filters and fields=,
// admin-only reads and writes (a member lists nothing), PUT of two attributes only, DELETE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { ADMIN, DHCP, L2, age, l2Configurations, report } from '../support/agents.js';

const MEMBER = as('project-a', 'member');
const FIELDS = ['admin_state_up', 'agent_type', 'alive', 'availability_zone', 'binary', 'configurations', 'created_at', 'description',
  'heartbeat_timestamp', 'host', 'id', 'resources_synced', 'started_at', 'topic'];
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

async function ok(net: RunningNetwork, method: string, path: string, body?: unknown, headers = ADMIN, status = 200) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function fails(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status: number, type: string) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, JSON.stringify(r.body));
  return r.body.NeutronError;
}

for (const backend of backends()) {
  test(`agents API: reports make agents; list, show, filters, fields, alive (${backend.name})`, async () => {
    const net = await startNetwork(backend, (cfg) => { cfg.network.agents.agent_down_time = 30; }, testHeaderAuth);
    try {
      const aliases = (await ok(net, 'GET', '/v2.0/extensions')).extensions.map((x: any) => x.alias);
      for (const a of ['agent', 'dhcp_agent_scheduler', 'agent-resources-synced']) assert.ok(aliases.includes(a), a);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents')).agents, []);

      const l2 = await report(net, 'osad1', L2, l2Configurations('192.0.2.11'), { start_flag: true });
      const dhcp = await report(net, 'osad', DHCP, { networks: 0 }, { availability_zone: 'nova', resources_synced: true });
      // a second report of the same (agent_type, host) is a heartbeat, not another agent
      assert.equal(await report(net, 'osad1', L2, l2Configurations('192.0.2.11')), l2);

      const agents = (await ok(net, 'GET', '/v2.0/agents')).agents;
      assert.equal(agents.length, 2);
      const shown = (await ok(net, 'GET', `/v2.0/agents/${l2}`)).agent;
      assert.deepEqual(Object.keys(shown).sort(), FIELDS);
      assert.equal(shown.agent_type, 'Linux bridge agent');
      assert.equal(shown.binary, 'neutron-linuxbridge-agent');
      assert.equal(shown.topic, 'N/A');
      assert.equal(shown.host, 'osad1');
      assert.equal(shown.admin_state_up, true);
      assert.equal(shown.alive, true);
      assert.equal(shown.description, null);
      assert.equal(shown.availability_zone, null);
      assert.equal(shown.resources_synced, null);
      assert.deepEqual(shown.configurations, l2Configurations('192.0.2.11'));
      for (const t of ['created_at', 'started_at', 'heartbeat_timestamp']) assert.match(shown[t], TIME, t);
      const d = (await ok(net, 'GET', `/v2.0/agents/${dhcp}`)).agent;
      assert.equal(d.availability_zone, 'nova');
      assert.equal(d.resources_synced, true);
      // the availability zones are the DHCP agents' (the L2 agent's none); a hint may name one
      assert.deepEqual((await ok(net, 'GET', '/v2.0/availability_zones', undefined, MEMBER)).availability_zones,
        [{ name: 'nova', resource: 'network', state: 'available' }]);
      const hinted = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'z', availability_zone_hints: ['nova'] } }, MEMBER, 201)).network;
      assert.deepEqual(hinted.availability_zone_hints, ['nova']);
      await fails(net, 'POST', '/v2.0/networks', { network: { availability_zone_hints: ['elsewhere'] } }, MEMBER, 404, 'AvailabilityZoneNotFound');
      await ok(net, 'PUT', `/v2.0/agents/${dhcp}`, { agent: { admin_state_up: false } });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/availability_zones?state=unavailable', undefined, MEMBER)).availability_zones,
        [{ name: 'nova', resource: 'network', state: 'unavailable' }]);
      await ok(net, 'PUT', `/v2.0/agents/${dhcp}`, { agent: { admin_state_up: true } });

      // filters, fields
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents?agent_type=DHCP%20agent')).agents.map((a: any) => a.id), [dhcp]);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents?host=osad1&fields=id&fields=host')).agents, [{ id: l2, host: 'osad1' }]);
      assert.deepEqual((await ok(net, 'GET', `/v2.0/agents/${l2}?fields=alive`)).agent, { alive: true });
      await fails(net, 'GET', '/v2.0/agents?bogus=1', undefined, ADMIN, 400, 'HTTPBadRequest');
      // sorting and paging as every resource
      const page = await ok(net, 'GET', '/v2.0/agents?sort_key=host&sort_dir=desc&limit=1&fields=host');
      assert.deepEqual(page.agents, [{ host: 'osad1' }]);
      assert.ok(page.agents_links.some((l: any) => l.rel === 'next'));
      await fails(net, 'GET', '/v2.0/agents?sort_key=alive', undefined, ADMIN, 400, 'HTTPBadRequest');

      // alive: false after agent_down_time without a heartbeat; a report revives it
      await age(net, l2, 31);
      assert.equal((await ok(net, 'GET', `/v2.0/agents/${l2}`)).agent.alive, false);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents?alive=false')).agents.map((a: any) => a.id), [l2]);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents?alive=true')).agents.map((a: any) => a.id), [dhcp]);
      assert.equal((await ok(net, 'GET', '/v2.0/agents?alive=true&alive=false')).agents.length, 2);
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      assert.equal((await ok(net, 'GET', `/v2.0/agents/${l2}`)).agent.alive, true);

      // start_flag sets started_at; created_at stays
      await net.database.db.updateTable('agents').set({ started_at: '2020-01-01 00:00:00', created_at: '2020-01-01 00:00:00' }).where('id', '=', l2).execute();
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      assert.equal((await ok(net, 'GET', `/v2.0/agents/${l2}`)).agent.started_at, '2020-01-01 00:00:00');
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'), { start_flag: true });
      const restarted = (await ok(net, 'GET', `/v2.0/agents/${l2}`)).agent;
      assert.notEqual(restarted.started_at, '2020-01-01 00:00:00');
      assert.equal(restarted.created_at, '2020-01-01 00:00:00');
    } finally {
      await net.close();
    }
  });

  test(`agents API: admin-only policy, PUT and DELETE, no POST (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const l2 = await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      // as Neutron: a member's list is empty, its show a 404, its writes 404 (it may not see the agent)
      assert.deepEqual((await ok(net, 'GET', '/v2.0/agents', undefined, MEMBER)).agents, []);
      assert.equal((await fails(net, 'GET', `/v2.0/agents/${l2}`, undefined, MEMBER, 404, 'AgentNotFound')).message, `Agent ${l2} could not be found.`);
      await fails(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { description: 'x' } }, MEMBER, 404, 'AgentNotFound');
      await fails(net, 'DELETE', `/v2.0/agents/${l2}`, undefined, MEMBER, 404, 'AgentNotFound');

      const updated = (await ok(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { admin_state_up: false, description: 'maintenance' } })).agent;
      assert.equal(updated.admin_state_up, false);
      assert.equal(updated.description, 'maintenance');
      assert.equal((await ok(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { description: null } })).agent.description, null);
      assert.equal((await ok(net, 'PUT', `/v2.0/agents/${l2}`, { agent: {} })).agent.id, l2);
      // the reply to a report says the agent is disabled
      const r = await net.call('POST', '/agent-api/v1/report', { host: 'osad1', agent_type: L2, binary: 'neutron-linuxbridge-agent', topic: 'N/A', configurations: {} }, ADMIN);
      assert.deepEqual(r.body, { agent: { id: l2, admin_state_up: false } });
      for (const attr of ['host', 'agent_type', 'alive', 'configurations', 'heartbeat_timestamp', 'id']) {
        await fails(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { [attr]: 'x' } }, ADMIN, 400, 'HTTPBadRequest');
      }
      await fails(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { admin_state_up: 'maybe' } }, ADMIN, 400, 'InvalidInput');
      await fails(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { description: 'x'.repeat(256) } }, ADMIN, 400, 'HTTPBadRequest');
      await fails(net, 'PUT', `/v2.0/agents/${l2}`, { agent: { bogus: 1 } }, ADMIN, 400, 'HTTPBadRequest');
      await fails(net, 'PUT', '/v2.0/agents/2ff0e4c3-1b7e-4e8b-b0a2-000000000000', { agent: { description: 'x' } }, ADMIN, 404, 'AgentNotFound');

      // agents are made by reports only
      await fails(net, 'POST', '/v2.0/agents', { agent: { host: 'h', agent_type: L2 } }, ADMIN, 405, 'HTTPMethodNotAllowed');

      await ok(net, 'DELETE', `/v2.0/agents/${l2}`, undefined, ADMIN, 204);
      await fails(net, 'GET', `/v2.0/agents/${l2}`, undefined, ADMIN, 404, 'AgentNotFound');
      await fails(net, 'DELETE', `/v2.0/agents/${l2}`, undefined, ADMIN, 404, 'AgentNotFound');
      // the next report makes it again, with a new id
      assert.notEqual(await report(net, 'osad1', L2, {}), l2);
    } finally {
      await net.close();
    }
  });
}
