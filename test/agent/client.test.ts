// The agent client's timeouts and its choice among several servers, against real HTTP
// servers: one that takes requests and never answers, one that answers HTML, and the
// stand-in agent server (which also hands out the tokens).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AgentClient } from '../../src/agent/client.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
import { FakeAgentServer } from '../support/fake-agent-server.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function listen(t: { after(fn: () => unknown): void }, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** takes every request and never answers */
const hanging = (t: { after(fn: () => unknown): void }) => listen(t, () => {});

async function session(t: { after(fn: () => unknown): void }) {
  const fake = new FakeAgentServer();
  await fake.start();
  t.after(() => fake.stop());
  return { fake, session: new KeystoneSession({ authUrl: `${fake.url}/v3`, username: 'cloudlet-agent', password: 'agent-pw', projectName: 'service' }) };
}

const report = { host: 'h1', agent_type: 'Linux bridge agent' as const, binary: 'b', topic: 't', configurations: {} };

test('agent client: a long poll to a server that never answers ends at its deadline, garbage collections meanwhile', async (t) => {
  const { session: s } = await session(t);
  const client = new AgentClient(s, await hanging(t), 300);
  // the loop's own stop signal, as the runtime passes it
  const stop = new AbortController();
  const gcs = setInterval(gc, 20);
  t.after(() => clearInterval(gcs));
  const started = Date.now();
  await assert.rejects(
    Promise.race([client.changes(0, 0.2, stop.signal), new Promise((_, reject) => setTimeout(() => reject(new Error('still waiting after 5 s')), 5000))]),
    /did not answer in time/,
  );
  assert.ok(Date.now() - started < 2000);
});

test('agent client: a server answering HTML with 200 is left for the next one', async (t) => {
  const { fake, session: s } = await session(t);
  const html = await listen(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>It works!</html>'));
  const client = new AgentClient(s, `${html},${fake.url}`);
  await assert.rejects(client.report(report), /not JSON/);
  assert.equal(client.server, fake.url);
  assert.equal((await client.report(report)).agent.id.length > 0, true);
});

test('agent client: two requests failing on one server together move to the next once (not back to the first)', async (t) => {
  const { fake, session: s } = await session(t);
  const client = new AgentClient(s, `${await hanging(t)},${fake.url}`, 300);
  await s.token();
  const results = await Promise.allSettled([client.report(report), client.state('h1', 'Linux bridge agent')]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(client.server, fake.url);
});
