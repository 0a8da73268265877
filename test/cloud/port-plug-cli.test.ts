// `cloudlet port plug/unplug`, `cloudlet status` and `cloudlet agent` as a person
// runs them beside `cloudlet up`, credentials from the clouds.yaml it wrote: every
// refusal is one line, and comes before any change (the binding is as it was, no
// link is left behind).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { tapName } from '../../src/agent/protocol.js';
import { KeystoneSession } from '../../src/common/keystone-session.js';
import { backends, requireTool } from '../support/backends.js';
import { cloudlet, requireBuiltCli, sandbox, serve } from '../support/cli.js';

const backend = backends()[0];

test('cloudlet port plug/unplug, status and agent: clear one-line refusals, nothing half-made', async (t) => {
  requireBuiltCli();
  requireTool('ip', 'iproute2');
  assert.equal(process.getuid?.(), 0, 'this test makes a network namespace: run it as root (CI does)');
  const { home, env: base, portFlags } = await sandbox(t, backend);
  const env = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4' };
  const up = await serve(['up', ...portFlags], env);
  t.after(() => up.stop());
  assert.match(up.out(), /agents +not started \(--no-agents\)/);
  const auth = parse(readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8')).clouds.cloudlet.auth;
  const session = new KeystoneSession({ authUrl: auth.auth_url, username: 'admin', password: auth.password, projectName: 'admin' });
  const api = async (method: string, path: string, body?: unknown) => session.json<any>(method, `${await session.endpoint('network')}${path}`, { body });
  const net = (await api('POST', '/v2.0/networks', { network: { name: 'plugnet' } })).network;
  const port = (await api('POST', '/v2.0/ports', { port: { network_id: net.id, name: 'p1' } })).port;
  const netns = `cl-plug-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', netns]);
  t.after(() => execFileSync('ip', ['netns', 'del', netns]));
  const admin = { ...env, OS_CLOUD: 'cloudlet' };
  const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  const binding = async () => (await api('GET', `/v2.0/ports/${port.id}`)).port['binding:host_id'];

  await t.test('an unknown port', async () => {
    oneLine(await cloudlet(['port', 'plug', 'no-such-port', '--netns', netns], admin), /^cloudlet: no port no-such-port\n$/);
  });

  await t.test('a namespace that does not exist: refused before the port is bound', async () => {
    oneLine(await cloudlet(['port', 'plug', port.id, '--netns', `${netns}-x`], admin), /^cloudlet: network namespace cl-plug-\w+-x does not exist \(ip netns add/);
    assert.equal(await binding(), '');
  });

  await t.test('a port bound to another host', async () => {
    await api('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'elsewhere' } });
    oneLine(await cloudlet(['port', 'plug', 'p1', '--netns', netns, '--host', 'here'], admin), new RegExp(`^cloudlet: port ${port.id} is bound to host elsewhere, not here: unplug it there first`));
    assert.equal(await binding(), 'elsewhere');
    await api('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': '' } });
  });

  await t.test('a plug that fails after binding (the interface name is taken inside): the binding goes back, no tap left', async () => {
    const r = await cloudlet(['port', 'plug', port.id, '--netns', netns, '--host', 'here', '--ifname', 'lo'], admin);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(await binding(), '');
    assert.throws(() => execFileSync('ip', ['link', 'show', tapName(port.id)], { stdio: 'pipe' }), 'no tap device left behind');
  });

  await t.test('without credentials: one line saying what is missing', async () => {
    oneLine(await cloudlet(['port', 'unplug', port.id], { PATH: env.PATH, HOME: home }), /^cloudlet: no credentials: .*give --os-cloud NAME/);
  });

  await t.test('cloudlet status: each service answering', async () => {
    const r = await cloudlet(['status'], env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const s of ['identity', 'network', 'registry']) assert.match(r.stdout, new RegExp(`${s} +http://127\\.0\\.0\\.1:\\d+(/v3)?  answering`));
  });

  await t.test('cloudlet agent l2 with a misspelt configuration key: one line naming it', async () => {
    const file = join(home, 'agent.yaml');
    writeFileSync(file, 'agent:\n  report_intervall: 30\n');
    oneLine(await cloudlet(['agent', 'l2', '--host', 'h', '--config', file], admin), /^cloudlet: config .*agent\.yaml: agent\.report_intervall: unknown key \(did you mean report_interval\?\)\n?$/);
  });
});
