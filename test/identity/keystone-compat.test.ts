// Keystone behaviours that tempest's identity tests found missing or different
// (docs/COMPATIBILITY.md, "Identity"): each test names the tempest test it
// stands for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

async function member(id: RunningIdentity, admin: string, name: string) {
  const h = { 'x-auth-token': admin };
  const p = (await id.call('POST', '/v3/projects', { project: { name: `${name}-p`, domain_id: 'default' } }, h)).body.project;
  const u = (await id.call('POST', '/v3/users', { user: { name, password: `pw-${name}`, domain_id: 'default' } }, h)).body.user;
  const role = (await id.call('GET', '/v3/roles?name=member', undefined, h)).body.roles[0];
  assert.equal((await id.call('PUT', `/v3/projects/${p.id}/users/${u.id}/roles/${role.id}`, undefined, h)).status, 204);
  const token = await id.login({ user: name, password: `pw-${name}`, project: `${name}-p` });
  return { project: p.id as string, user: u.id as string, token };
}

for (const backend of backends()) {
  test(`identity: Keystone behaviours tempest checks, on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const admin = await id.login();
      const h = { 'x-auth-token': admin };
      const m = await member(id, admin, 'kc1');

      await t.test('a revoked subject token is 404 to its own user (TokensV3Test.test_validate_token)', async () => {
        const other = await id.login({ user: 'kc1', password: 'pw-kc1', project: null });
        const mine = { 'x-auth-token': m.token, 'x-subject-token': other };
        assert.equal((await id.call('GET', '/v3/auth/tokens', undefined, mine)).status, 200);
        assert.equal((await id.call('DELETE', '/v3/auth/tokens', undefined, mine)).status, 204);
        assert.equal((await id.call('GET', '/v3/auth/tokens', undefined, mine)).status, 404);
        assert.equal((await id.call('HEAD', '/v3/auth/tokens', undefined, mine)).status, 404);
        assert.equal((await id.call('DELETE', '/v3/auth/tokens', undefined, mine)).status, 404);
        // a valid token of another user is still the policy's to refuse
        assert.equal((await id.call('GET', '/v3/auth/tokens', undefined, { 'x-auth-token': m.token, 'x-subject-token': admin })).status, 403);
      });

      await t.test('a rescoped token keeps its first methods (TokensV3TestJSON.test_rescope_token)', async () => {
        const unscoped = await id.login({ user: 'kc1', password: 'pw-kc1', project: null });
        const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: unscoped } }, scope: { project: { id: m.project } } } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.deepEqual(r.body.token.methods, ['password', 'token']);
        const again = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: r.headers.get('x-subject-token') } } } });
        assert.deepEqual(again.body.token.methods, ['password', 'token']);
      });

      await t.test('a member may read the domain of its project (DefaultDomainTestJSON)', async () => {
        const r = await id.call('GET', '/v3/domains/default', undefined, { 'x-auth-token': m.token });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.domain.id, 'default');
        const d = (await id.call('POST', '/v3/domains', { domain: { name: 'elsewhere' } }, h)).body.domain;
        assert.equal((await id.call('GET', `/v3/domains/${d.id}`, undefined, { 'x-auth-token': m.token })).status, 403);
        assert.equal((await id.call('GET', '/v3/domains', undefined, { 'x-auth-token': m.token })).status, 403);
      });

      await t.test('PUT /v3/regions/{id} creates it (RegionsTestJSON.test_create_region_with_specific_id)', async () => {
        const r = await id.call('PUT', '/v3/regions/west-1', { region: { description: 'by put' } }, h);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.region.id, 'west-1');
        assert.equal((await id.call('GET', '/v3/regions/west-1', undefined, h)).body.region.description, 'by put');
        const before = await identityState(id);
        assert.equal((await id.call('PUT', '/v3/regions/west-1', { region: {} }, h)).status, 409);
        const clash = await id.call('PUT', '/v3/regions/west-2', { region: { id: 'west-3' } }, h);
        assert.equal(clash.status, 400);
        assert.match(clash.body.error.message, /Conflicting region IDs/);
        assert.equal((await id.call('PUT', '/v3/regions/west-2', { region: {} }, { 'x-auth-token': m.token })).status, 403);
        assert.deepEqual(await identityState(id), before);
      });

      await t.test('an endpoint naming a new region by `region` makes it (EndPointsTestJSON)', async () => {
        const svc = (await id.call('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } }, h)).body.service;
        const e = await id.call('POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://127.0.0.1:1', region: 'legacy-1' } }, h);
        assert.equal(e.status, 201, JSON.stringify(e.body));
        assert.equal(e.body.endpoint.region_id, 'legacy-1');
        assert.equal((await id.call('GET', '/v3/regions/legacy-1', undefined, h)).status, 200);
        const moved = await id.call('PATCH', `/v3/endpoints/${e.body.endpoint.id}`, { endpoint: { region: 'legacy-2' } }, h);
        assert.equal(moved.body.endpoint.region, 'legacy-2');
        // region_id must name an existing region
        const bad = await id.call('POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://127.0.0.1:1', region_id: 'nowhere' } }, h);
        assert.equal(bad.status, 400);
        assert.equal((await id.call('GET', '/v3/regions/nowhere', undefined, h)).status, 404);
      });

      await t.test('application credentials: expires_at to the microsecond, roles held now (ApplicationCredentialsV3Test)', async () => {
        const expires = new Date(Date.now() + 3600_000).toISOString().slice(0, 19) + '.123456';
        const c = await id.call('POST', `/v3/users/${m.user}/application_credentials`, { application_credential: { name: 'exp', expires_at: expires } }, { 'x-auth-token': m.token });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        assert.equal(c.body.application_credential.expires_at, expires);
        const shown = await id.call('GET', `/v3/users/${m.user}/application_credentials/${c.body.application_credential.id}`, undefined, { 'x-auth-token': m.token });
        assert.equal(shown.body.application_credential.expires_at, expires);
        const tok = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: c.body.application_credential.id, secret: c.body.application_credential.secret } } } });
        assert.equal(tok.status, 201);
        assert.equal((await id.call('POST', `/v3/users/${m.user}/application_credentials`, { application_credential: { name: 'bad', expires_at: 'next tuesday' } }, { 'x-auth-token': m.token })).status, 400);

        // a role granted after the token was issued can be delegated at once
        const role = (await id.call('POST', '/v3/roles', { role: { name: 'late-role' } }, h)).body.role;
        const denied = await id.call('POST', `/v3/users/${m.user}/application_credentials`, { application_credential: { name: 'r0', roles: [{ id: role.id }] } }, { 'x-auth-token': m.token });
        assert.equal(denied.status, 403);
        assert.equal((await id.call('PUT', `/v3/projects/${m.project}/users/${m.user}/roles/${role.id}`, undefined, h)).status, 204);
        const withRole = await id.call('POST', `/v3/users/${m.user}/application_credentials`, { application_credential: { name: 'r1', roles: [{ id: role.id }] } }, { 'x-auth-token': m.token });
        assert.equal(withRole.status, 201, JSON.stringify(withRole.body));
        assert.deepEqual(withRole.body.application_credential.roles.map((r: any) => r.name), ['late-role']);
      });
    } finally {
      await id.close();
    }
  });
}
