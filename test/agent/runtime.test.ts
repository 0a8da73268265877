// The agent runtime against a stand-in server speaking the protocol over HTTP:
// snapshot then change log, batching, resume after the server was away, 410,
// garbage and 5xx answers, token renewal, a wrong password. The reconciler is a
// recording fake: what it is told is what the runtime decided.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { AgentClient } from '../../src/agent/client.js';
import { AgentRuntime } from '../../src/agent/run.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
import { FakeAgentServer } from '../support/fake-agent-server.js';
import { FakeReconciler, until } from '../support/fake-reconciler.js';

const HOST = 'h1';

const silent = pino({ level: 'silent' });

async function setup(t: { after(fn: () => unknown): void }, opts: { password?: string; timeoutMs?: number; resyncMs?: number; servers?: (server: FakeAgentServer) => Promise<string> } = {}) {
  const server = new FakeAgentServer();
  await server.start();
  t.after(() => server.stop());
  const session = new KeystoneSession({ authUrl: `${server.url}/v3`, username: 'cloudlet-agent', password: opts.password ?? 'agent-pw', projectName: 'service' });
  const reconciler = new FakeReconciler(HOST);
  const runtime = new AgentRuntime(new AgentClient(session, opts.servers ? await opts.servers(server) : server.url, opts.timeoutMs), reconciler, { host: HOST, reportInterval: 0.2, pollSeconds: 1, batchMs: 30, backoff: { firstMs: 50, maxMs: 200 }, resyncMs: opts.resyncMs }, silent);
  t.after(() => runtime.stop());
  return { server, reconciler, runtime };
}

/** a server with network n1 and port p1 bound here, and the agent in step with it */
async function started(t: { after(fn: () => unknown): void }) {
  const s = await setup(t);
  s.server.addNetwork('n1');
  s.server.addPort('n1', 'p1', HOST);
  s.runtime.start();
  await until('the first reconcile', () => s.reconciler.calls.length === 1);
  return s;
}

test('agent runtime: a snapshot at start, then the changes that concern its host, resumed after the server was away', async (t) => {
  const { server, reconciler, runtime } = await setup(t);
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  server.addNetwork('n-other');
  server.addPort('n-other', 'q1', 'h2');
  runtime.start();

  await t.test('report with start_flag, full reconcile, device p1 reported up', async () => {
    await until('the first reconcile', () => reconciler.calls.length === 1);
    assert.deepEqual(reconciler.calls[0], { partial: false, networks: ['n1'], revision: server.revision });
    await until('the device report', () => server.seen.devices.length === 1);
    assert.deepEqual(server.seen.devices[0], { host: HOST, up: ['p1'], down: [] });
    await until('a report', () => server.seen.reports.length >= 1);
    assert.equal(server.seen.reports[0].start_flag, true);
    assert.equal(server.seen.reports[0].agent_type, 'Linux bridge agent');
    assert.equal((server.seen.reports[0].configurations as { tunneling_ip: string }).tunneling_ip, '10.0.0.1');
    await until('a second report', () => server.seen.reports.length >= 2);
    assert.equal(server.seen.reports[1].start_flag, undefined, 'start_flag on the first report only');
    assert.equal((server.seen.reports[1].configurations as { healthy: boolean }).healthy, true);
  });

  await t.test("another host's port on another network: nothing fetched; on its network: a narrowed fetch", async () => {
    const fetches = server.seen.states.length;
    server.addPort('n-other', 'q2', 'h2');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.seen.states.length, fetches);
    server.addPort('n1', 'q3', 'h2');
    await until('a partial reconcile', () => reconciler.calls.length === 2);
    assert.deepEqual(reconciler.calls[1], { partial: true, networkIds: ['n1'], networks: ['n1'], revision: server.revision });
  });

  await t.test('a port bound here on a new network: fetched narrowed, reconciled, reported up', async () => {
    server.addNetwork('n2');
    server.addPort('n2', 'p2', HOST);
    await until('the new network', () => reconciler.calls.some((c) => c.networkIds?.includes('n2')));
    await until('p2 up', () => server.seen.devices.some((d) => d.up.includes('p2')));
  });

  await t.test('the server goes away; changes made meanwhile are applied when it returns, from the last revision (no new snapshot)', async () => {
    const fulls = server.seen.states.filter((s) => s === 'full').length;
    const port = server.port;
    await server.stop();
    await until('unhealthy', () => !runtime.status.healthy);
    assert.match(runtime.status.error ?? '', /^sync: cannot reach http:\/\/127\.0\.0\.1:\d+: (ECONNREFUSED|ECONNRESET|the connection was closed)$/);
    server.addPort('n1', 'p3', HOST);
    await server.start(port);
    await until('p3 applied', () => reconciler.wired.has('p3'));
    await until('healthy', () => runtime.status.healthy);
    assert.equal(server.seen.states.filter((s) => s === 'full').length, fulls, 'resumed from its revision, no full snapshot');
    await until('p3 up', () => server.seen.devices.some((d) => d.up.includes('p3')));
  });

  await t.test('stop: the reconciler is closed, nothing torn down', async () => {
    await runtime.stop();
    assert.equal(reconciler.closed, true);
  });
});

test('agent runtime: a burst of 100 port creates is a handful of state fetches', async (t) => {
  const { server, reconciler, runtime } = await setup(t);
  server.addNetwork('n1');
  server.addPort('n1', 'p0', HOST);
  runtime.start();
  await until('the first reconcile', () => reconciler.calls.length === 1);
  const before = server.seen.states.length;
  for (let i = 1; i <= 100; i++) {
    server.addPort('n1', `p${i}`, HOST);
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await until('all 100 wired', () => reconciler.wired.size === 101);
  const fetches = server.seen.states.length - before;
  assert.ok(fetches <= 5, `${fetches} state fetches for 100 port creates`);
  await until('all reported up', () => new Set(server.seen.devices.flatMap((d) => d.up)).size === 101);
});

test('agent runtime: a lone change after a quiet spell is applied at once, not after the burst window', async (t) => {
  const server = new FakeAgentServer();
  await server.start();
  t.after(() => server.stop());
  const session = new KeystoneSession({ authUrl: `${server.url}/v3`, username: 'cloudlet-agent', password: 'agent-pw', projectName: 'service' });
  const reconciler = new FakeReconciler(HOST);
  // a burst window far longer than the test waits: only applying at once can pass
  const runtime = new AgentRuntime(new AgentClient(session, server.url), reconciler, { host: HOST, reportInterval: 5, pollSeconds: 30, batchMs: 3000 }, silent);
  t.after(() => runtime.stop());
  server.addNetwork('n1');
  runtime.start();
  await until('the first reconcile', () => reconciler.calls.length === 1);
  const t0 = performance.now();
  server.addPort('n1', 'p1', HOST);
  await until('p1 wired', () => reconciler.wired.has('p1'));
  assert.ok(performance.now() - t0 < 1500, `applied ${Math.round(performance.now() - t0)} ms after the change`);
});

test('agent runtime: 410 from the change log takes a fresh snapshot', async (t) => {
  const { server, reconciler, runtime } = await started(t);
  // while the agent waits, the log moves on and its entries are compacted away
  await server.stop();
  server.addPort('n1', 'p2', HOST);
  server.compactedTo = server.revision;
  await server.start(server.port);
  await until('a second full reconcile', () => reconciler.calls.filter((c) => !c.partial).length === 2);
  assert.ok(reconciler.wired.has('p2'));
});

test('agent runtime: garbage and 5xx answers: unhealthy, the last state kept, back in step afterwards', async (t) => {
  const { server, reconciler, runtime } = await started(t);
  for (const fault of ['garbage', '500'] as const) {
    server.fault = fault;
    server.addPort('n1', `x-${fault}`, HOST);
    await until(`unhealthy on ${fault}`, () => !runtime.status.healthy);
    assert.match(runtime.status.error ?? '', fault === 'garbage' ? /not JSON|not a /i : /500 boom/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(reconciler.calls.length, fault === 'garbage' ? 1 : 2, 'nothing reconciled from a bad answer');
    server.fault = 'none';
    await until(`x-${fault} applied`, () => reconciler.wired.has(`x-${fault}`));
    await until('healthy', () => runtime.status.healthy);
  }
});

test('agent runtime: a server that takes requests and never answers: unhealthy after the timeout, then back in step', async (t) => {
  const { server, reconciler, runtime } = await setup(t, { timeoutMs: 300 });
  server.fault = 'hang';
  runtime.start();
  await until('the timeout', () => /did not answer in time/.test(runtime.status.error ?? ''));
  server.fault = 'none';
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  await until('the first reconcile', () => reconciler.calls.length === 1);
});

test('agent runtime: healthy again when the server returns, even with nothing to apply', async (t) => {
  const { server, reconciler, runtime } = await started(t);
  await until('healthy', () => runtime.status.healthy);
  await server.stop();
  await until('unhealthy', () => !runtime.status.healthy);
  await server.start(server.port);
  await until('healthy again', () => runtime.status.healthy);
  assert.equal(reconciler.calls.length, 1);
  await until('a report saying so', () => (server.seen.reports.at(-1)?.configurations as { healthy?: boolean }).healthy === true);
});

test('agent runtime: a full resync now and then, whatever the log says', async (t) => {
  const { server, reconciler, runtime } = await setup(t, { resyncMs: 300 });
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  runtime.start();
  // the long poll (1 s here) ends, and the resync is due
  await until('a second full reconcile', () => reconciler.calls.filter((c) => !c.partial).length >= 2, 5000);
});

test('agent runtime: two servers of one state: the one it talks to dies, it goes on with the other from its revision', async (t) => {
  const { server, reconciler, runtime } = await setup(t, {
    servers: async (first) => {
      const sibling = await first.sibling();
      t.after(() => sibling.stop());
      return `${first.url},${sibling.url}`;
    },
  });
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  runtime.start();
  await until('the first reconcile', () => reconciler.calls.length === 1);
  const fulls = server.seen.states.filter((s) => s === 'full').length;
  await server.stop();
  server.addPort('n1', 'p2', HOST);
  await until('p2 applied through the other server', () => reconciler.wired.has('p2'));
  assert.equal(server.seen.states.filter((s) => s === 'full').length, fulls, 'resumed from its revision, no new snapshot');
  await until('p2 up', () => server.seen.devices.some((d) => d.up.includes('p2')));
});

test('agent runtime: a failed reconcile is retried from a full snapshot', async (t) => {
  const { server, reconciler, runtime } = await setup(t);
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  reconciler.failNext = true;
  runtime.start();
  await until('a reconcile after the failure', () => reconciler.calls.length === 1);
  assert.equal(reconciler.calls[0].partial, false);
});

test('agent runtime: revoked token renewed on 401; a wrong password is a clear error retried slowly', async (t) => {
  const { server, reconciler, runtime } = await started(t);
  const logins = server.seen.logins;
  server.tokens.clear();
  server.addPort('n1', 'p2', HOST);
  await until('p2 applied', () => reconciler.wired.has('p2'));
  assert.equal(server.seen.logins, logins + 1, 'one new login');

  await t.test('wrong password', async (t2) => {
    const bad = await setup(t2, { password: 'wrong' });
    bad.runtime.start();
    await until('the auth error', () => /refused user cloudlet-agent/.test(bad.runtime.status.error ?? ''));
    await new Promise((r) => setTimeout(r, 1000));
    // the heartbeat and the sync loop each retry with a backoff: a few attempts, not hundreds
    assert.ok(bad.server.seen.failedLogins <= 12, `${bad.server.seen.failedLogins} logins in ~1 s`);
    assert.equal(bad.reconciler.calls.length, 0);
    assert.doesNotMatch(bad.runtime.status.error!, /wrong(?!\s*password)/, 'the password is not in the message');
  });
});

test('agent runtime: the host pokes a network (a tap appeared): reconciled from a narrowed fetch at once, no server change needed', async (t) => {
  const server = new FakeAgentServer();
  await server.start();
  t.after(() => server.stop());
  const session = new KeystoneSession({ authUrl: `${server.url}/v3`, username: 'cloudlet-agent', password: 'agent-pw', projectName: 'service' });
  let poke: ((ids: string[]) => void) | undefined;
  const reconciler = Object.assign(new FakeReconciler(HOST), {
    watch: (signal: AbortSignal, p: (ids: string[]) => void) => {
      poke = p;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  });
  // a long poll of 30 s: only the poke can explain a reconcile within the test's time
  const runtime = new AgentRuntime(new AgentClient(session, server.url), reconciler, { host: HOST, reportInterval: 5, pollSeconds: 30, batchMs: 30 }, silent);
  t.after(() => runtime.stop());
  server.addNetwork('n1');
  server.addPort('n1', 'p1', HOST);
  runtime.start();
  await until('the first reconcile', () => reconciler.calls.length === 1);
  const fetches = server.seen.states.length;
  poke!(['n1']);
  poke!(['n1']); // several link events of one plug: one fetch
  await until('the poked reconcile', () => reconciler.calls.length === 2);
  assert.deepEqual(reconciler.calls[1], { partial: true, networkIds: ['n1'], networks: ['n1'], revision: server.revision });
  assert.deepEqual(server.seen.states.slice(fetches), [['n1']]);
});
