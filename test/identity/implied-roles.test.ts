// The implied-roles API: rules made and removed by the admin, what tokens carry
// because of them, and what Keystone refuses (implying admin, a global role
// implying a domain's role).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

for (const backend of backends()) {
  test(`identity implied roles on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const admin = await id.login();
      const h = { 'x-auth-token': admin };
      const call = (method: string, path: string, body?: unknown, headers = h) => id.call(method, path, body, headers);
      const role = async (name: string, domain_id?: string) => (await call('POST', '/v3/roles', { role: { name, ...(domain_id ? { domain_id } : {}) } })).body.role.id as string;
      const auditor = await role('auditor');
      const viewer = await role('viewer');
      const adminRole = (await call('GET', '/v3/roles?name=admin')).body.roles[0].id as string;
      const p = (await call('POST', '/v3/projects', { project: { name: 'ip' } })).body.project.id as string;
      const u = (await call('POST', '/v3/users', { user: { name: 'iu', password: 'pw-iu' } })).body.user.id as string;
      assert.equal((await call('PUT', `/v3/projects/${p}/users/${u}/roles/${auditor}`)).status, 204);
      const login = async () => {
        const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { id: u, password: 'pw-iu' } } }, scope: { project: { id: p } } } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return { token: r.headers.get('x-subject-token')!, roles: (r.body.token.roles as Array<{ name: string }>).map((x) => x.name).sort() };
      };

      await t.test('create, check, show, list; the holder of the prior role gets the implied one', async () => {
        assert.deepEqual((await login()).roles, ['auditor']);
        const made = await call('PUT', `/v3/roles/${auditor}/implies/${viewer}`);
        assert.equal(made.status, 201, JSON.stringify(made.body));
        assert.equal(made.body.role_inference.prior_role.id, auditor);
        assert.equal(made.body.role_inference.implies.name, 'viewer');
        assert.ok(made.body.role_inference.implies.links.self.endsWith(`/v3/roles/${viewer}`));
        assert.equal((await call('PUT', `/v3/roles/${auditor}/implies/${viewer}`)).status, 201, 'again: the same rule');
        assert.equal((await call('HEAD', `/v3/roles/${auditor}/implies/${viewer}`)).status, 204);
        assert.equal((await call('GET', `/v3/roles/${auditor}/implies/${viewer}`)).body.role_inference.prior_role.name, 'auditor');
        const list = (await call('GET', `/v3/roles/${auditor}/implies`)).body.role_inference;
        assert.deepEqual(list.implies.map((r: any) => r.id), [viewer]);
        assert.deepEqual((await call('GET', `/v3/roles/${viewer}/implies`)).body.role_inference.implies, []);
        const all = (await call('GET', '/v3/role_inferences')).body.role_inferences;
        // bootstrap's admin → member → reader are rules like any other
        const names = all.flatMap((r: any) => r.implies.map((i: any) => `${r.prior_role.name}>${i.name}`)).sort();
        assert.deepEqual(names, ['admin>member', 'auditor>viewer', 'member>reader']);
        assert.deepEqual((await login()).roles, ['auditor', 'viewer']);
        const eff = (await call('GET', `/v3/role_assignments?effective&user.id=${u}&include_names`)).body.role_assignments;
        assert.deepEqual(eff.map((a: any) => a.role.name).sort(), ['auditor', 'viewer']);
      });

      await t.test('deleting a rule takes the implied role from tokens that carried it', async () => {
        const before = await login();
        assert.equal((await call('DELETE', `/v3/roles/${auditor}/implies/${viewer}`)).status, 204);
        assert.equal(await id.server.tokens.validate(before.token), null);
        assert.deepEqual((await login()).roles, ['auditor']);
        assert.equal((await call('GET', `/v3/roles/${auditor}/implies/${viewer}`)).status, 404);
        assert.equal((await call('HEAD', `/v3/roles/${auditor}/implies/${viewer}`)).status, 404);
        assert.equal((await call('DELETE', `/v3/roles/${auditor}/implies/${viewer}`)).status, 404);
      });

      await t.test('a domain role: tokens that got global roles through it are revoked when its rule or the role goes', async () => {
        const d = (await call('POST', '/v3/domains', { domain: { name: 'rdom' } })).body.domain.id as string;
        const dp = (await call('POST', '/v3/projects', { project: { name: 'rp', domain_id: d } })).body.project.id as string;
        const dr = await role('d-auditor', d);
        const member = (await call('GET', '/v3/roles?name=member')).body.roles[0].id as string;
        assert.equal((await call('PUT', `/v3/roles/${dr}/implies/${member}`)).status, 201);
        // granted outside its domain: refused, as Keystone's DomainSpecificRoleMismatch
        const mismatch = await call('PUT', `/v3/projects/${p}/users/${u}/roles/${dr}`);
        assert.equal(mismatch.status, 403);
        assert.match(mismatch.body.error.message, /must be in the same domain as the role/);
        assert.equal((await call('PUT', `/v3/projects/${dp}/users/${u}/roles/${dr}`)).status, 204);
        const scoped = async () => {
          const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { id: u, password: 'pw-iu' } } }, scope: { project: { id: dp } } } });
          return r;
        };
        const first = await scoped();
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.deepEqual(first.body.token.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
        assert.equal((await call('DELETE', `/v3/roles/${dr}/implies/${member}`)).status, 204);
        assert.equal(await id.server.tokens.validate(first.headers.get('x-subject-token')!), null, 'the rule is gone: so is the token it gave member to');
        assert.equal((await scoped()).status, 401);
        assert.equal((await call('PUT', `/v3/roles/${dr}/implies/${member}`)).status, 201);
        const second = await scoped();
        assert.equal(second.status, 201);
        assert.equal((await call('DELETE', `/v3/roles/${dr}`)).status, 204);
        assert.equal(await id.server.tokens.validate(second.headers.get('x-subject-token')!), null, 'the role is gone: so is the token');
      });

      await t.test("refused as Keystone refuses, nothing changes", async () => {
        const d = (await call('POST', '/v3/domains', { domain: { name: 'idom' } })).body.domain.id as string;
        const local1 = await role('local1', d);
        const local2 = await role('local2', d);
        assert.equal((await call('PUT', `/v3/roles/${local1}/implies/${local2}`)).status, 201);
        assert.equal((await call('PUT', `/v3/roles/${local1}/implies/${viewer}`)).status, 201, 'a domain role may imply a global one');
        const before = await identityState(id);
        const global = await call('PUT', `/v3/roles/${viewer}/implies/${local1}`);
        assert.equal(global.status, 403);
        assert.match(global.body.error.message, /Global role cannot imply a domain-specific role/);
        assert.equal((await call('PUT', `/v3/roles/${viewer}/implies/${adminRole}`)).status, 403, 'nothing implies admin');
        assert.equal((await call('PUT', `/v3/roles/${viewer}/implies/nope`)).body.error.message, 'Could not find role: nope.');
        assert.equal((await call('PUT', `/v3/roles/nope/implies/${viewer}`)).status, 404);
        const { token } = await login();
        for (const [m, path] of [['PUT', `/v3/roles/${auditor}/implies/${viewer}`], ['GET', `/v3/roles/${local1}/implies/${local2}`], ['GET', '/v3/role_inferences'], ['DELETE', `/v3/roles/${local1}/implies/${local2}`]]) {
          assert.equal((await call(m, path, undefined, { 'x-auth-token': token })).status, 403, `${m} ${path} as a non-admin`);
        }
        assert.equal((await call('GET', '/v3/role_inferences', undefined, {})).status, 401);
        assert.deepEqual(await identityState(id), before);
      });
    } finally {
      await id.close();
    }
  });
}
