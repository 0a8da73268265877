// GET /agent-api/v1/changes: the change log as a long poll. Two server instances on one
// database (each with its own pool and, on PostgreSQL, its own LISTEN connection) wake
// each other's followers; a follower resumes on another server; compaction answers 410.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { AGENT_API, type Change, type ChangeBatch } from '../../src/agent/protocol.js';
import { CHANGE_BATCH } from '../../src/network/agents/api/changes.js';
import { keystoneAuth } from '../../src/network/api/keystone-auth.js';
import { backends, type Backend } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { startNetwork, startSibling, type RunningNetwork } from '../support/network-server.js';

type Call = RunningNetwork['call'];

async function changes(call: Call, since: number, timeout = 0): Promise<ChangeBatch> {
  const r = await call('GET', `${AGENT_API}/changes?since=${since}&timeout=${timeout}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as ChangeBatch;
}

/** Follows the log through `call` until stopped; every entry once, in order, with the time it arrived. */
function follow(call: Call, from = 0) {
  const got: Array<Change & { at: number }> = [];
  let stop = false;
  let since = from;
  const done = (async () => {
    while (!stop) {
      const b = await changes(call, since, 5);
      for (const c of b.changes) {
        assert.equal(c.revision, since + 1, `follower got ${c.revision} after ${since}`);
        since = c.revision;
        got.push({ ...c, at: Date.now() });
      }
      assert.equal(b.revision, since);
    }
  })();
  return {
    got,
    get since() {
      return since;
    },
    /** resolves once an entry with this id (and op) has arrived; its arrival time */
    async seen(id: string, op: Change['op'] = 'update', within = 5000): Promise<number> {
      const end = Date.now() + within;
      for (;;) {
        const c = got.find((x) => x.id === id && x.op === op);
        if (c) return c.at;
        if (Date.now() > end) throw new Error(`follower never saw ${op} ${id}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop(poke: () => Promise<unknown>) {
      stop = true;
      await poke();
      await done;
    },
  };
}

async function ok(call: Call, method: string, path: string, body?: unknown) {
  const r = await call(method, path, body);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Ends the change listeners' connections to the database, as a server restart or failover would. */
async function dropListeners(databaseUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query("SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'cloudlet-change-listener'");
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

for (const backend of backends()) {
  test(`changes: long poll, bad input and 410 on ${backend.name}`, async () => {
    const net = await startNetwork(backend, (cfg) => {
      cfg.network.agents.change_log_keep = 3;
    });
    try {
      assert.deepEqual(await changes(net.call, 0), { revision: 0, changes: [] });
      for (const since of ['', '-1', 'x', '1.5', '99999999999999999']) {
        const r = await net.call('GET', `${AGENT_API}/changes?since=${since}`);
        assert.equal(r.status, 400, `since=${since}`);
        assert.equal(r.body.NeutronError.type, 'HTTPBadRequest');
      }
      assert.equal((await net.call('GET', `${AGENT_API}/changes`)).status, 400);
      assert.equal((await net.call('GET', `${AGENT_API}/changes?since=0&timeout=soon`)).status, 400);

      // nothing newer: waits out the timeout, then answers the revision asked from
      let t = Date.now();
      assert.deepEqual(await changes(net.call, 0, 0.3), { revision: 0, changes: [] });
      assert.ok(Date.now() - t >= 290, 'waited');
      // a change during the wait answers at once
      t = Date.now();
      const waiting = changes(net.call, 0, 30);
      await new Promise((r) => setTimeout(r, 100));
      const n = (await ok(net.call, 'POST', '/v2.0/networks', { network: { name: 'a' } })).network;
      const b = await waiting;
      assert.ok(Date.now() - t < 1000, `woken after ${Date.now() - t} ms`);
      assert.deepEqual(b.changes.map((c) => [c.resource, c.op, c.id]), [['network', 'create', n.id]]);
      assert.equal(b.revision, 1);

      for (let i = 0; i < 5; i++) await ok(net.call, 'PUT', `/v2.0/networks/${n.id}`, { network: { name: `a${i}` } });
      assert.equal((await changes(net.call, 0)).changes.length, 6);
      // a since past the log's end is another history
      const ahead = await net.call('GET', `${AGENT_API}/changes?since=7`);
      assert.equal(ahead.status, 410);
      assert.equal(ahead.body.error, 'behind');
      // compaction keeps the last 3 (4..6): 3 and later are still served, older is gone
      assert.equal(await net.server.plugin.ctx.changeLog.compact(net.database.db, net.cfg.network.agents.change_log_keep), 3);
      assert.deepEqual((await changes(net.call, 3)).changes.map((c) => c.revision), [4, 5, 6]);
      const gone = await net.call('GET', `${AGENT_API}/changes?since=2`);
      assert.equal(gone.status, 410);
      assert.deepEqual({ error: gone.body.error, oldest: gone.body.oldest, type: gone.body.NeutronError.type }, { error: 'behind', oldest: 4, type: 'ChangeLogGone' });
      assert.deepEqual(await changes(net.call, 6), { revision: 6, changes: [] });
      // every server compacts at start (and each minute after): a second one on the database trims it to the last 3
      for (let i = 0; i < 3; i++) await ok(net.call, 'PUT', `/v2.0/networks/${n.id}`, { network: { name: `b${i}` } });
      const sibling = await startSibling(net);
      try {
        const end = Date.now() + 3000;
        while ((await net.server.plugin.ctx.changeLog.oldestRevision(net.database.db)) !== 7 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        assert.equal(await net.server.plugin.ctx.changeLog.oldestRevision(net.database.db), 7);
        assert.equal((await sibling.call('GET', `${AGENT_API}/changes?since=5`)).status, 410);
      } finally {
        await sibling.close();
      }
      // a follower far behind gets bounded batches, each saying where to go on from
      const { ctx } = net.server.plugin;
      await ctx.tx(async (tx) => {
        for (let i = 0; i < CHANGE_BATCH + 100; i++) await ctx.changeLog.record(tx, { resource: 'port', op: 'update', id: `p${i}`, network_ids: [n.id], hosts: ['h'] });
      });
      const first = await changes(net.call, 9);
      assert.equal(first.changes.length, CHANGE_BATCH);
      assert.equal(first.revision, 9 + CHANGE_BATCH);
      const rest = await changes(net.call, first.revision);
      assert.deepEqual([rest.changes.length, rest.revision, rest.changes[0].hosts], [100, 609, ['h']]);
    } finally {
      await net.close();
    }
  });

  test(`changes: two servers on one database wake each other's followers on ${backend.name}`, async () => {
    const a = await startNetwork(backend, (cfg) => {
      cfg.network.quotas.quota_network = -1;
    });
    const b = await startSibling(a);
    try {
      const follower = follow(a.call);
      // one write through B while A's follower waits: heard promptly
      await new Promise((r) => setTimeout(r, 200));
      const t = Date.now();
      const one = (await ok(b.call, 'POST', '/v2.0/networks', { network: { name: 'one' } })).network;
      const lag = (await follower.seen(one.id, 'create')) - t;
      assert.ok(lag < 1000, `seen through A ${lag} ms after the write through B`);

      // a burst of 200 concurrent writes through both
      const nets = [];
      for (let i = 0; i < 8; i++) nets.push((await ok(i % 2 ? a.call : b.call, 'POST', '/v2.0/networks', { network: { name: `n${i}` } })).network.id as string);
      const writes = Array.from({ length: 200 }, (_, i) => ok(i % 2 ? a.call : b.call, 'PUT', `/v2.0/networks/${nets[i % 8]}`, { network: { description: `d${i}` } }));
      await Promise.all(writes);
      const acked = Date.now();
      const last = await b.database.db.selectFrom('change_log').select((eb) => eb.fn.max('revision').as('m')).executeTakeFirstOrThrow();
      const end = Date.now() + 1000;
      while (follower.since < Number(last.m) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.equal(follower.since, Number(last.m), `the follower is at ${follower.since} ${Date.now() - acked} ms after the burst was acknowledged`);
      assert.equal(follower.got.filter((c) => c.op === 'update').length, 200);
      assert.equal(follower.got.length, 209);
      await follower.stop(() => ok(b.call, 'PUT', `/v2.0/networks/${nets[0]}`, { network: { name: 'poke' } }));

      // resuming on another server: A goes away, B answers from the follower's revision
      const since = follower.since;
      // (its database stays: a.close() would drop it)
      await a.server.app.close();
      const moved = (await ok(b.call, 'POST', '/v2.0/networks', { network: { name: 'later' } })).network;
      const resumed = await changes(b.call, since);
      assert.equal(resumed.changes[0].revision, since + 1);
      assert.ok(resumed.changes.some((c) => c.id === moved.id && c.op === 'create'));
      assert.equal((await changes(b.call, resumed.revision)).changes.length, 0);
    } finally {
      await b.close();
      await a.close();
    }
  });

  test(`changes: agent callers need a service or admin role; no token is 401 on ${backend.name}`, async () => {
    const id = await startIdentity(backend);
    const net = await startNetwork(backend, () => {}, keystoneAuth(id.server.tokens, id.url));
    try {
      const admin = await id.login();
      const asAdmin = { 'x-auth-token': admin };
      const r = await net.call('GET', `${AGENT_API}/changes?since=0&timeout=0`, undefined, asAdmin);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await net.call('GET', `${AGENT_API}/changes?since=0&timeout=0`)).status, 401);
      // a member of the admin project, without admin or service
      const project = (await id.call('GET', '/v3/projects?name=admin', undefined, asAdmin)).body.projects[0].id;
      const member = (await id.call('GET', '/v3/roles?name=member', undefined, asAdmin)).body.roles[0].id;
      const user = (await id.call('POST', '/v3/users', { user: { name: 'plain', password: 'secret-pw-1', domain_id: 'default' } }, asAdmin)).body.user.id;
      assert.equal((await id.call('PUT', `/v3/projects/${project}/users/${user}/roles/${member}`, undefined, asAdmin)).status, 204);
      const plain = await id.login({ user: 'plain', password: 'secret-pw-1' });
      const refused = await net.call('GET', `${AGENT_API}/changes?since=0&timeout=0`, undefined, { 'x-auth-token': plain });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.NeutronError.type, 'PolicyNotAuthorized');
      // the service role (bootstrap makes it, for the agents' user) is enough
      const service = (await id.call('GET', '/v3/roles?name=service', undefined, asAdmin)).body.roles[0].id;
      assert.equal((await id.call('PUT', `/v3/projects/${project}/users/${user}/roles/${service}`, undefined, asAdmin)).status, 204);
      const agent = await id.login({ user: 'plain', password: 'secret-pw-1' });
      assert.equal((await net.call('GET', `${AGENT_API}/changes?since=0&timeout=0`, undefined, { 'x-auth-token': agent })).status, 200);
    } finally {
      await net.close();
      await id.close();
    }
  });
}

const pgBackend = backends().find((x) => x.name === 'postgres') as Backend | undefined;
if (pgBackend) {
  test('changes: a dropped listener reconnects and re-reads: nothing announced meanwhile is missed on postgres', async () => {
    const a = await startNetwork(pgBackend);
    const b = await startSibling(a);
    try {
      const follower = follow(a.call);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok((await dropListeners(a.cfg.database_url)) >= 2, 'both servers listen');
      // written while nobody listens: its NOTIFY reaches no one
      const t = Date.now();
      const n = (await ok(b.call, 'POST', '/v2.0/networks', { network: { name: 'unheard' } })).network;
      const lag = (await follower.seen(n.id, 'create')) - t;
      // the safety poll is 10 s: well under that means the reconnect's re-read found it
      assert.ok(lag < 3000, `seen ${lag} ms later`);
      // and the new connection hears the next one
      await new Promise((r) => setTimeout(r, 300));
      const t2 = Date.now();
      const m = (await ok(b.call, 'POST', '/v2.0/networks', { network: { name: 'heard' } })).network;
      assert.ok((await follower.seen(m.id, 'create')) - t2 < 1000);
      await follower.stop(() => ok(b.call, 'PUT', `/v2.0/networks/${m.id}`, { network: { name: 'poke' } }));
    } finally {
      await b.close();
      await a.close();
    }
  });

}
