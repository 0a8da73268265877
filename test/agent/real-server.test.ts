// The agent runtime against cloudlet's own identity and network servers (not a
// stand-in): the service user made by bootstrap logs in, the heartbeat makes the
// agent row (alive in GET /v2.0/agents), a port bound to the agent's host reaches
// the reconciler through the change log, and the device reported up turns the
// port ACTIVE. Needs the server side of the protocol (src/network/agents).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { AgentClient } from '../../src/agent/client.js';
import { AgentRuntime } from '../../src/agent/run.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
import { AGENT_USER, agentPasswordFile, readAgentPassword, SERVICE_PROJECT } from '../../src/identity/service-user.js';
import { keystoneAuth } from '../../src/network/api/keystone-auth.js';
import { backends } from '../support/backends.js';
import { FakeReconciler, until } from '../support/fake-reconciler.js';
import { startIdentity } from '../support/identity-server.js';
import { startNetwork } from '../support/network-server.js';

const HOST = 'agent-test-host';

for (const backend of backends()) {
  test(`agent runtime against the real servers: heartbeat, snapshot, change log, devices (${backend.name})`, async (t) => {
    const identity = await startIdentity(backend);
    t.after(() => identity.close());
    const net = await startNetwork(backend, () => {}, keystoneAuth(identity.server.tokens, identity.url));
    t.after(() => net.close());
    const password = readAgentPassword(agentPasswordFile(identity.cfg.data_dir))!;
    const session = new KeystoneSession({ authUrl: `${identity.url}/v3`, username: AGENT_USER, password, projectName: SERVICE_PROJECT });
    const reconciler = new FakeReconciler(HOST);
    const runtime = new AgentRuntime(new AgentClient(session, net.url), reconciler, { host: HOST, reportInterval: 1, pollSeconds: 2, backoff: { firstMs: 100, maxMs: 500 } }, pino({ level: 'silent' }));
    t.after(() => runtime.stop());
    runtime.start();
    const admin = { 'X-Auth-Token': await identity.login() };

    await until('the first full reconcile', () => reconciler.calls.length >= 1, 10_000);
    await t.test('the heartbeat made an alive Linux bridge agent for the host', async () => {
      await until('the agent row', async () => (await net.call('GET', `/v2.0/agents?host=${HOST}`, undefined, admin)).body.agents?.length === 1, 10_000);
      const [agent] = (await net.call('GET', `/v2.0/agents?host=${HOST}`, undefined, admin)).body.agents;
      assert.equal(agent.agent_type, 'Linux bridge agent');
      assert.equal(agent.alive, true);
      assert.equal(agent.configurations.tunneling_ip, '10.0.0.1');
    });

    await t.test('a port bound to the host reaches the reconciler and goes ACTIVE', async () => {
      const network = (await net.call('POST', '/v2.0/networks', { network: { name: 'agentnet' } }, admin)).body.network;
      const r = await net.call('POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': HOST } }, admin);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const port = r.body.port;
      await until('the port wired', () => reconciler.wired.has(port.id), 10_000);
      assert.ok(reconciler.calls.some((c) => c.networks.includes(network.id)));
      await until('ACTIVE', async () => (await net.call('GET', `/v2.0/ports/${port.id}`, undefined, admin)).body.port.status === 'ACTIVE', 10_000);
      assert.equal(runtime.status.healthy, true);
    });
  });
}
