// Keystone's system scope: grants on the system to users and groups
// (/v3/system/...), system-scoped tokens (body, rescoping, /v3/auth/system),
// role_assignments (scope {"system": {"all": true}}, scope.system=all,
// effective), the revocations, the policy (a system admin is an admin, a member
// is refused), the bootstrap's system grant, bad input (400, state unchanged),
// and the network API's refusal of a token without a project.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrap } from '../../src/identity/bootstrap.js';
import { AuthError } from '../../src/network/api/auth.js';
import { keystoneAuth } from '../../src/network/api/keystone-auth.js';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

async function state(id: RunningIdentity) {
  return { ...(await identityState(id)), groups: await id.database.db.selectFrom('groups').selectAll().orderBy('id').execute() };
}

for (const backend of backends()) {
  test(`identity system scope on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const db = id.database.db;
      const admin = await id.login();
      const h = { 'x-auth-token': admin };
      const call = (method: string, path: string, body?: unknown, headers = h) => id.call(method, path, body, headers);
      const roleId = async (name: string) => (await call('GET', `/v3/roles?name=${name}`)).body.roles[0].id as string;
      const [adminRole, member, reader] = [await roleId('admin'), await roleId('member'), await roleId('reader')];
      const project = (await call('POST', '/v3/projects', { project: { name: 'sp' } })).body.project.id as string;
      const user = async (name: string) => (await call('POST', '/v3/users', { user: { name, password: `pw-${name}` } })).body.user.id as string;
      const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
      const group = (await call('POST', '/v3/groups', { group: { name: 'ops' } })).body.group.id as string;
      assert.equal((await call('PUT', `/v3/groups/${group}/users/${bob}`)).status, 204);
      assert.equal((await call('PUT', `/v3/projects/${project}/users/${carol}/roles/${member}`)).status, 204);
      const auth = (name: string, scope?: unknown) =>
        id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password: `pw-${name}` } } }, ...(scope ? { scope } : {}) },
        });
      const SYSTEM = { system: { all: true } };
      const tokenOf = async (name: string, scope: unknown = SYSTEM) => {
        const r = await auth(name, scope);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.headers.get('x-subject-token')!;
      };
      const adminToken = async (scope: unknown) => {
        const r = await id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: id.adminPassword } } }, ...(scope ? { scope } : {}) },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.headers.get('x-subject-token')!;
      };
      const valid = async (token: string) => (await id.server.tokens.validate(token)) !== null;

      await t.test('bootstrap: the admin holds admin on the system, once, restored on a later start', async () => {
        const systemRows = () => db.selectFrom('role_assignments').selectAll().where('target_type', '=', 'system').where('role_id', '=', adminRole).execute();
        const rows = await systemRows();
        assert.equal(rows.length, 1);
        assert.deepEqual({ ...rows[0], actor_id: undefined }, { target_type: 'system', target_id: 'system', actor_type: 'user', actor_id: undefined, role_id: adminRole, inherited: 0 });
        const urls = { identity: id.url, network: 'http://127.0.0.1:9696', registry: 'http://127.0.0.1:5000' };
        await bootstrap(id.database, id.cfg, urls);
        assert.equal((await systemRows()).length, 1);
        // a database made before system scope: the next start adds the grant
        await db.deleteFrom('role_assignments').where('target_type', '=', 'system').execute();
        await bootstrap(id.database, id.cfg, urls);
        assert.equal((await systemRows()).length, 1);
        const r = await id.call('GET', '/v3/auth/tokens', undefined, { ...h, 'x-subject-token': await adminToken(SYSTEM) });
        assert.deepEqual(r.body.token.roles.map((x: any) => x.name), ['admin', 'member', 'reader']);
        // once system scope is in use, a grant the operator took away stays away
        const [own] = await systemRows();
        await db.insertInto('role_assignments').values({ ...own, actor_id: 'someone-else' }).execute();
        await db.deleteFrom('role_assignments').where('target_type', '=', 'system').where('actor_id', '=', own.actor_id).execute();
        await bootstrap(id.database, id.cfg, urls);
        assert.deepEqual((await systemRows()).map((x) => x.actor_id), ['someone-else']);
        await db.deleteFrom('role_assignments').where('target_type', '=', 'system').execute();
        await db.insertInto('role_assignments').values(own).execute();
      });

      await t.test('user grants: PUT, HEAD, GET, list, DELETE, 404s, a domain role is refused', async () => {
        assert.equal((await call('HEAD', `/v3/system/users/${alice}/roles/${member}`)).status, 404);
        const none = await call('GET', `/v3/system/users/${alice}/roles/${member}`);
        assert.equal(none.status, 404);
        assert.equal(none.body.error.title, 'Not Found');
        assert.equal((await call('PUT', `/v3/system/users/${alice}/roles/${member}`)).status, 204);
        assert.equal((await call('PUT', `/v3/system/users/${alice}/roles/${member}`)).status, 204);
        assert.equal((await call('HEAD', `/v3/system/users/${alice}/roles/${member}`)).status, 204);
        assert.equal((await call('GET', `/v3/system/users/${alice}/roles/${member}`)).status, 204);
        const list = await call('GET', `/v3/system/users/${alice}/roles`);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.roles.map((r: any) => [r.id, r.name]), [[member, 'member']]);
        assert.equal(list.body.links.self, `${id.url}/v3/system/users/${alice}/roles`);
        // no grant appears on a project or a domain
        assert.equal((await call('GET', `/v3/projects/${project}/users/${alice}/roles`)).body.roles.length, 0);
        assert.equal((await call('PUT', `/v3/system/users/nobody/roles/${member}`)).body.error.message, 'Could not find user: nobody.');
        assert.equal((await call('PUT', `/v3/system/users/${alice}/roles/nothing`)).body.error.message, 'Could not find role: nothing.');
        assert.equal((await call('GET', '/v3/system/users/nobody/roles')).status, 404);
        assert.equal((await call('DELETE', `/v3/system/users/${alice}/roles/${reader}`)).status, 404);

        const domainRole = (await call('POST', '/v3/roles', { role: { name: 'd-role', domain_id: 'default' } })).body.role.id;
        const before = await state(id);
        const r = await call('PUT', `/v3/system/users/${alice}/roles/${domainRole}`);
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, /domain-specific role/);
        assert.deepEqual(await state(id), before);
        assert.equal((await call('DELETE', `/v3/roles/${domainRole}`)).status, 204);

        const temp = await user('temp');
        assert.equal((await call('PUT', `/v3/system/users/${temp}/roles/${reader}`)).status, 204);
        assert.equal((await call('DELETE', `/v3/system/users/${temp}/roles/${reader}`)).status, 204);
        assert.equal((await call('HEAD', `/v3/system/users/${temp}/roles/${reader}`)).status, 404);
        assert.equal((await call('GET', `/v3/system/users/${temp}/roles`)).body.roles.length, 0);
        // deleting a user takes its system grants
        assert.equal((await call('PUT', `/v3/system/users/${temp}/roles/${reader}`)).status, 204);
        assert.equal((await call('DELETE', `/v3/users/${temp}`)).status, 204);
        assert.equal((await db.selectFrom('role_assignments').selectAll().where('actor_id', '=', temp).execute()).length, 0);
      });

      await t.test('group grants: the same routes under /v3/system/groups', async () => {
        assert.equal((await call('HEAD', `/v3/system/groups/${group}/roles/${reader}`)).status, 404);
        assert.equal((await call('PUT', `/v3/system/groups/${group}/roles/${reader}`)).status, 204);
        assert.equal((await call('HEAD', `/v3/system/groups/${group}/roles/${reader}`)).status, 204);
        assert.equal((await call('GET', `/v3/system/groups/${group}/roles/${reader}`)).status, 204);
        assert.deepEqual((await call('GET', `/v3/system/groups/${group}/roles`)).body.roles.map((r: any) => r.name), ['reader']);
        assert.equal((await call('GET', `/v3/system/groups/nogroup/roles`)).body.error.message, 'Could not find group: nogroup.');
        assert.equal((await call('DELETE', `/v3/system/groups/${group}/roles/${member}`)).status, 404);
      });

      await t.test('tokens: the system body, roles with implied ones, catalog, rescoping, refusals', async () => {
        const r = await auth('alice', SYSTEM);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        const tok = r.body.token;
        assert.deepEqual(tok.system, { all: true });
        assert.equal(tok.project, undefined);
        assert.equal(tok.domain, undefined);
        assert.deepEqual(tok.roles.map((x: any) => x.name), ['member', 'reader']);
        assert.ok(tok.catalog.some((s: any) => s.type === 'identity'));
        const token = r.headers.get('x-subject-token')!;
        const checked = await call('GET', '/v3/auth/tokens', undefined, { ...h, 'x-subject-token': token });
        assert.deepEqual(checked.body.token.system, { all: true });
        const noCat = await id.call('POST', '/v3/auth/tokens?nocatalog', { auth: { identity: { methods: ['password'], password: { user: { id: alice, password: 'pw-alice' } } }, scope: SYSTEM } });
        assert.equal(noCat.body.token.catalog, undefined);
        const cat = await id.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': token });
        assert.equal(cat.status, 200);

        // through the group: bob holds reader on the system
        const bobs = (await auth('bob', SYSTEM)).body.token;
        assert.deepEqual(bobs.roles.map((x: any) => x.name), ['reader']);
        // carol has a project role, none on the system: the same 401 as any failed scope
        const refused = await auth('carol', SYSTEM);
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error.title, 'Unauthorized');

        // rescoping: unscoped → system, system → project, a system token without a scope stays system
        const unscoped = await tokenOf('alice', null);
        const viaToken = (tokenId: string, scope?: unknown) =>
          id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: tokenId } }, ...(scope ? { scope } : {}) } });
        const rescoped = await viaToken(unscoped, SYSTEM);
        assert.equal(rescoped.status, 201, JSON.stringify(rescoped.body));
        assert.deepEqual(rescoped.body.token.system, { all: true });
        assert.deepEqual(rescoped.body.token.methods, ['password', 'token']);
        const kept = await viaToken(token);
        assert.deepEqual(kept.body.token.system, { all: true });
        assert.equal((await viaToken(token, { project: { id: project } })).status, 401, 'alice has no role on the project');
        assert.equal((await viaToken(await tokenOf('carol', { project: { id: project } }), SYSTEM)).status, 401);
      });

      await t.test('/v3/auth/system: [{"all": true}] for the holders, themselves or through a group', async () => {
        const sys = async (name: string) => (await call('GET', '/v3/auth/system', undefined, { 'x-auth-token': await tokenOf(name, null) })).body;
        const a = await sys('alice');
        assert.deepEqual(a.system, [{ all: true }]);
        assert.equal(a.links.self, `${id.url}/v3/auth/system`);
        assert.deepEqual((await sys('bob')).system, [{ all: true }]);
        assert.deepEqual((await sys('carol')).system, []);
        assert.equal((await id.call('GET', '/v3/auth/system')).status, 401);
      });

      await t.test('role_assignments: system scope, scope.system=all, effective expansion, filters', async () => {
        const list = async (q: string) => {
          const r = await call('GET', `/v3/role_assignments?${q}`);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          return r.body.role_assignments as any[];
        };
        const system = await list('scope.system=all');
        assert.ok(system.every((a) => JSON.stringify(a.scope) === JSON.stringify({ system: { all: true } })));
        const aliceEntry = system.find((a) => a.user?.id === alice);
        assert.deepEqual(aliceEntry, {
          role: { id: member }, user: { id: alice }, scope: { system: { all: true } },
          links: { assignment: `${id.url}/v3/system/users/${alice}/roles/${member}` },
        });
        assert.deepEqual(system.find((a) => a.group)?.links.assignment, `${id.url}/v3/system/groups/${group}/roles/${reader}`);
        assert.equal(system.length, 3, 'admin, alice, the group');
        // unfiltered lists hold them; a project or domain filter leaves them out
        assert.ok((await list('')).some((a) => a.scope.system && a.user?.id === alice));
        assert.deepEqual((await list(`user.id=${alice}`)).map((a) => a.scope), [{ system: { all: true } }]);
        assert.equal((await list(`scope.project.id=${project}&user.id=${carol}`)).length, 1);
        assert.ok((await list(`scope.project.id=${project}`)).every((a) => !a.scope.system));
        assert.ok((await list('scope.domain.id=default')).every((a) => !a.scope.system));
        assert.equal((await list(`scope.system=all&role.id=${reader}`)).length, 1);
        // effective: the group's grant once per member, with the membership; implied roles
        const eff = await list(`scope.system=all&effective&user.id=${bob}`);
        assert.deepEqual(eff, [{
          role: { id: reader }, user: { id: bob }, scope: { system: { all: true } },
          links: { assignment: `${id.url}/v3/system/groups/${group}/roles/${reader}`, membership: `${id.url}/v3/groups/${group}/users/${bob}` },
        }]);
        assert.deepEqual((await list(`effective&user.id=${alice}`)).map((a) => a.role.id).sort(), [member, reader].sort());
        const names = await list(`scope.system=all&user.id=${alice}&include_names`);
        assert.deepEqual(names[0].scope, { system: { all: true } });
        assert.equal(names[0].role.name, 'member');
      });

      await t.test('policy: a system admin is an admin, a system reader looks, members are refused', async () => {
        const sysAdmin = { 'x-auth-token': await adminToken(SYSTEM) };
        const made = await call('POST', '/v3/projects', { project: { name: 'by-system' } }, sysAdmin);
        assert.equal(made.status, 201, JSON.stringify(made.body));
        assert.equal((await call('GET', '/v3/users', undefined, sysAdmin)).status, 200);
        assert.equal((await call('GET', '/v3/role_assignments', undefined, sysAdmin)).status, 200);
        assert.equal((await call('PUT', `/v3/system/users/${carol}/roles/${reader}`, undefined, sysAdmin)).status, 204);
        assert.equal((await call('DELETE', `/v3/system/users/${carol}/roles/${reader}`, undefined, sysAdmin)).status, 204);
        assert.equal((await call('DELETE', `/v3/projects/${made.body.project.id}`, undefined, sysAdmin)).status, 204);

        // alice: member (and so reader) on the system — Keystone's system reader may look at system grants only
        const sysReader = { 'x-auth-token': await tokenOf('alice') };
        assert.equal((await call('GET', `/v3/system/users/${alice}/roles`, undefined, sysReader)).status, 200);
        assert.equal((await call('HEAD', `/v3/system/groups/${group}/roles/${reader}`, undefined, sysReader)).status, 204);
        const before = await state(id);
        for (const [method, path, body, who] of [
          ['PUT', `/v3/system/users/${carol}/roles/${adminRole}`, undefined, sysReader],
          ['POST', '/v3/projects', { project: { name: 'evil' } }, sysReader],
          ['PUT', `/v3/system/users/${carol}/roles/${adminRole}`, undefined, { 'x-auth-token': await tokenOf('carol', { project: { id: project } }) }],
          ['PUT', `/v3/system/groups/${group}/roles/${adminRole}`, undefined, { 'x-auth-token': await tokenOf('carol', { project: { id: project } }) }],
          ['DELETE', `/v3/system/users/${alice}/roles/${member}`, undefined, { 'x-auth-token': await tokenOf('carol', { project: { id: project } }) }],
          ['GET', `/v3/system/users/${alice}/roles`, undefined, { 'x-auth-token': await tokenOf('carol', { project: { id: project } }) }],
        ] as const) {
          const r = await call(method, path, body, who);
          assert.equal(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.title, 'Forbidden');
        }
        assert.deepEqual(await state(id), before);
        assert.equal((await id.call('PUT', `/v3/system/users/${carol}/roles/${adminRole}`)).status, 401);
      });

      await t.test('the network API answers 401 to a system-scoped token (it names no project)', async () => {
        const net = keystoneAuth(id.server.tokens, `${id.url}/v3`);
        await assert.rejects(net.authenticate({ 'x-auth-token': await tokenOf('alice') }), AuthError);
      });

      await t.test('bad input: keystone 400 body, nothing changes', async () => {
        const before = await state(id);
        const bodies = [
          { system: { all: false } }, { system: 'x' }, { system: {} }, { system: { all: 'true' } }, { system: null },
          { system: { all: true }, project: { id: project } }, { system: { all: true }, domain: { id: 'default' } },
        ];
        for (const scope of bodies) {
          const r = await auth('alice', scope);
          assert.equal(r.status, 400, `${JSON.stringify(scope)}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'title']);
          assert.equal(r.body.error.title, 'Bad Request');
        }
        for (const q of [`scope.system=all&scope.project.id=${project}`, 'scope.system=all&scope.domain.id=default', 'scope.system=all&effective=maybe']) {
          const r = await call('GET', `/v3/role_assignments?${q}`);
          assert.equal(r.status, 400, `${q}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.title, 'Bad Request');
        }
        assert.deepEqual(await state(id), before);
      });

      await t.test('revocation: a revoked system grant takes the system-scoped tokens, not the others', async () => {
        assert.equal((await call('PUT', `/v3/projects/${project}/users/${alice}/roles/${member}`)).status, 204);
        const aliceSys = await tokenOf('alice');
        const aliceProject = await tokenOf('alice', { project: { id: project } });
        const aliceUnscoped = await tokenOf('alice', null);
        assert.equal((await call('DELETE', `/v3/system/users/${alice}/roles/${member}`)).status, 204);
        assert.equal(await valid(aliceSys), false);
        assert.equal(await valid(aliceProject), true);
        assert.equal(await valid(aliceUnscoped), true);
        assert.equal((await auth('alice', SYSTEM)).status, 401);
        assert.deepEqual((await call('GET', '/v3/auth/system', undefined, { 'x-auth-token': aliceUnscoped })).body.system, []);

        // a group's: every member's system tokens
        const bobSys = await tokenOf('bob');
        const other = await adminToken(SYSTEM);
        assert.equal((await call('DELETE', `/v3/system/groups/${group}/roles/${reader}`)).status, 204);
        assert.equal(await valid(bobSys), false);
        assert.equal(await valid(other), true);
        assert.equal(await valid(admin), true);
        assert.equal((await auth('bob', SYSTEM)).status, 401);
      });
    } finally {
      await id.close();
    }
  });
}
