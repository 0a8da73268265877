// Keystone v3 groups: CRUD, membership, group grants (the members' tokens
// carry the roles), role_assignments (direct and effective), the revocations
// Keystone makes, the policy (a member is refused admin calls) and bad input
// (keystone's 400 body, state unchanged).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveRoles, grantedTargets } from '../../src/identity/assignments.js';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

/** every identity table, groups' included */
async function state(id: RunningIdentity) {
  const db = id.database.db;
  return {
    ...(await identityState(id)),
    groups: await db.selectFrom('groups').selectAll().orderBy('id').execute(),
    user_group_membership: await db.selectFrom('user_group_membership').selectAll().orderBy('user_id').orderBy('group_id').execute(),
  };
}

for (const backend of backends()) {
  test(`identity groups on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const admin = await id.login();
      const h = { 'x-auth-token': admin };
      const call = (method: string, path: string, body?: unknown) => id.call(method, path, body, h);
      const roleId = async (name: string) => (await call('GET', `/v3/roles?name=${name}`)).body.roles[0].id as string;
      const member = await roleId('member');
      const reader = await roleId('reader');
      const d2 = (await call('POST', '/v3/domains', { domain: { name: 'd2' } })).body.domain.id as string;
      const project = (await call('POST', '/v3/projects', { project: { name: 'gp' } })).body.project.id as string;
      const alice = (await call('POST', '/v3/users', { user: { name: 'alice', password: 'pw-a' } })).body.user.id as string;
      const bob = (await call('POST', '/v3/users', { user: { name: 'bob', password: 'pw-b', domain_id: d2 } })).body.user.id as string;
      const loginAs = (name: 'alice' | 'bob', scope: { project?: string | null; domain?: string } = { project: 'gp' }) =>
        id.call('POST', '/v3/auth/tokens', {
          auth: {
            identity: { methods: ['password'], password: { user: { name, domain: { id: name === 'alice' ? 'default' : d2 }, password: name === 'alice' ? 'pw-a' : 'pw-b' } } },
            ...(scope.domain ? { scope: { domain: { id: scope.domain } } } : scope.project ? { scope: { project: { name: scope.project, domain: { id: 'default' } } } } : {}),
          },
        });
      const tokenOf = async (name: 'alice' | 'bob', scope?: { project?: string | null; domain?: string }) => {
        const r = await loginAs(name, scope);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.headers.get('x-subject-token')!;
      };
      const valid = async (token: string) => (await id.server.tokens.validate(token)) !== null;

      let group = '';
      await t.test('CRUD: defaults, extra attributes, filters, 404', async () => {
        const g = await call('POST', '/v3/groups', { group: { name: ' staff ', description: 'the staff', project_id: 'kept' } });
        assert.equal(g.status, 201, JSON.stringify(g.body));
        group = g.body.group.id;
        assert.deepEqual(
          { ...g.body.group, id: undefined, links: undefined },
          { id: undefined, name: 'staff', description: 'the staff', domain_id: 'default', project_id: 'kept', links: undefined },
        );
        assert.equal(g.body.group.links.self, `${id.url}/v3/groups/${group}`);
        const noDesc = await call('POST', '/v3/groups', { group: { name: 'other', domain_id: d2 } });
        assert.equal(noDesc.body.group.description, '');
        assert.equal((await call('GET', `/v3/groups/${group}`)).body.group.name, 'staff');
        assert.deepEqual((await call('GET', '/v3/groups?name=staff')).body.groups.map((x: any) => x.id), [group]);
        assert.deepEqual((await call('GET', `/v3/groups?domain_id=${d2}`)).body.groups.map((x: any) => x.name), ['other']);
        assert.equal((await call('GET', '/v3/groups')).body.groups.length, 2);

        const upd = await call('PATCH', `/v3/groups/${group}`, { group: { name: 'staff2', description: 'new' } });
        assert.equal(upd.status, 200);
        assert.equal(upd.body.group.description, 'new');
        const nameOnly = await call('PATCH', `/v3/groups/${group}`, { group: { name: 'staff' } });
        assert.deepEqual([nameOnly.body.group.name, nameOnly.body.group.description, nameOnly.body.group.domain_id], ['staff', 'new', 'default']);

        const missing = await call('GET', '/v3/groups/nope');
        assert.deepEqual(missing.body, { error: { code: 404, message: 'Could not find group: nope.', title: 'Not Found' } });
        assert.equal((await call('POST', '/v3/groups', { group: { name: 'x', domain_id: 'nowhere' } })).status, 404);
        const gone = (await call('POST', '/v3/groups', { group: { name: 'gone' } })).body.group.id;
        assert.equal((await call('DELETE', `/v3/groups/${gone}`)).status, 204);
        assert.equal((await call('GET', `/v3/groups/${gone}`)).status, 404);
        assert.equal((await call('DELETE', `/v3/groups/${gone}`)).status, 404);
      });

      await t.test('duplicates: one name per domain (409)', async () => {
        const dup = await call('POST', '/v3/groups', { group: { name: 'staff' } });
        assert.equal(dup.status, 409);
        assert.equal(dup.body.error.title, 'Conflict');
        const elsewhere = await call('POST', '/v3/groups', { group: { name: 'staff', domain_id: d2 } });
        assert.equal(elsewhere.status, 201);
        const other = (await call('POST', '/v3/groups', { group: { name: 'temp' } })).body.group.id;
        assert.equal((await call('PATCH', `/v3/groups/${other}`, { group: { name: 'staff' } })).status, 409);
        assert.equal((await call('DELETE', `/v3/groups/${other}`)).status, 204);
      });

      await t.test('membership: add, check, list both ways, 404s naming what is missing', async () => {
        for (const u of [alice, bob]) {
          assert.equal((await call('PUT', `/v3/groups/${group}/users/${u}`)).status, 204); // bob is of another domain: allowed, as Keystone
          assert.equal((await call('PUT', `/v3/groups/${group}/users/${u}`)).status, 204);
          assert.equal((await call('HEAD', `/v3/groups/${group}/users/${u}`)).status, 204);
          assert.equal((await call('GET', `/v3/groups/${group}/users/${u}`)).status, 204);
        }
        const users = await call('GET', `/v3/groups/${group}/users`);
        assert.deepEqual(users.body.users.map((u: any) => u.name).sort(), ['alice', 'bob']);
        assert.equal(JSON.stringify(users.body).includes('password_hash'), false);
        assert.deepEqual((await call('GET', `/v3/groups/${group}/users?domain_id=${d2}`)).body.users.map((u: any) => u.id), [bob]);
        const groups = await call('GET', `/v3/users/${alice}/groups`);
        assert.equal(groups.body.groups.length, 1);
        assert.equal(groups.body.groups[0].id, group);
        assert.equal(groups.body.groups[0].membership_expires_at, null);

        const g404 = await call('PUT', `/v3/groups/nope/users/${alice}`);
        assert.deepEqual(g404.body.error, { code: 404, message: 'Could not find group: nope.', title: 'Not Found' });
        assert.equal((await call('PUT', `/v3/groups/${group}/users/nope`)).body.error.message, 'Could not find user: nope.');
        assert.equal((await call('GET', `/v3/groups/nope/users`)).status, 404);
        assert.equal((await call('GET', `/v3/users/nope/groups`)).status, 404);
        const admin = (await call('GET', '/v3/users?name=admin')).body.users[0].id;
        const notIn = await call('GET', `/v3/groups/${group}/users/${admin}`);
        assert.deepEqual(notIn.body.error, { code: 404, message: `User '${admin}' not found in group '${group}'`, title: 'Not Found' });
        assert.equal((await call('HEAD', `/v3/groups/${group}/users/${admin}`)).status, 404);
        assert.equal((await call('DELETE', `/v3/groups/${group}/users/${admin}`)).status, 404);
      });

      await t.test('group grants: the members hold the roles (tokens, projects, effectiveRoles)', async () => {
        assert.equal((await loginAs('alice')).status, 401); // no role on gp yet
        const path = `/v3/projects/${project}/groups/${group}/roles/${member}`;
        assert.equal((await call('HEAD', path)).status, 404);
        assert.equal((await call('PUT', path)).status, 204);
        assert.equal((await call('PUT', path)).status, 204);
        assert.equal((await call('HEAD', path)).status, 204);
        assert.equal((await call('GET', path)).status, 204);
        assert.deepEqual((await call('GET', `/v3/projects/${project}/groups/${group}/roles`)).body.roles.map((r: any) => r.name), ['member']);
        // a group grant is not the user's own grant
        assert.equal((await call('HEAD', `/v3/projects/${project}/users/${alice}/roles/${member}`)).status, 404);
        assert.equal((await call('PUT', `/v3/projects/${project}/groups/nope/roles/${member}`)).body.error.message, 'Could not find group: nope.');

        const r = await loginAs('alice');
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.deepEqual(r.body.token.roles.map((x: any) => x.name).sort(), ['member', 'reader']);
        assert.deepEqual((await effectiveRoles(id.database.db, bob, 'project', project)).map((x) => x.name).sort(), ['member', 'reader']);
        assert.deepEqual((await call('GET', `/v3/users/${alice}/projects`)).body.projects.map((p: any) => p.id), [project]);
        // what /v3/auth/projects asks, and answers
        const targets = await id.database.db.selectFrom('projects').select('id').where('id', 'in', grantedTargets(id.database.db, alice, 'project')).execute();
        assert.deepEqual(targets.map((p) => p.id), [project]);
        const aliceToken = r.headers.get('x-subject-token')!;
        assert.deepEqual((await id.call('GET', '/v3/auth/projects', undefined, { 'x-auth-token': aliceToken })).body.projects.map((p: any) => p.id), [project]);

        assert.equal((await call('PUT', `/v3/domains/default/groups/${group}/roles/${reader}`)).status, 204);
        assert.deepEqual((await call('GET', `/v3/domains/default/groups/${group}/roles`)).body.roles.map((x: any) => x.name), ['reader']);
        const dom = await loginAs('alice', { domain: 'default' });
        assert.equal(dom.status, 201, JSON.stringify(dom.body));
        assert.deepEqual(dom.body.token.roles.map((x: any) => x.name), ['reader']);
        const domains = await id.call('GET', '/v3/auth/domains', undefined, { 'x-auth-token': dom.headers.get('x-subject-token')! });
        assert.deepEqual(domains.body.domains.map((d: any) => d.id), ['default']);
      });

      await t.test('role_assignments: group entries, group.id filter, effective expands to members', async () => {
        const byGroup = (await call('GET', `/v3/role_assignments?group.id=${group}`)).body.role_assignments;
        assert.equal(byGroup.length, 2);
        const onProject = byGroup.find((a: any) => a.scope.project);
        assert.deepEqual(onProject, {
          role: { id: member }, group: { id: group }, scope: { project: { id: project } },
          links: { assignment: `${id.url}/v3/projects/${project}/groups/${group}/roles/${member}` },
        });
        assert.equal((await call('GET', `/v3/role_assignments?user.id=${alice}`)).body.role_assignments.length, 0);

        const eff = (await call('GET', `/v3/role_assignments?user.id=${alice}&effective`)).body.role_assignments;
        // member (with reader implied) on the project, reader on the domain
        assert.equal(eff.length, 3);
        for (const a of eff) {
          assert.deepEqual(a.user, { id: alice });
          assert.equal(a.group, undefined);
          assert.equal(a.links.membership, `${id.url}/v3/groups/${group}/users/${alice}`);
        }
        const implied = eff.find((a: any) => a.role.id === reader && a.scope.project);
        assert.equal(implied.links.assignment, `${id.url}/v3/projects/${project}/groups/${group}/roles/${member}`);
        const onP = (await call('GET', `/v3/role_assignments?scope.project.id=${project}&effective&role.id=${member}`)).body.role_assignments;
        assert.deepEqual(onP.map((a: any) => a.user.id).sort(), [alice, bob].sort());

        const named = (await call('GET', `/v3/role_assignments?group.id=${group}&include_names`)).body.role_assignments[0];
        assert.deepEqual(named.group, { id: group, name: 'staff', domain: { id: 'default', name: 'Default' } });

        // as Keystone: a domain-specific role is listed as granted, never as held (nor in tokens)
        const dr = (await call('POST', '/v3/roles', { role: { name: 'dr', domain_id: 'default' } })).body.role.id;
        const drPath = `/v3/projects/${project}/groups/${group}/roles/${dr}`;
        assert.equal((await call('PUT', drPath)).status, 204);
        assert.equal((await call('GET', `/v3/role_assignments?group.id=${group}&role.id=${dr}`)).body.role_assignments.length, 1);
        assert.equal((await call('GET', `/v3/role_assignments?user.id=${alice}&effective&role.id=${dr}`)).body.role_assignments.length, 0);
        assert.deepEqual((await loginAs('alice')).body.token.roles.map((x: any) => x.name).sort(), ['member', 'reader']);
        assert.equal((await call('DELETE', drPath)).status, 204);
      });

      await t.test('bad input: keystone 400 body, nothing changes', async () => {
        const before = await state(id);
        const cases: Array<[string, string, unknown]> = [
          ['POST', '/v3/groups', { group: {} }],
          ['POST', '/v3/groups', { group: { name: '' } }],
          ['POST', '/v3/groups', { group: { name: '   ' } }],
          ['POST', '/v3/groups', { group: { name: 'x'.repeat(65) } }],
          ['POST', '/v3/groups', { group: { name: 42 } }],
          ['POST', '/v3/groups', { group: { name: 'ok', description: 5 } }],
          ['POST', '/v3/groups', { group: { name: 'ok', id: 'chosen' } }],
          ['POST', '/v3/groups', { group: 'x' }],
          ['POST', '/v3/groups', { name: 'ok' }],
          ['POST', '/v3/groups', '{"group": '],
          ['PATCH', `/v3/groups/${group}`, { group: {} }],
          ['PATCH', `/v3/groups/${group}`, { group: { name: ' ' } }],
          ['PATCH', `/v3/groups/${group}`, { group: { domain_id: d2 } }],
          ['PATCH', `/v3/groups/${group}`, { group: { id: 'other' } }],
          ['GET', `/v3/role_assignments?user.id=${alice}&group.id=${group}`, undefined],
          ['GET', `/v3/role_assignments?group.id=${group}&effective`, undefined],
          ['GET', `/v3/role_assignments?scope.project.id=${project}&scope.domain.id=default`, undefined],
          ['GET', `/v3/groups/${group}/users?enabled=maybe`, undefined],
        ];
        for (const [method, path, body] of cases) {
          const r = await call(method, path, body);
          assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'title']);
          assert.equal(r.body.error.title, 'Bad Request');
        }
        assert.deepEqual(await state(id), before);
      });

      await t.test('policy: a member is refused admin calls, may list its own groups', async () => {
        const m = { 'x-auth-token': await tokenOf('alice') };
        for (const [method, path, body] of [
          ['GET', '/v3/groups', undefined], ['POST', '/v3/groups', { group: { name: 'evil' } }], ['GET', `/v3/groups/${group}`, undefined],
          ['PATCH', `/v3/groups/${group}`, { group: { name: 'evil' } }], ['DELETE', `/v3/groups/${group}`, undefined],
          ['GET', `/v3/groups/${group}/users`, undefined], ['HEAD', `/v3/groups/${group}/users/${alice}`, undefined],
          ['PUT', `/v3/groups/${group}/users/${alice}`, undefined], ['DELETE', `/v3/groups/${group}/users/${bob}`, undefined],
          ['PUT', `/v3/projects/${project}/groups/${group}/roles/${member}`, undefined], ['GET', `/v3/role_assignments?group.id=${group}`, undefined],
          ['GET', `/v3/users/${bob}/groups`, undefined],
        ] as const) {
          const r = await id.call(method, path, body, m);
          assert.equal(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
          if (method !== 'HEAD') assert.equal(r.body.error.title, 'Forbidden');
        }
        assert.equal((await id.call('GET', `/v3/users/${alice}/groups`, undefined, m)).status, 200);
        assert.equal((await id.call('GET', '/v3/groups')).status, 401);
      });

      await t.test('revocation: leaving the group, a revoked group grant, a deleted group', async () => {
        const aliceTok = await tokenOf('alice');
        const bobTok = await tokenOf('bob');
        assert.equal((await call('DELETE', `/v3/groups/${group}/users/${alice}`)).status, 204);
        assert.equal(await valid(aliceTok), false);
        assert.equal(await valid(bobTok), true);
        assert.equal((await loginAs('alice')).status, 401); // the role came from the group only
        assert.equal((await call('DELETE', `/v3/groups/${group}/users/${alice}`)).status, 404);

        assert.equal((await call('DELETE', `/v3/projects/${project}/groups/${group}/roles/${member}`)).status, 204);
        assert.equal(await valid(bobTok), false);
        assert.equal(await valid(admin), true);
        assert.equal((await call('DELETE', `/v3/projects/${project}/groups/${group}/roles/${member}`)).status, 404);

        // a group with a grant: deleting it revokes its members' tokens; one without grants revokes nothing
        assert.equal((await call('PUT', `/v3/projects/${project}/groups/${group}/roles/${member}`)).status, 204);
        const bobAgain = await tokenOf('bob');
        const plain = (await call('POST', '/v3/groups', { group: { name: 'plain' } })).body.group.id;
        assert.equal((await call('PUT', `/v3/groups/${plain}/users/${alice}`)).status, 204);
        assert.equal((await call('PUT', `/v3/projects/${project}/users/${alice}/roles/${member}`)).status, 204);
        const aliceAgain = await tokenOf('alice');
        assert.equal((await call('DELETE', `/v3/groups/${plain}`)).status, 204);
        assert.equal(await valid(aliceAgain), true);
        assert.equal((await call('DELETE', `/v3/groups/${group}`)).status, 204);
        assert.equal(await valid(bobAgain), false);
        const db = id.database.db;
        assert.equal((await db.selectFrom('role_assignments').selectAll().where('actor_type', '=', 'group').execute()).length, 0);
        assert.equal((await db.selectFrom('user_group_membership').selectAll().execute()).length, 0);
      });

      await t.test('deleting a user, a project or a domain takes memberships and group grants', async () => {
        const db = id.database.db;
        const g = (await call('POST', '/v3/groups', { group: { name: 'cascade' } })).body.group.id;
        const carol = (await call('POST', '/v3/users', { user: { name: 'carol' } })).body.user.id;
        const p2 = (await call('POST', '/v3/projects', { project: { name: 'p2' } })).body.project.id;
        assert.equal((await call('PUT', `/v3/groups/${g}/users/${carol}`)).status, 204);
        assert.equal((await call('PUT', `/v3/projects/${p2}/groups/${g}/roles/${member}`)).status, 204);
        assert.equal((await call('DELETE', `/v3/users/${carol}`)).status, 204);
        assert.equal((await call('GET', `/v3/groups/${g}/users`)).body.users.length, 0);
        assert.equal((await call('DELETE', `/v3/projects/${p2}`)).status, 204);
        assert.equal((await call('GET', `/v3/role_assignments?group.id=${g}`)).body.role_assignments.length, 0);

        const d3 = (await call('POST', '/v3/domains', { domain: { name: 'd3' } })).body.domain.id;
        const g3 = (await call('POST', '/v3/groups', { group: { name: 'g3', domain_id: d3 } })).body.group.id;
        const dave = (await call('POST', '/v3/users', { user: { name: 'dave', domain_id: d3 } })).body.user.id;
        assert.equal((await call('PUT', `/v3/groups/${g3}/users/${dave}`)).status, 204);
        assert.equal((await call('PUT', `/v3/groups/${g3}/users/${alice}`)).status, 204);
        // the d3 group's grant on a project outside d3 goes with the domain, and so do its members' tokens
        assert.equal((await call('PUT', `/v3/projects/${project}/groups/${g3}/roles/${member}`)).status, 204);
        const viaG3 = await tokenOf('alice');
        assert.equal((await call('PATCH', `/v3/domains/${d3}`, { domain: { enabled: false } })).status, 200);
        assert.equal((await call('DELETE', `/v3/domains/${d3}`)).status, 204);
        assert.equal((await call('GET', `/v3/role_assignments?group.id=${g3}`)).body.role_assignments.length, 0);
        assert.equal(await valid(viaG3), false);
        assert.equal((await call('GET', `/v3/groups/${g3}`)).status, 404);
        assert.equal((await db.selectFrom('user_group_membership').selectAll().where('group_id', '=', g3).execute()).length, 0);
        assert.equal((await call('GET', `/v3/users/${alice}/groups`)).body.groups.length, 0);
      });
    } finally {
      await id.close();
    }
  });
}
