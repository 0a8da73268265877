// Drives the identity API with Debian's real `openstack` client
// (python3-openstackclient) through keystoneauth's password and
// application-credential plugins: version discovery, token issue, catalog
// lookup and the admin calls are all the stock client's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backends, requireTool } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';

function openstack(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('openstack', args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

for (const backend of backends()) {
  test(`openstack CLI against the identity API (${backend.name})`, async (t) => {
    requireTool('openstack', 'python3-openstackclient');
    const home = await mkdtemp(join(tmpdir(), 'cloudlet-oshome-'));
    t.after(() => rm(home, { recursive: true, force: true }));
    const id = await startIdentity(backend);
    try {
      // a clean environment: nothing of the host's OS_* or clouds.yaml leaks in
      const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
      const admin = {
        ...base, OS_AUTH_URL: `${id.url}/v3`, OS_IDENTITY_API_VERSION: '3', OS_USERNAME: 'admin', OS_PASSWORD: id.adminPassword,
        OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
      };
      const ok = async (env: Record<string, string>, ...args: string[]): Promise<any> => {
        const r = await openstack(env, args);
        assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout.trim() ? JSON.parse(r.stdout) : null;
      };

      await t.test('token issue with a password', async () => {
        const tok = await ok(admin, 'token', 'issue', '-f', 'json');
        assert.equal(typeof tok.id, 'string');
        assert.ok(tok.project_id);
        assert.ok(tok.user_id);
        assert.ok(tok.expires);
      });

      let projectId = '';
      let userId = '';
      await t.test('project create, user create, role add', async () => {
        const p = await ok(admin, 'project', 'create', '--domain', 'default', '--description', 'cli project', 'cli-proj', '-f', 'json');
        assert.equal(p.name, 'cli-proj');
        assert.equal(p.domain_id, 'default');
        assert.equal(p.enabled, true);
        projectId = p.id;
        const u = await ok(admin, 'user', 'create', '--domain', 'default', '--password', 'cli-secret-1', '--email', 'cli@example.org', 'cli-user', '-f', 'json');
        assert.equal(u.name, 'cli-user');
        assert.equal(u.email, 'cli@example.org');
        assert.equal(u.password, undefined);
        userId = u.id;
        await ok(admin, 'role', 'add', '--project', 'cli-proj', '--user', 'cli-user', 'member');
        const list = await ok(admin, 'role', 'assignment', 'list', '--user', userId, '--project', projectId, '--names', '-f', 'json');
        assert.deepEqual(list.map((a: any) => a.Role), ['member']);
        const projects = await ok(admin, 'project', 'list', '-f', 'json');
        assert.ok(projects.some((x: any) => x.Name === 'cli-proj'));
      });

      const user = { ...admin, OS_USERNAME: 'cli-user', OS_PASSWORD: 'cli-secret-1', OS_PROJECT_NAME: 'cli-proj' };
      await t.test('the new user gets a token, and 403 on admin calls', async () => {
        const tok = await ok(user, 'token', 'issue', '-f', 'json');
        assert.equal(tok.project_id, projectId);
        assert.equal(tok.user_id, userId);
        const r = await openstack(user, ['user', 'list', '-f', 'json']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /403|not authorized/i);
      });

      await t.test('application credential create, then a token with it', async () => {
        const ac = await ok(user, 'application', 'credential', 'create', 'cli-ac', '-f', 'json');
        assert.equal(ac.name, 'cli-ac');
        assert.equal(ac.project_id, projectId);
        assert.ok(ac.secret);
        const acEnv = {
          ...base, OS_AUTH_URL: `${id.url}/v3`, OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public',
        };
        const tok = await ok(
          acEnv, '--os-auth-type', 'v3applicationcredential', '--os-application-credential-id', ac.id,
          // one argument with '=': a secret may start with '-', as Keystone's do (urlsafe base64)
          `--os-application-credential-secret=${ac.secret}`, 'token', 'issue', '-f', 'json',
        );
        assert.equal(tok.project_id, projectId);
        assert.equal(tok.user_id, userId);
        const bad = await openstack(acEnv, ['--os-auth-type', 'v3applicationcredential', '--os-application-credential-id', ac.id, '--os-application-credential-secret', 'wrong', 'token', 'issue']);
        assert.notEqual(bad.code, 0);
      });

      await t.test('catalog list shows the bootstrap services', async () => {
        const cat = await ok(admin, 'catalog', 'list', '-f', 'json');
        assert.deepEqual(cat.map((c: any) => c.Type).sort(), ['identity', 'image-registry', 'network']);
      });
    } finally {
      await id.close();
    }
  });
}
