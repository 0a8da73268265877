// The way back from a lost admin password: `cloudlet identity bootstrap`, run
// beside a running `cloudlet up`, sets the admin password (given, or a new one
// printed once), revokes the admin's earlier tokens as Keystone does on a
// password change, and rewrites the clouds.yaml entry, so that the stock
// openstack client works again with `--os-cloud cloudlet`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { backends, requireTool } from '../support/backends.js';
import { cloudlet, exec, requireBuiltCli, sandbox, serve } from '../support/cli.js';

for (const backend of backends()) {
  test(`cloudlet identity bootstrap resets the admin password while cloudlet up runs (${backend.name})`, async (t) => {
    requireBuiltCli();
    requireTool('openstack', 'python3-openstackclient');
    const { home, ports, portFlags, env: base } = await sandbox(t, backend);
    const [identityPort, networkPort] = [ports.identity, ports.network];
    // a low bcrypt cost, as in the other identity tests
    const env: NodeJS.ProcessEnv = { ...base, CLOUDLET_LOG_LEVEL: 'warn', CLOUDLET_IDENTITY__PASSWORD_HASH_ROUNDS: '4' };
    const up = await serve(['up', ...portFlags], env);
    t.after(() => up.stop());
    const clouds = join(home, '.config', 'openstack', 'clouds.yaml');
    const cloudsPassword = () => parse(readFileSync(clouds, 'utf8')).clouds.cloudlet.auth.password as string;
    const admin = { PATH: env.PATH, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', OS_CLOUD: 'cloudlet' };
    const tokenIssue = async (): Promise<string> => {
      const r = await exec('openstack', ['token', 'issue', '-f', 'value', '-c', 'id'], admin);
      assert.equal(r.code, 0, `openstack --os-cloud cloudlet token issue: ${r.stderr}`);
      return r.stdout.trim();
    };
    const networks = (token: string) => fetch(`http://127.0.0.1:${networkPort}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
    /** the network API reads revocations from the database every few seconds */
    const revoked = async (token: string) => {
      for (let i = 0; i < 40 && (await networks(token)).status === 200; i++) await new Promise((r) => setTimeout(r, 250));
      assert.equal((await networks(token)).status, 401, 'a token issued before the reset is revoked');
    };

    const first = cloudsPassword();
    const before = await tokenIssue();

    await t.test('--password: the password set, earlier tokens revoked, clouds.yaml rewritten, the catalog left alone', async () => {
      // the file moved away, as in the issue: the command writes it anew
      renameSync(clouds, `${clouds}.lost`);
      const r = await cloudlet(['identity', 'bootstrap', '--password', 'Reset-pw-1'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /set the password of user admin \(domain Default\); its earlier tokens are revoked; password given by --password/);
      assert.doesNotMatch(r.stdout + r.stderr, /Reset-pw-1/, 'a chosen password is not echoed');
      assert.equal(cloudsPassword(), 'Reset-pw-1');
      const auth = parse(readFileSync(clouds, 'utf8')).clouds.cloudlet.auth;
      assert.equal(auth.auth_url, `http://127.0.0.1:${identityPort}/v3`, "the identity URL the running cloud's catalog names");
      const after = await tokenIssue();
      await revoked(before);
      assert.equal((await networks(after)).status, 200);
      const catalog = (await (await fetch(`http://127.0.0.1:${identityPort}/v3/auth/catalog`, { headers: { 'X-Auth-Token': after } })).json()) as {
        catalog: Array<{ type: string; endpoints: Array<{ url: string }> }>;
      };
      const network = catalog.catalog.find((s) => s.type === 'network')!;
      assert.ok(network.endpoints.every((e) => e.url === `http://127.0.0.1:${networkPort}`), 'endpoints keep the ports cloudlet up serves on');
      const old = await exec('openstack', [`--os-password=${first}`, 'token', 'issue'], admin);
      assert.notEqual(old.code, 0, 'the old password no longer works');
    });

    await t.test('again with the same password: nothing else changes (idempotent), CLOUDLET_BOOTSTRAP_PASSWORD works as --password', async () => {
      const r = await cloudlet(['identity', 'bootstrap'], { ...env, CLOUDLET_BOOTSTRAP_PASSWORD: 'Reset-pw-1' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /password \(from CLOUDLET_BOOTSTRAP_PASSWORD\)/);
      assert.doesNotMatch(r.stdout + r.stderr, /Reset-pw-1/);
      assert.equal(cloudsPassword(), 'Reset-pw-1');
      await tokenIssue();
    });

    await t.test('without a password: a new one, printed once and written to clouds.yaml', async () => {
      const r = await cloudlet(['identity', 'bootstrap'], env);
      assert.equal(r.code, 0, r.stderr);
      const printed = /password: (\S+)/.exec(r.stdout)?.[1];
      assert.ok(printed && printed.length >= 20, r.stdout);
      assert.equal(cloudsPassword(), printed);
      assert.match(r.stdout, new RegExp(`wrote the cloud "cloudlet" to ${clouds}`));
      await tokenIssue();
    });

    await t.test('on a new data directory it makes the admin and the cloud (nothing to reset)', async () => {
      const other = await backend.fresh();
      t.after(() => other.cleanup());
      const r = await cloudlet(['identity', 'bootstrap', '--data-dir', other.dataDir, ...(other.databaseUrl ? ['--database-url', other.databaseUrl] : [])], {
        ...env,
        OS_CLIENT_CONFIG_FILE: join(home, 'other.yaml'),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /created user admin \(domain Default, project admin\) with password: \S+/);
      assert.ok(existsSync(join(home, 'other.yaml')));
    });
  });
}
