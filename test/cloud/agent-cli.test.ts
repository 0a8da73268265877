// `cloudlet agent l2 --host NAME --config FILE` as an operator runs it on another
// host: credentials and server from the file (password in a file of its own), a
// heartbeat with start_flag, the host's state fetched; SIGTERM stops it cleanly.
// The server is a stand-in speaking the protocol (test/support/fake-agent-server.ts),
// holding nothing for this host: the agent has nothing to wire.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool } from '../support/backends.js';
import { requireBuiltCli, serve } from '../support/cli.js';
import { FakeAgentServer } from '../support/fake-agent-server.js';
import { until } from '../support/fake-reconciler.js';

test('cloudlet agent l2 with a config file: reports, fetches its state, stops on SIGTERM', async (t) => {
  requireBuiltCli();
  requireTool('ip', 'iproute2');
  assert.equal(process.getuid?.(), 0, 'an agent runs as root only: run this test as root (CI does)');
  const server = new FakeAgentServer();
  await server.start();
  t.after(() => server.stop());
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-agent-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pw'), `${server.password}\n`, { mode: 0o600 });
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, [
    'agent:',
    `  server: ${server.url}`,
    `  auth_url: ${server.url}/v3`,
    '  username: cloudlet-agent',
    `  password_file: ${join(dir, 'pw')}`,
    '  report_interval: 1',
    `  state_dir: ${join(dir, 'state')}`,
    '',
  ].join('\n'));
  const host = `agent-cli-${process.pid}`;
  const agent = await serve(['agent', 'l2', '--host', host, '--config', file, '--log-format', 'json'], { PATH: process.env.PATH, HOME: dir }, { ready: /L2 agent started/ });
  t.after(() => agent.stop());
  await until('a report and a state fetch', () => server.seen.reports.length >= 1 && server.seen.states.includes('full'), 10_000);
  const first = server.seen.reports[0];
  assert.equal(first.host, host);
  assert.equal(first.agent_type, 'Linux bridge agent');
  assert.equal(first.start_flag, true);
  assert.ok(!agent.out().includes(server.password), 'the password is never logged');
  assert.equal(await agent.stop(), 0);
  assert.match(agent.out(), /agent stopped/);
});
