// Root e2e: token expiry with the real identity and network servers (processes, on
// PostgreSQL), where test/agent/client.test.ts and runtime.test.ts use a stand-in. Tokens live
// 6 s (identity.token_expiration, Keystone's [token] expiration); an L2 agent of a compute host
// runs through several lifetimes and is then frozen (SIGSTOP) for longer than one, so the
// token it holds has expired when it wakes; then a change made through the API is applied on its host
// and its port turns ACTIVE: the agent logged in again on its own, stayed healthy, and no
// line it wrote (at trace level) holds its password or a token.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bridgeName } from '../../src/agent/protocol.js';
import { backends } from '../support/backends.js';
import { adminToken, created, linksOf } from '../support/fleet-views.js';
import { sleep, until } from '../lab/lab-support.js';
import { ADMIN_PASSWORD, Fleet, requireFleetTools } from '../support/server-fleet.js';

const postgres = backends().find((b) => b.name === 'postgres');
const LIFETIME_S = 6;
/** a compact JWS (header.payload.signature), what cloudlet's tokens are */
const JWS = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

/** the request lines (`{method, url, status}`) a server wrote in JSON */
const requests = (out: string): Array<{ method: string; url: string; status: number }> =>
  out.split('\n').flatMap((l) => {
    try {
      const o = JSON.parse(l) as { msg?: string; method?: string; url?: string; status?: number };
      return o.msg === 'request' && o.method && o.url && o.status ? [{ method: o.method, url: o.url, status: o.status }] : [];
    } catch {
      return [];
    }
  });

test(`token expiry against the real servers: tokens of ${LIFETIME_S} s, an agent renews its own, applies a change made after several lifetimes, stays healthy, and never logs its password or a token`, {
  skip: postgres ? false : 'needs PostgreSQL: set CLOUDLET_TEST_DATABASE_URL (mandatory in CI)',
  timeout: 300_000,
}, async (t) => {
  const fleet = new Fleet(1);
  try {
    requireFleetTools();
    await fleet.start(postgres!, { identity: { token_expiration: LIFETIME_S } });
    const s = await fleet.addNetworkServer();
    const [h1] = fleet.computes as [typeof fleet.computes[0]];
    const agent = await fleet.addAgent(h1, [s], { reportInterval: 1, logLevel: 'trace' });
    // every admin call with a token of its own: the test's tokens expire too
    const admin = async () => ({ 'X-Auth-Token': await adminToken(fleet.identity) });

    type Agent = { alive: boolean; heartbeat_timestamp: string; configurations: { healthy?: boolean; sync_error?: string | null } };
    const agentRow = async () => (await s.call('GET', `/v2.0/agents?host=${h1.name}`, undefined, await admin())).body.agents?.[0] as Agent | undefined;
    await until('the agent alive and healthy', async () => ((await agentRow())?.configurations.healthy ? true : undefined));
    // the identity service honours the lifetime: expires_at is issued_at + 6 s
    const login = await fleet.identity.call('POST', '/v3/auth/tokens', {
      auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } } },
    });
    assert.equal(login.status, 201);
    const lifetime = Date.parse(login.body.token.expires_at) - Date.parse(login.body.token.issued_at);
    assert.ok(Math.abs(lifetime - LIFETIME_S * 1000) <= 1, `a token lives ${lifetime} ms`);

    // several lifetimes with no admin call: every login the identity service sees is the agent's
    const logins = () => requests(fleet.identity.proc!.out()).filter((r) => r.method === 'POST' && r.url === '/v3/auth/tokens' && r.status === 201).length;
    const before = logins();
    const quiet = 3 * LIFETIME_S * 1000;
    await sleep(quiet);
    const renewals = logins() - before;
    t.diagnostic(`the agent logged in ${renewals} times in ${quiet / 1000} s of ${LIFETIME_S} s tokens`);
    assert.ok(renewals >= 3, `the agent renewed its token (${renewals} logins in ${quiet / 1000} s)`);

    // the agent frozen (SIGSTOP) for longer than a lifetime: the token it holds is expired when it wakes
    agent.proc!.child.kill('SIGSTOP');
    await sleep(1.5 * LIFETIME_S * 1000);
    const frozen = logins();
    agent.proc!.child.kill('SIGCONT');
    await until('a login after the thaw', async () => (logins() > frozen ? true : undefined), 10_000);

    // a change through the API, long after the agent's first token expired
    const auth = await admin();
    const { network } = await created(s, '/v2.0/networks', { network: { name: 'after-expiry', 'provider:network_type': 'local' } }, auth);
    const { port } = await created(s, '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': h1.name } }, auth);
    assert.equal(port['binding:vif_type'], 'bridge', 'the agent heartbeats (alive) with fresh tokens: the port binds');
    await until(`${bridgeName(network.id)} on ${h1.name}`, async () => ((await linksOf(h1.netns)).some((l) => l.name === bridgeName(network.id)) ? true : undefined), 15_000);
    const vm = await fleet.plug(h1, port, network.mtu);
    assert.ok(vm);
    await until('the port ACTIVE (the agent reported its device)', async () => ((await s.call('GET', `/v2.0/ports/${port.id}`, undefined, await admin())).body.port.status === 'ACTIVE' ? true : undefined), 15_000);

    const row = (await agentRow())!;
    assert.equal(row.alive, true);
    assert.equal(row.configurations.healthy, true, JSON.stringify(row.configurations));
    assert.equal(row.configurations.sync_error, null);
    assert.ok(agent.proc && agent.proc.child.exitCode === null, 'the agent still runs');

    // no request of the agent's was refused: it renews before expiry rather than after a 401
    const refused = requests(fleet.servers[0]!.proc!.out()).filter((r) => r.url.startsWith('/agent-api/') && r.status === 401);
    assert.deepEqual(refused, [], 'no agent request refused for an expired token');

    const out = agent.proc!.out();
    const password = readFileSync(join(fleet.dataDir, 'agent-password'), 'utf8').trim();
    assert.ok(password.length >= 16 && !out.includes(password), "the agent's log does not hold its password");
    assert.doesNotMatch(out, JWS, "the agent's log holds no token");
    assert.match(out, /L2 agent started/, 'the log read is the agent\'s');
    for (const p of [fleet.identity, ...fleet.servers]) {
      assert.ok(!p.proc!.out().includes(password), `${p.name}'s log does not hold the agent's password`);
      assert.doesNotMatch(p.proc!.out(), JWS, `${p.name}'s log holds no token`);
    }
  } finally {
    await fleet.cleanup();
  }
});
