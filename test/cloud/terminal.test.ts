// What `cloudlet up` shows a person: on a terminal (a pseudo-terminal made by
// util-linux `script`), a banner with each service's URL, the data directory
// and where the admin's credentials are, pretty log lines, and a line when
// Ctrl-C stops it; on a pipe, or with --log-format json, JSON log lines. Also
// the --help texts, and the start-up warning about secrets others can read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backends } from '../support/backends.js';
import { cloudlet, requireBuiltCli, sandbox, serve } from '../support/cli.js';

const lines = (text: string): string[] => text.split(/\r?\n/).filter((l) => l.trim() !== '');
// eslint-disable-next-line no-control-regex
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');
/** --help with commander's line wrapping undone */
const help = async (args: string[], env: NodeJS.ProcessEnv): Promise<string> => (await cloudlet([...args, '--help'], env)).stdout.replace(/\s+/g, ' ');

test('--help: which port --port sets, a flag for each service port, --log-format on every server command', async () => {
  requireBuiltCli();
  const env = { PATH: process.env.PATH, HOME: '/nonexistent' };
  const up = await help(['up'], env);
  assert.match(up, /--port <n>\s+the network API's port, as --network-port \(default 9696\)/);
  assert.match(up, /--identity-port <n>\s+the identity API's port \(default 35357\)/);
  assert.match(up, /--network-port <n>\s+the network API's port \(default 9696\)/);
  assert.match(up, /--registry-port <n>\s+the registry's port \(default 5000, or REGISTRY_HTTP_ADDR's\)/);
  for (const cmd of [['up'], ['network', 'serve'], ['identity', 'serve'], ['registry', 'serve']]) {
    assert.match(await help(cmd, env), /--log-format <format>\s+text \(readable lines\), json/, cmd.join(' '));
  }
  assert.match(await help(['identity', 'serve'], env), /--port <n>\s+the identity API's port/);
  const boot = await help(['identity', 'bootstrap'], env);
  assert.match(boot, /--password <password>/);
  assert.match(boot, /else a new random one, printed once/);
  const bad = await cloudlet(['up', '--log-format', 'xml'], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--log-format: text, json or auto, not xml/);
});

for (const backend of backends()) {
  test(`cloudlet up on a terminal: banner, readable lines, a line on Ctrl-C; JSON on a pipe (${backend.name})`, async (t) => {
    requireBuiltCli();
    // `script` is Debian's bsdutils, an Essential package: on every Debian machine, not on the test list
    const { home, fresh, ports: port, portFlags: ports, env: base } = await sandbox(t, backend);
    const [identityPort, networkPort, registryPort] = [port.identity, port.network, port.registry];
    const env = { ...base, TERM: 'xterm' };
    const clouds = join(home, '.config', 'openstack', 'clouds.yaml');

    await t.test('first start on a terminal: the banner with the password once, pretty lines, Ctrl-C', async () => {
      const up = await serve(['up', ...ports], env, { tty: true });
      let out = plain(up.out());
      assert.match(out, /cloudlet is up/);
      assert.match(out, new RegExp(`identity +http://127\\.0\\.0\\.1:${identityPort}/v3`));
      assert.match(out, new RegExp(`network +http://127\\.0\\.0\\.1:${networkPort}`));
      assert.match(out, new RegExp(`registry +http://127\\.0\\.0\\.1:${registryPort}`));
      assert.match(out, new RegExp(`data +${fresh.dataDir}`));
      assert.match(out, backend.name === 'sqlite' ? /database +SQLite .*cloudlet\.sqlite/ : /database +PostgreSQL 127\.0\.0\.1:\d+\/cloudlet_test_/);
      assert.doesNotMatch(out, /cloudlet:cloudlet@/, 'the database URL and its password are not shown');
      assert.match(out, /admin +created user admin \(domain Default, project admin\) with password: \S+/);
      assert.ok(out.includes(`wrote the cloud "cloudlet" to ${clouds}`));
      assert.match(out, /INFO.*\[identity\] identity API listening url=http/);
      assert.ok(!lines(out).some((l) => l.startsWith('{')), `no JSON line on a terminal:\n${out}`);
      await fetch(`http://127.0.0.1:${networkPort}/`);
      await up.waitFor(/\[network\] GET \/ 200 \d+ ms/);
      assert.equal(await up.stop(), 0);
      out = plain(up.out());
      assert.match(out, /cloudlet stopping \(SIGINT\)\r?\ncloudlet stopped/);
    });

    await t.test('a later start: where the credentials are, no password; --log-format json on a terminal gives JSON', async () => {
      const up = await serve(['up', ...ports, '--log-format', 'json'], env, { tty: true });
      const out = plain(up.out());
      assert.ok(out.includes(`credentials in ${clouds} (cloud "cloudlet"); lost them? cloudlet identity bootstrap sets a new password`), out);
      assert.doesNotMatch(out, /password: /);
      const json = lines(out).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      assert.ok(json.some((e) => e.msg === 'identity API listening' && e.service === 'identity'), out);
      assert.equal(await up.stop(), 0);
    });

    await t.test('on a pipe: JSON lines; a database others can read is named in a warning; CLOUDLET_BOOTSTRAP_PASSWORD is not silently ignored', async () => {
      if (backend.name === 'sqlite') chmodSync(join(fresh.dataDir, 'cloudlet.sqlite'), 0o644);
      chmodSync(fresh.dataDir, 0o755);
      const secret = 'not-applied-Zq9';
      rmSync(clouds);
      const up = await serve(['up', ...ports], { ...env, CLOUDLET_BOOTSTRAP_PASSWORD: secret });
      assert.equal(await up.stop(), 0);
      const out = up.out();
      const json = lines(out).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      assert.ok(json.length >= 4, out);
      const warned = json.filter((e) => e.level === 40 && typeof e.file === 'string').map((e) => [e.file, e.mode]);
      const db = join(fresh.dataDir, 'cloudlet.sqlite');
      // SQLite gives its -wal and -shm files the database's mode: they are named too
      const expected = [[fresh.dataDir, '0755'], ...(backend.name === 'sqlite' ? [[db, '0644'], [`${db}-wal`, '0644'], [`${db}-shm`, '0644']] : [])];
      assert.deepEqual(warned, expected);
      assert.ok(json.some((e) => e.level === 40 && /CLOUDLET_BOOTSTRAP_PASSWORD is set, but the admin user exists.*cloudlet identity bootstrap/.test(e.msg)), out);
      assert.ok(out.includes(`no cloud "cloudlet" in ${clouds}: cloudlet identity bootstrap sets a new admin password`), out);
      assert.ok(!out.includes(secret), 'the password is never printed or logged');
      assert.match(out, /cloudlet stopped/);
    });
  });
}
