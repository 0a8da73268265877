// The admin API: CRUD of each entity, grants and role_assignments, the policy
// (a member is refused admin calls), bad input (keystone's 400 body, state
// unchanged) and bootstrap's idempotence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrap } from '../../src/identity/bootstrap.js';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

const state = identityState;

for (const backend of backends()) {
  test(`identity admin API on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const admin = await id.login();
      const h = { 'x-auth-token': admin };

      await t.test('version discovery', async () => {
        const root = await id.call('GET', '/');
        assert.equal(root.status, 300);
        assert.equal(root.body.versions.values[0].id, 'v3.14');
        const v3 = await id.call('GET', '/v3');
        assert.equal(v3.body.version.status, 'stable');
        assert.equal(v3.body.version['media-types'][0].type, 'application/vnd.openstack.identity-v3+json');
      });

      let projectId = '';
      let userId = '';
      let roleId = '';
      await t.test('CRUD: domain, project, user, role, region, service, endpoint', async () => {
        assert.equal((await id.call('GET', '/v3/domains/default', undefined, h)).body.domain.name, 'Default');
        const d = await id.call('POST', '/v3/domains', { domain: { name: 'd2', description: 'second' } }, h);
        assert.equal(d.status, 201);
        assert.equal((await id.call('DELETE', `/v3/domains/${d.body.domain.id}`, undefined, h)).status, 403); // enabled
        assert.equal((await id.call('PATCH', `/v3/domains/${d.body.domain.id}`, { domain: { enabled: false } }, h)).status, 200);
        assert.equal((await id.call('DELETE', `/v3/domains/${d.body.domain.id}`, undefined, h)).status, 204);

        const p = await id.call('POST', '/v3/projects', { project: { name: 'proj', description: 'x', tags_extra: 1 } }, h);
        assert.equal(p.status, 201, JSON.stringify(p.body));
        assert.equal(p.body.project.domain_id, 'default');
        assert.equal(p.body.project.parent_id, 'default');
        assert.equal(p.body.project.is_domain, false);
        projectId = p.body.project.id;
        const child = await id.call('POST', '/v3/projects', { project: { name: 'child', parent_id: projectId } }, h);
        assert.equal(child.body.project.parent_id, projectId);
        assert.equal((await id.call('DELETE', `/v3/projects/${projectId}`, undefined, h)).status, 403);
        assert.equal((await id.call('DELETE', `/v3/projects/${child.body.project.id}`, undefined, h)).status, 204);
        const dup = await id.call('POST', '/v3/projects', { project: { name: 'proj' } }, h);
        assert.equal(dup.status, 409);
        assert.equal(dup.body.error.title, 'Conflict');

        const u = await id.call('POST', '/v3/users', { user: { name: 'alice', password: 'a-pw', email: 'a@x' } }, h);
        assert.equal(u.status, 201);
        assert.equal(u.body.user.email, 'a@x');
        assert.equal(u.body.user.password, undefined);
        assert.equal(JSON.stringify(u.body).includes('a-pw'), false);
        userId = u.body.user.id;
        const renamed = await id.call('PATCH', `/v3/users/${userId}`, { user: { name: 'alice2' } }, h);
        assert.equal(renamed.body.user.name, 'alice2');
        assert.equal((await id.call('GET', '/v3/users?name=alice2', undefined, h)).body.users.length, 1);

        const r = await id.call('POST', '/v3/roles', { role: { name: 'observer' } }, h);
        assert.equal(r.status, 201);
        roleId = r.body.role.id;
        assert.equal(r.body.role.domain_id, null);
        assert.equal((await id.call('POST', '/v3/roles', { role: { name: 'observer' } }, h)).status, 409);

        const reg = await id.call('POST', '/v3/regions', { region: { id: 'RegionTwo', description: 'r2' } }, h);
        assert.equal(reg.status, 201);
        assert.equal(reg.body.region.id, 'RegionTwo');
        const svc = await id.call('POST', '/v3/services', { service: { type: 'compute', name: 'nova', description: 'c' } }, h);
        assert.equal(svc.status, 201);
        const ep = await id.call('POST', '/v3/endpoints', { endpoint: { service_id: svc.body.service.id, interface: 'public', url: 'http://127.0.0.1:8774', region_id: 'RegionTwo' } }, h);
        assert.equal(ep.status, 201, JSON.stringify(ep.body));
        assert.equal(ep.body.endpoint.region, 'RegionTwo');
        const cat = await id.call('GET', '/v3/auth/catalog', undefined, h);
        assert.ok(cat.body.catalog.some((c: any) => c.type === 'compute' && c.endpoints[0].url === 'http://127.0.0.1:8774'));
        assert.equal((await id.call('DELETE', `/v3/services/${svc.body.service.id}`, undefined, h)).status, 204);
        assert.equal((await id.call('GET', `/v3/endpoints/${ep.body.endpoint.id}`, undefined, h)).status, 404);
        const missing = await id.call('GET', '/v3/projects/nope', undefined, h);
        assert.deepEqual(missing.body, { error: { code: 404, message: 'Could not find project: nope.', title: 'Not Found' } });
      });

      await t.test('grants and role_assignments (effective includes implied roles)', async () => {
        const member = (await id.call('GET', '/v3/roles?name=member', undefined, h)).body.roles[0].id;
        const path = `/v3/projects/${projectId}/users/${userId}/roles/${member}`;
        assert.equal((await id.call('HEAD', path, undefined, h)).status, 404);
        assert.equal((await id.call('PUT', path, undefined, h)).status, 204);
        assert.equal((await id.call('PUT', path, undefined, h)).status, 204);
        assert.equal((await id.call('HEAD', path, undefined, h)).status, 204);
        assert.equal((await id.call('GET', `/v3/projects/${projectId}/users/${userId}/roles`, undefined, h)).body.roles[0].name, 'member');
        const direct = await id.call('GET', `/v3/role_assignments?user.id=${userId}&scope.project.id=${projectId}`, undefined, h);
        assert.equal(direct.body.role_assignments.length, 1);
        const eff = await id.call('GET', `/v3/role_assignments?user.id=${userId}&effective`, undefined, h);
        assert.equal(eff.body.role_assignments.length, 2);
        const reader = (await id.call('GET', '/v3/roles?name=reader', undefined, h)).body.roles[0].id;
        const filtered = await id.call('GET', `/v3/role_assignments?user.id=${userId}&effective&role.id=${reader}`, undefined, h);
        assert.equal(filtered.body.role_assignments.length, 1);
        assert.equal((await id.call('PUT', `/v3/projects/${projectId}/users/${userId}/roles/nope`, undefined, h)).status, 404);
        assert.equal((await id.call('PUT', `/v3/domains/default/users/${userId}/roles/${roleId}`, undefined, h)).status, 204);
        assert.equal((await id.call('GET', `/v3/auth/projects`, undefined, { 'x-auth-token': await id.login({ user: 'alice2', password: 'a-pw', project: null }) })).body.projects.length, 1);
      });

      await t.test('policy: a member is refused admin calls, may read its own user and project', async () => {
        const tok = await id.login({ user: 'alice2', password: 'a-pw', project: 'proj' });
        const m = { 'x-auth-token': tok };
        for (const [method, path, body] of [
          ['GET', '/v3/users', undefined], ['POST', '/v3/projects', { project: { name: 'evil' } }], ['POST', '/v3/users', { user: { name: 'evil' } }],
          ['GET', '/v3/domains', undefined], ['PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`, undefined], ['DELETE', `/v3/users/${userId}`, undefined],
          ['GET', '/v3/role_assignments', undefined], ['POST', '/v3/roles', { role: { name: 'evil' } }],
        ] as const) {
          const r = await id.call(method, path, body, m);
          assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.title, 'Forbidden');
        }
        assert.equal((await id.call('GET', `/v3/users/${userId}`, undefined, m)).status, 200);
        assert.equal((await id.call('GET', `/v3/projects/${projectId}`, undefined, m)).status, 200);
        assert.equal((await id.call('GET', '/v3/users')).status, 401);
      });

      await t.test('own password change: original password required, old tokens revoked', async () => {
        const tok = await id.login({ user: 'alice2', password: 'a-pw', project: null });
        assert.equal((await id.call('POST', `/v3/users/${userId}/password`, { user: { original_password: 'wrong', password: 'b-pw' } })).status, 401);
        assert.equal((await id.call('POST', `/v3/users/${userId}/password`, { user: { original_password: 'a-pw', password: 'b-pw' } })).status, 204);
        assert.equal(await id.server.tokens.validate(tok), null);
        await id.login({ user: 'alice2', password: 'b-pw', project: null });
      });

      await t.test('bad input: keystone 400 body, nothing changes', async () => {
        const before = await state(id);
        const cases: Array<[string, string, unknown]> = [
          ['POST', '/v3/projects', '{"project": {"name": '],
          ['POST', '/v3/projects', { project: { name: 42 } }],
          ['POST', '/v3/projects', { project: { name: '' } }],
          ['POST', '/v3/projects', { project: { name: 'x'.repeat(65) } }],
          ['POST', '/v3/projects', { project: { name: 'ok', enabled: 'yes' } }],
          ['POST', '/v3/projects', { project: 'x' }],
          ['POST', '/v3/projects', [1, 2]],
          ['POST', '/v3/projects', { project: { name: 'a\u0000b' } }],
          ['POST', '/v3/users', { user: { name: 'ok', password: 5 } }],
          ['POST', '/v3/users', { user: { name: 'ok', id: 'chosen' } }],
          ['PATCH', `/v3/projects/${projectId}`, { project: { domain_id: 'other' } }],
          ['PATCH', `/v3/users/${userId}`, { user: {} }],
          ['POST', '/v3/endpoints', { endpoint: { service_id: 'nope', interface: 'public', url: 'http://x' } }],
          ['POST', '/v3/endpoints', { endpoint: { service_id: 'nope', interface: 'sideways', url: 'http://x' } }],
          ['POST', '/v3/auth/tokens', { auth: { identity: { methods: 'password' } } }],
          ['POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { name: ['a'], password: 'x' } } } } }],
          ['POST', '/v3/auth/tokens', 'not json'],
          ['POST', '/v3/projects', JSON.stringify({ project: { name: 'huge', description: 'x'.repeat(200_000) } })],
          ['POST', '/v3/projects', `${'['.repeat(5000)}${']'.repeat(5000)}`],
        ];
        for (const [method, path, body] of cases) {
          const r = await id.call(method, path, body, h);
          assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${String(JSON.stringify(body)).slice(0, 80)}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, r.status);
          assert.equal(typeof r.body.error.message, 'string');
        }
        assert.deepEqual(await state(id), before);
      });

      await t.test('bootstrap again: nothing new, no password, endpoint URLs follow', async () => {
        const before = await state(id);
        const again = await bootstrap(id.database, id.cfg, { identity: id.url, network: 'http://127.0.0.1:9797', registry: 'http://127.0.0.1:5000' });
        assert.equal(again.adminPassword, undefined);
        const after = await state(id);
        for (const t of Object.keys(before)) if (t !== 'endpoints') assert.deepEqual(after[t], before[t], t);
        const net = (await id.call('GET', '/v3/auth/catalog', undefined, h)).body.catalog.find((c: any) => c.type === 'network');
        assert.deepEqual(net.endpoints.map((e: any) => e.url), ['http://127.0.0.1:9797', 'http://127.0.0.1:9797', 'http://127.0.0.1:9797']);
        await id.login();
      });
    } finally {
      await id.close();
    }
  });
}
