// Keystone's OS-INHERIT: grants on a domain (or a project) inherited to its
// projects (or the projects below). The routes, the roles they give in tokens
// (not on the domain itself), role_assignments plain, effective and filtered,
// the revocations, the 404s, bad input (state unchanged), the policy, and
// migration 0007 keeping the grants made before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator, type Migration } from 'kysely';
import { openDatabase } from '../../src/common/db/index.js';
import { migrations, type Schema } from '../../src/schema.js';
import { defaultConfig } from '../../src/config.js';
import { effectiveRoles } from '../../src/identity/assignments.js';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

const INHERIT = '/v3/OS-INHERIT';

for (const backend of backends()) {
  test(`identity OS-INHERIT on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const h = { 'x-auth-token': await id.login() };
      const call = (method: string, path: string, body?: unknown) => id.call(method, path, body, h);
      const created = async (path: string, kind: string, body: Record<string, unknown>) => {
        const r = await call('POST', path, { [kind]: body });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body[kind].id as string;
      };
      const roleId = async (name: string) => (await call('GET', `/v3/roles?name=${name}`)).body.roles[0].id as string;
      const member = await roleId('member');
      const reader = await roleId('reader');
      const d = await created('/v3/domains', 'domain', { name: 'inh' });
      const p1 = await created('/v3/projects', 'project', { name: 'p1', domain_id: d });
      const leaf = await created('/v3/projects', 'project', { name: 'leaf', domain_id: d, parent_id: p1 });
      const p2 = await created('/v3/projects', 'project', { name: 'p2', domain_id: d });
      const elsewhere = await created('/v3/projects', 'project', { name: 'elsewhere' });
      const user = (name: string) => created('/v3/users', 'user', { name, password: `pw-${name}`, domain_id: d });
      const [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
      const group = await created('/v3/groups', 'group', { name: 'staff', domain_id: d });
      assert.equal((await call('PUT', `/v3/groups/${group}/users/${bob}`)).status, 204);

      const loginAs = (name: string, scope: { project?: string; domain?: string }) =>
        id.call('POST', '/v3/auth/tokens', {
          auth: {
            identity: { methods: ['password'], password: { user: { name, domain: { id: d }, password: `pw-${name}` } } },
            scope: scope.domain ? { domain: { id: scope.domain } } : { project: { id: scope.project } },
          },
        });
      const tokenOf = async (name: string, scope: { project?: string; domain?: string }) => {
        const r = await loginAs(name, scope);
        assert.equal(r.status, 201, `${name} ${JSON.stringify(scope)}: ${JSON.stringify(r.body)}`);
        return r.headers.get('x-subject-token')!;
      };
      const rolesIn = async (name: string, scope: { project?: string; domain?: string }) => {
        const r = await loginAs(name, scope);
        return r.status === 201 ? r.body.token.roles.map((x: any) => x.name).sort() : r.status;
      };
      const valid = async (token: string) => (await id.server.tokens.validate(token)) !== null;
      const projectsOf = async (u: string) => (await call('GET', `/v3/users/${u}/projects`)).body.projects.map((p: any) => p.id).sort();
      const aliceOnD = `${INHERIT}/domains/${d}/users/${alice}/roles/${member}/inherited_to_projects`;
      const groupOnD = `${INHERIT}/domains/${d}/groups/${group}/roles/${member}/inherited_to_projects`;
      const carolOnP1 = `${INHERIT}/projects/${p1}/users/${carol}/roles/${member}/inherited_to_projects`;

      await t.test('routes: assign, check, list, revoke; an inherited grant is not the direct one', async () => {
        for (const path of [aliceOnD, groupOnD, carolOnP1, `${INHERIT}/projects/${p1}/groups/${group}/roles/${reader}/inherited_to_projects`]) {
          assert.equal((await call('HEAD', path)).status, 404, path);
          assert.equal((await call('PUT', path)).status, 204, path);
          assert.equal((await call('PUT', path)).status, 204, path);
          assert.equal((await call('HEAD', path)).status, 204, path);
          assert.equal((await call('GET', path)).status, 204, path);
        }
        const list = await call('GET', `${INHERIT}/domains/${d}/users/${alice}/roles/inherited_to_projects`);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.roles.map((r: any) => r.id), [member]);
        assert.equal(list.body.links.self, `${id.url}${INHERIT}/domains/${d}/users/${alice}/roles/inherited_to_projects`);
        assert.deepEqual((await call('GET', `${INHERIT}/domains/${d}/groups/${group}/roles/inherited_to_projects`)).body.roles.map((r: any) => r.name), ['member']);
        // Keystone has no list of inherited grants on a project
        assert.equal((await call('GET', `${INHERIT}/projects/${p1}/users/${carol}/roles/inherited_to_projects`)).status, 404);

        // the direct grant is another one: absent, then both held, each revoked alone
        const direct = `/v3/domains/${d}/users/${alice}/roles/${member}`;
        assert.equal((await call('HEAD', direct)).status, 404);
        assert.deepEqual((await call('GET', `/v3/domains/${d}/users/${alice}/roles`)).body.roles, []);
        assert.equal((await call('PUT', direct)).status, 204);
        assert.equal((await call('DELETE', direct)).status, 204);
        assert.equal((await call('HEAD', aliceOnD)).status, 204);
        assert.equal((await call('HEAD', `${INHERIT}/projects/${p1}/users/${carol}/roles/${reader}/inherited_to_projects`)).status, 404);
        assert.equal((await call('HEAD', `/v3/projects/${p1}/users/${carol}/roles/${member}`)).status, 404);
      });

      await t.test('404s name what is missing', async () => {
        const cases: Array<[string, string, string]> = [
          ['PUT', `${INHERIT}/domains/nope/users/${alice}/roles/${member}/inherited_to_projects`, 'Could not find domain: nope.'],
          ['PUT', `${INHERIT}/domains/${d}/users/nope/roles/${member}/inherited_to_projects`, 'Could not find user: nope.'],
          ['PUT', `${INHERIT}/domains/${d}/groups/nope/roles/${member}/inherited_to_projects`, 'Could not find group: nope.'],
          ['PUT', `${INHERIT}/domains/${d}/users/${alice}/roles/nope/inherited_to_projects`, 'Could not find role: nope.'],
          ['PUT', `${INHERIT}/projects/nope/users/${alice}/roles/${member}/inherited_to_projects`, 'Could not find project: nope.'],
          ['GET', `${INHERIT}/domains/nope/users/${alice}/roles/inherited_to_projects`, 'Could not find domain: nope.'],
          ['DELETE', `${INHERIT}/domains/${d}/users/${bob}/roles/${member}/inherited_to_projects`, `Could not find role assignment: ${member} for user ${bob} on domain ${d} inherited to projects.`],
        ];
        const before = await identityState(id);
        for (const [method, path, message] of cases) {
          const r = await call(method, path);
          assert.deepEqual(r.body, { error: { code: 404, message, title: 'Not Found' } }, `${method} ${path}`);
        }
        assert.equal((await call('HEAD', `${INHERIT}/domains/${d}/users/${bob}/roles/${member}/inherited_to_projects`)).status, 404);
        assert.equal((await call('PUT', `${INHERIT}/domains/${d}/users/${alice}/roles/${member}`)).status, 404);
        assert.deepEqual(await identityState(id), before);
      });

      await t.test('tokens: the roles hold on every project below, not on the domain or the project itself', async () => {
        // alice (own grant) and bob (his group's) on each of the domain's projects
        for (const p of [p1, leaf, p2]) {
          assert.deepEqual(await rolesIn('alice', { project: p }), ['member', 'reader']);
          assert.deepEqual(await rolesIn('bob', { project: p }), ['member', 'reader']);
        }
        assert.equal(await rolesIn('alice', { domain: d }), 401);
        assert.equal(await rolesIn('bob', { domain: d }), 401);
        assert.deepEqual(await effectiveRoles(id.database.db, alice, 'domain', d), []);
        assert.deepEqual((await effectiveRoles(id.database.db, bob, 'project', leaf)).map((r) => r.name).sort(), ['member', 'reader']);
        // the group's reader grant inherited from p1 reaches leaf only; carol's member grant likewise
        assert.equal(await rolesIn('carol', { project: p1 }), 401);
        assert.deepEqual(await rolesIn('carol', { project: leaf }), ['member', 'reader']);
        assert.equal(await rolesIn('carol', { project: p2 }), 401);
        assert.equal(await rolesIn('alice', { project: elsewhere }), 401);

        assert.deepEqual(await projectsOf(alice), [p1, leaf, p2].sort());
        assert.deepEqual(await projectsOf(bob), [p1, leaf, p2].sort());
        assert.deepEqual(await projectsOf(carol), [leaf]);
        const tok = { 'x-auth-token': await tokenOf('alice', { project: p2 }) };
        assert.deepEqual((await id.call('GET', '/v3/auth/projects', undefined, tok)).body.projects.map((p: any) => p.id).sort(), [p1, leaf, p2].sort());
        assert.deepEqual((await id.call('GET', '/v3/auth/domains', undefined, tok)).body.domains, []);
      });

      await t.test('role_assignments: as granted, filtered, effective on each project', async () => {
        const list = async (query: string) => {
          const r = await call('GET', `/v3/role_assignments?${query}`);
          assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
          return r.body.role_assignments as any[];
        };
        assert.deepEqual(await list(`user.id=${alice}`), [
          { role: { id: member }, user: { id: alice }, scope: { domain: { id: d }, 'OS-INHERIT:inherited_to': 'projects' }, links: { assignment: `${id.url}${aliceOnD}` } },
        ]);
        assert.deepEqual((await list(`user.id=${carol}`))[0].scope, { project: { id: p1 }, 'OS-INHERIT:inherited_to': 'projects' });
        assert.equal((await list(`user.id=${alice}&scope.OS-INHERIT:inherited_to=projects`)).length, 1);
        assert.equal((await list(`user.id=${alice}&scope.OS-INHERIT:inherited_to=other`)).length, 0);
        assert.equal((await list(`scope.domain.id=${d}`)).length, 2);
        const inheritedOnly = await list('scope.OS-INHERIT:inherited_to=projects');
        assert.equal(inheritedOnly.length, 4);
        assert.ok(inheritedOnly.every((a) => a.scope['OS-INHERIT:inherited_to'] === 'projects'));
        assert.ok((await list('scope.OS-INHERIT:inherited_to=no')).every((a) => a.scope['OS-INHERIT:inherited_to'] === undefined));

        // effective: alice's member (and reader, implied) on each of the domain's projects, from the domain grant
        const eff = await list(`user.id=${alice}&effective`);
        assert.deepEqual(eff.map((a) => `${a.scope.project.id} ${a.role.id}`).sort(), [p1, leaf, p2].flatMap((p) => [`${p} ${member}`, `${p} ${reader}`]).sort());
        for (const a of eff) {
          assert.equal(a.scope['OS-INHERIT:inherited_to'], 'projects');
          assert.equal(a.links.assignment, `${id.url}${aliceOnD}`);
        }
        // bob: through the group, with the membership linked; reader inherited from p1 onto leaf
        const onLeaf = await list(`user.id=${bob}&effective&scope.project.id=${leaf}&include_names`);
        assert.deepEqual(onLeaf.map((a) => a.role.name).sort(), ['member', 'reader', 'reader']);
        const fromP1 = onLeaf.find((a) => a.links.assignment.includes(`/projects/${p1}/`));
        assert.deepEqual(fromP1.links, {
          assignment: `${id.url}${INHERIT}/projects/${p1}/groups/${group}/roles/${reader}/inherited_to_projects`,
          membership: `${id.url}/v3/groups/${group}/users/${bob}`,
        });
        assert.deepEqual(fromP1.scope, { project: { id: leaf, name: 'leaf', domain: { id: d, name: 'inh' } }, 'OS-INHERIT:inherited_to': 'projects' });
        assert.equal((await list(`user.id=${bob}&effective&scope.project.id=${p1}`)).length, 2);
        assert.equal((await list(`user.id=${bob}&effective&scope.project.id=${leaf}&scope.OS-INHERIT:inherited_to=no`)).length, 0);
        assert.equal((await list(`effective&scope.project.id=${leaf}&role.id=${member}`)).length, 3);
        // a domain holds nothing inherited
        assert.equal((await list(`user.id=${alice}&effective&scope.domain.id=${d}`)).length, 0);
        const unknown = await call('GET', '/v3/role_assignments?effective&scope.project.id=nope');
        assert.deepEqual(unknown.body.error, { code: 404, message: 'Could not find project: nope.', title: 'Not Found' });
      });

      await t.test('bad input: keystone 400 body, nothing changes', async () => {
        const before = await identityState(id);
        for (const path of [
          `/v3/role_assignments?effective&scope.domain.id=${d}&scope.OS-INHERIT:inherited_to=projects`,
          `/v3/role_assignments?effective&group.id=${group}&scope.OS-INHERIT:inherited_to=projects`,
          `/v3/role_assignments?scope.OS-INHERIT:inherited_to=projects&scope.domain.id=${d}&scope.project.id=${p1}`,
          `/v3/role_assignments?scope.OS-INHERIT:inherited_to=projects&effective=maybe`,
        ]) {
          const r = await call('GET', path);
          assert.equal(r.status, 400, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'title']);
        }
        const bodyIgnored = await call('PUT', `${INHERIT}/domains/${d}/users/${alice}/roles/nope/inherited_to_projects`, '{"broken');
        assert.equal(bodyIgnored.status, 400);
        assert.deepEqual(await identityState(id), before);
      });

      await t.test('policy: a member is refused the OS-INHERIT calls', async () => {
        const m = { 'x-auth-token': await tokenOf('alice', { project: p1 }) };
        for (const [method, path] of [
          ['PUT', `${INHERIT}/domains/${d}/users/${bob}/roles/${member}/inherited_to_projects`], ['HEAD', aliceOnD], ['GET', aliceOnD],
          ['DELETE', aliceOnD], ['GET', `${INHERIT}/domains/${d}/users/${alice}/roles/inherited_to_projects`],
          ['PUT', `${INHERIT}/projects/${p1}/users/${alice}/roles/${member}/inherited_to_projects`], ['DELETE', carolOnP1],
          ['GET', `/v3/role_assignments?scope.OS-INHERIT:inherited_to=projects`],
        ] as const) {
          const r = await id.call(method, path, undefined, m);
          assert.equal(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
          if (method !== 'HEAD') assert.equal(r.body.error.title, 'Forbidden');
        }
        assert.equal((await id.call('PUT', aliceOnD)).status, 401);
        assert.equal((await call('HEAD', `${INHERIT}/domains/${d}/users/${bob}/roles/${member}/inherited_to_projects`)).status, 404);
      });

      await t.test('revocation: revoking an inherited grant revokes the tokens it gave roles to', async () => {
        const aliceTok = await tokenOf('alice', { project: leaf });
        const bobTok = await tokenOf('bob', { project: p2 });
        const carolTok = await tokenOf('carol', { project: leaf });
        const admin = h['x-auth-token'];
        assert.equal((await call('DELETE', aliceOnD)).status, 204);
        assert.equal(await valid(aliceTok), false);
        assert.equal(await valid(bobTok), true);
        assert.equal(await rolesIn('alice', { project: leaf }), 401);
        assert.equal((await call('DELETE', aliceOnD)).status, 404);

        assert.equal((await call('DELETE', groupOnD)).status, 204);
        assert.equal(await valid(bobTok), false);
        assert.deepEqual(await rolesIn('bob', { project: leaf }), ['reader']); // still inherited from p1

        assert.equal((await call('DELETE', carolOnP1)).status, 204);
        assert.equal(await valid(carolTok), false);
        assert.equal(await valid(admin), true);
        assert.deepEqual(await projectsOf(carol), []);
      });

      await t.test('deleting the group, the project or the domain takes inherited grants', async () => {
        const db = id.database.db;
        assert.equal((await call('PUT', aliceOnD)).status, 204);
        assert.equal((await call('DELETE', `/v3/groups/${group}`)).status, 204);
        assert.equal((await db.selectFrom('role_assignments').selectAll().where('actor_id', '=', group).execute()).length, 0);
        assert.equal((await call('PUT', carolOnP1)).status, 204);
        assert.equal((await call('DELETE', `/v3/projects/${leaf}`)).status, 204);
        assert.equal((await call('DELETE', `/v3/projects/${p1}`)).status, 204);
        assert.equal((await db.selectFrom('role_assignments').selectAll().where('target_id', '=', p1).execute()).length, 0);
        assert.equal((await call('PATCH', `/v3/domains/${d}`, { domain: { enabled: false } })).status, 200);
        assert.equal((await call('DELETE', `/v3/domains/${d}`)).status, 204);
        assert.equal((await db.selectFrom('role_assignments').selectAll().where('target_id', '=', d).execute()).length, 0);
      });
    } finally {
      await id.close();
    }
  });

  test(`migration 0007 keeps the grants made before it, on ${backend.name}`, async () => {
    const fresh = await backend.fresh();
    const cfg = { ...defaultConfig(), data_dir: fresh.dataDir, database_url: fresh.databaseUrl ?? '' };
    const database = await openDatabase<Schema>(cfg);
    try {
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async (): Promise<Record<string, Migration>> => migrations } });
      assert.equal((await migrator.migrateTo('0006_identity_project_tags')).error, undefined);
      const db = database.db as any;
      await db.insertInto('domains').values({ id: 'd', name: 'd', description: '', enabled: 1, extra: '{}', created_at: 'now' }).execute();
      await db.insertInto('roles').values({ id: 'r', name: 'r', domain_id: null, description: '', options: '{}', extra: '{}' }).execute();
      await db.insertInto('role_assignments').values({ target_type: 'domain', actor_type: 'group', actor_id: 'g', target_id: 'd', role_id: 'r' }).execute();
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      assert.deepEqual(await database.db.selectFrom('role_assignments').selectAll().execute(), [
        { target_type: 'domain', actor_type: 'group', actor_id: 'g', target_id: 'd', role_id: 'r', inherited: 0 },
      ]);
      // the inherited grant is another row; the same one twice is not
      const row = { target_type: 'domain', actor_type: 'group', actor_id: 'g', target_id: 'd', role_id: 'r', inherited: 1 };
      await database.db.insertInto('role_assignments').values(row).execute();
      await assert.rejects(database.db.insertInto('role_assignments').values(row).execute());
      await database.db.deleteFrom('roles').execute();
      assert.equal((await database.db.selectFrom('role_assignments').selectAll().execute()).length, 0);
    } finally {
      await database.close();
      await fresh.cleanup();
    }
  });
}
