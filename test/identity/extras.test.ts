// Keystone's smaller APIs: the policy API (/v3/policies), OAuth1 consumers
// (the secret shown once, stored hashed) and endpoint groups (filters, the
// endpoints they match, project associations, the project's catalog they
// narrow); admins only, bad input a 400 that changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

async function state(id: RunningIdentity) {
  const db = id.database.db;
  return {
    ...(await identityState(id)),
    policies: await db.selectFrom('policies').selectAll().orderBy('id').execute(),
    consumers: await db.selectFrom('consumers').selectAll().orderBy('id').execute(),
    endpoint_groups: await db.selectFrom('endpoint_groups').selectAll().orderBy('id').execute(),
    project_endpoint_groups: await db.selectFrom('project_endpoint_groups').selectAll().orderBy('endpoint_group_id').orderBy('project_id').execute(),
  };
}

const EG = '/v3/OS-EP-FILTER/endpoint_groups';

for (const backend of backends()) {
  test(`identity policies, OAuth1 consumers and endpoint groups on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend, (cfg) => {
      cfg.identity.password_hash_rounds = 4;
    });
    try {
      const h = { 'x-auth-token': await id.login() };
      const call = (method: string, path: string, body?: unknown) => id.call(method, path, body, h);
      /** the status, then nothing changed */
      const refused = async (status: number, method: string, path: string, body?: unknown) => {
        const before = await state(id);
        const r = await call(method, path, body);
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, status);
        assert.deepEqual(await state(id), before);
      };
      const member = (await call('GET', '/v3/roles?name=member')).body.roles[0].id as string;
      const project = (await call('POST', '/v3/projects', { project: { name: 'ep' } })).body.project.id as string;
      const alice = (await call('POST', '/v3/users', { user: { name: 'alice', password: 'pw-a' } })).body.user.id as string;
      assert.equal((await call('PUT', `/v3/projects/${project}/users/${alice}/roles/${member}`)).status, 204);
      const aliceToken = () => id.login({ user: 'alice', password: 'pw-a', project: 'ep' });

      await t.test('policies: CRUD, extra attributes kept, type filter, 404', async () => {
        const p = await call('POST', '/v3/policies', { policy: { blob: '{"a": "role:x"}', type: 'application/json', project_id: 'kept' } });
        assert.equal(p.status, 201, JSON.stringify(p.body));
        const pid = p.body.policy.id;
        assert.deepEqual(p.body.policy, { id: pid, blob: '{"a": "role:x"}', type: 'application/json', project_id: 'kept', links: { self: `${id.url}/v3/policies/${pid}` } });
        const other = (await call('POST', '/v3/policies', { policy: { blob: 'b', type: 'text/plain' } })).body.policy.id;
        assert.deepEqual((await call('GET', `/v3/policies/${pid}`)).body.policy, p.body.policy);
        assert.equal((await call('GET', '/v3/policies')).body.policies.length, 2);
        assert.deepEqual((await call('GET', '/v3/policies?type=text/plain')).body.policies.map((x: any) => x.id), [other]);
        const upd = await call('PATCH', `/v3/policies/${pid}`, { policy: { type: 'new' } });
        assert.deepEqual([upd.status, upd.body.policy.type, upd.body.policy.blob, upd.body.policy.project_id], [200, 'new', '{"a": "role:x"}', 'kept']);

        await refused(400, 'POST', '/v3/policies', { policy: { type: 't' } });
        await refused(400, 'POST', '/v3/policies', { policy: { blob: 'b' } });
        await refused(400, 'POST', '/v3/policies', { policy: { blob: { a: 1 }, type: 't' } });
        await refused(400, 'POST', '/v3/policies', { policy: { blob: 'b', type: 'x'.repeat(256) } });
        await refused(400, 'PATCH', `/v3/policies/${pid}`, { policy: {} });
        await refused(400, 'PATCH', `/v3/policies/${pid}`, { policy: { type: 7 } });
        await refused(404, 'PATCH', '/v3/policies/nope', { policy: { type: 'x' } });

        assert.equal((await call('DELETE', `/v3/policies/${other}`)).status, 204);
        assert.deepEqual((await call('GET', `/v3/policies/${other}`)).body.error.message, `Could not find policy: ${other}.`);
        assert.equal((await call('DELETE', `/v3/policies/${other}`)).status, 404);
      });

      await t.test('consumers: the secret shown once and stored hashed, description only changes', async () => {
        const c = await call('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'app', secret: 'chosen-by-client' } });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        const { id: cid, secret } = c.body.consumer;
        assert.equal(typeof secret, 'string');
        assert.notEqual(secret, 'chosen-by-client');
        assert.ok(secret.length >= 32);
        assert.deepEqual(c.body.consumer, { id: cid, description: 'app', secret, links: { self: `${id.url}/v3/OS-OAUTH1/consumers/${cid}` } });
        const shown = (await call('GET', `/v3/OS-OAUTH1/consumers/${cid}`)).body.consumer;
        assert.deepEqual(shown, { id: cid, description: 'app', links: c.body.consumer.links });
        const row = await id.database.db.selectFrom('consumers').selectAll().where('id', '=', cid).executeTakeFirstOrThrow();
        assert.ok(!JSON.stringify(row).includes(secret) && !JSON.stringify(row).includes('chosen-by-client'));
        assert.ok(await bcrypt.compare(secret, row.secret_hash));

        const bare = await call('POST', '/v3/OS-OAUTH1/consumers', { consumer: {} });
        assert.equal(bare.body.consumer.description, null);
        assert.notEqual(bare.body.consumer.secret, secret);
        assert.deepEqual((await call('GET', '/v3/OS-OAUTH1/consumers')).body.consumers.map((x: any) => x.id).sort(), [cid, bare.body.consumer.id].sort());
        assert.ok((await call('GET', '/v3/OS-OAUTH1/consumers')).body.consumers.every((x: any) => x.secret === undefined));

        const upd = await call('PATCH', `/v3/OS-OAUTH1/consumers/${cid}`, { consumer: { description: 'renamed' } });
        assert.deepEqual([upd.status, upd.body.consumer.description, upd.body.consumer.secret], [200, 'renamed', undefined]);
        await refused(400, 'PATCH', `/v3/OS-OAUTH1/consumers/${cid}`, { consumer: { secret: 'new' } });
        await refused(400, 'PATCH', `/v3/OS-OAUTH1/consumers/${cid}`, { consumer: { description: 'x', secret: 'new' } });
        await refused(400, 'PATCH', `/v3/OS-OAUTH1/consumers/${cid}`, { consumer: {} });
        await refused(400, 'POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 5 } });
        await refused(400, 'POST', '/v3/OS-OAUTH1/consumers', {});

        assert.equal((await call('DELETE', `/v3/OS-OAUTH1/consumers/${bare.body.consumer.id}`)).status, 204);
        assert.equal((await call('GET', `/v3/OS-OAUTH1/consumers/${bare.body.consumer.id}`)).status, 404);
      });

      await t.test('endpoint groups: CRUD, filters, matching endpoints, projects, the catalog', async () => {
        const identity = (await call('GET', '/v3/services?type=identity')).body.services[0].id as string;
        const eps = (await call('GET', `/v3/endpoints?service_id=${identity}`)).body.endpoints;
        const publicEp = eps.find((e: any) => e.interface === 'public');

        const g = await call('POST', EG, { endpoint_group: { name: 'pub', description: 'public identity', filters: { service_id: identity, interface: 'public' } } });
        assert.equal(g.status, 201, JSON.stringify(g.body));
        const gid = g.body.endpoint_group.id;
        assert.deepEqual(g.body.endpoint_group, {
          id: gid, name: 'pub', description: 'public identity', filters: { service_id: identity, interface: 'public' }, links: { self: `${id.url}${EG}/${gid}` },
        });
        assert.deepEqual((await call('GET', `${EG}/${gid}`)).body.endpoint_group, g.body.endpoint_group);
        assert.equal((await call('HEAD', `${EG}/${gid}`)).status, 200);
        const all = (await call('POST', EG, { endpoint_group: { name: 'identity', filters: { service_id: identity } } })).body.endpoint_group;
        assert.equal(all.description, null);
        assert.deepEqual((await call('GET', `${EG}?name=pub`)).body.endpoint_groups.map((x: any) => x.id), [gid]);
        assert.equal((await call('GET', EG)).body.endpoint_groups.length, 2);

        assert.deepEqual((await call('GET', `${EG}/${gid}/endpoints`)).body.endpoints, [publicEp]);
        assert.equal((await call('GET', `${EG}/${all.id}/endpoints`)).body.endpoints.length, 3);
        const noRegion = (await call('POST', EG, { endpoint_group: { name: 'none', filters: { region_id: null } } })).body.endpoint_group;
        assert.deepEqual((await call('GET', `${EG}/${noRegion.id}/endpoints`)).body.endpoints, []);
        assert.equal((await call('GET', `${EG}/nope/endpoints`)).status, 404);

        const upd = await call('PATCH', `${EG}/${noRegion.id}`, { endpoint_group: { name: 'renamed', filters: { region_id: 'RegionOne', interface: 'admin' } } });
        assert.deepEqual([upd.status, upd.body.endpoint_group.name, upd.body.endpoint_group.filters], [200, 'renamed', { region_id: 'RegionOne', interface: 'admin' }]);
        assert.equal((await call('GET', `${EG}/${noRegion.id}/endpoints`)).body.endpoints.length, 3);

        await refused(400, 'POST', EG, { endpoint_group: { name: 'x', filters: {} } });
        await refused(400, 'POST', EG, { endpoint_group: { name: 'x' } });
        await refused(400, 'POST', EG, { endpoint_group: { filters: { interface: 'public' } } });
        await refused(400, 'POST', EG, { endpoint_group: { name: 'x', filters: { enabled: true } } });
        await refused(400, 'POST', EG, { endpoint_group: { name: 'x', filters: { interface: 'private' } } });
        await refused(400, 'POST', EG, { endpoint_group: { name: 'x', filters: { service_id: 3 } } });
        await refused(400, 'POST', EG, { endpoint_group: { name: 'x', filters: { interface: 'public' }, other: 1 } });
        await refused(400, 'PATCH', `${EG}/${gid}`, { endpoint_group: { filters: { url: 'x' } } });
        await refused(404, 'PATCH', `${EG}/nope`, { endpoint_group: { name: 'x' } });

        // associations
        const pair = `${EG}/${gid}/projects/${project}`;
        const fullCatalog = (await id.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': await aliceToken() })).body.catalog;
        assert.equal(fullCatalog.length, 3);
        assert.equal((await call('HEAD', pair)).status, 404);
        assert.equal((await call('PUT', pair)).status, 204);
        await refused(409, 'PUT', pair);
        await refused(404, 'PUT', `${EG}/nope/projects/${project}`);
        await refused(404, 'PUT', `${EG}/${gid}/projects/nope`);
        assert.equal((await call('HEAD', pair)).status, 200);
        assert.deepEqual((await call('GET', pair)).body, { project_endpoint_group: { endpoint_group_id: gid, project_id: project, links: { self: `${id.url}${pair}` } } });
        assert.deepEqual((await call('GET', `${EG}/${gid}/projects`)).body.projects.map((p: any) => [p.id, p.name]), [[project, 'ep']]);
        assert.deepEqual((await call('GET', `/v3/OS-EP-FILTER/projects/${project}/endpoint_groups`)).body.endpoint_groups, [g.body.endpoint_group]);
        assert.equal((await call('GET', '/v3/OS-EP-FILTER/projects/nope/endpoint_groups')).status, 404);

        // the project's catalog: only what its groups match; other projects keep it all
        const scoped = await id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['password'], password: { user: { name: 'alice', domain: { id: 'default' }, password: 'pw-a' } } }, scope: { project: { id: project } } },
        });
        assert.deepEqual(scoped.body.token.catalog.map((s: any) => [s.id, s.endpoints.map((e: any) => e.id)]), [[identity, [publicEp.id]]]);
        const narrowed = (await id.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': await aliceToken() })).body.catalog;
        assert.deepEqual(narrowed, scoped.body.token.catalog);
        assert.equal((await call('GET', '/v3/auth/catalog')).body.catalog.length, 3);

        assert.equal((await call('DELETE', pair)).status, 204);
        assert.equal((await call('DELETE', pair)).status, 404);
        assert.equal((await id.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': await aliceToken() })).body.catalog.length, 3);

        // deleting the group or the project takes the association with it
        const doomed = (await call('POST', '/v3/projects', { project: { name: 'doomed' } })).body.project.id;
        assert.equal((await call('PUT', `${EG}/${gid}/projects/${doomed}`)).status, 204);
        assert.equal((await call('PUT', `${EG}/${all.id}/projects/${project}`)).status, 204);
        assert.equal((await call('DELETE', `/v3/projects/${doomed}`)).status, 204);
        assert.equal((await call('DELETE', `${EG}/${all.id}`)).status, 204);
        assert.deepEqual(await id.database.db.selectFrom('project_endpoint_groups').selectAll().execute(), []);
        assert.equal((await call('GET', `${EG}/${all.id}`)).body.error.message, `Could not find Endpoint Group: ${all.id}.`);
      });

      await t.test('a member is refused every call', async () => {
        const m = { 'x-auth-token': await aliceToken() };
        const pid = (await call('GET', '/v3/policies')).body.policies[0].id;
        const cid = (await call('GET', '/v3/OS-OAUTH1/consumers')).body.consumers[0].id;
        const gid = (await call('GET', EG)).body.endpoint_groups[0].id;
        const before = await state(id);
        for (const [method, path, body] of [
          ['GET', '/v3/policies'], ['GET', `/v3/policies/${pid}`], ['POST', '/v3/policies', { policy: { blob: 'b', type: 't' } }],
          ['PATCH', `/v3/policies/${pid}`, { policy: { type: 'x' } }], ['DELETE', `/v3/policies/${pid}`],
          ['GET', '/v3/OS-OAUTH1/consumers'], ['GET', `/v3/OS-OAUTH1/consumers/${cid}`], ['POST', '/v3/OS-OAUTH1/consumers', { consumer: {} }],
          ['PATCH', `/v3/OS-OAUTH1/consumers/${cid}`, { consumer: { description: 'x' } }], ['DELETE', `/v3/OS-OAUTH1/consumers/${cid}`],
          ['GET', EG], ['GET', `${EG}/${gid}`], ['POST', EG, { endpoint_group: { name: 'x', filters: { interface: 'public' } } }],
          ['PATCH', `${EG}/${gid}`, { endpoint_group: { name: 'x' } }], ['DELETE', `${EG}/${gid}`], ['GET', `${EG}/${gid}/endpoints`],
          ['GET', `${EG}/${gid}/projects`], ['PUT', `${EG}/${gid}/projects/${project}`], ['GET', `${EG}/${gid}/projects/${project}`],
          ['DELETE', `${EG}/${gid}/projects/${project}`], ['GET', `/v3/OS-EP-FILTER/projects/${project}/endpoint_groups`],
        ] as Array<[string, string, unknown?]>) {
          const r = await id.call(method, path, body, m);
          assert.equal(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        }
        assert.deepEqual(await state(id), before);
      });
    } finally {
      await id.close();
    }
  });
}
