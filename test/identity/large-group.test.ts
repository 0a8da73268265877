// Revoking what a large group holds writes a revocation event per member: more
// events than one SQL statement may bind (SQLite ~32k values, ~3.6k events)
// must still revoke, not answer 500 and leave the grant in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';

const MEMBERS = 4000;

for (const backend of backends()) {
  test(`identity: a group of ${MEMBERS} loses a grant, on ${backend.name}`, async () => {
    const id = await startIdentity(backend);
    try {
      const h = { 'x-auth-token': await id.login() };
      const g = (await id.call('POST', '/v3/groups', { group: { name: 'crowd' } }, h)).body.group.id as string;
      const p = (await id.call('POST', '/v3/projects', { project: { name: 'crowd-p' } }, h)).body.project.id as string;
      const member = (await id.call('GET', '/v3/roles?name=member', undefined, h)).body.roles[0].id as string;
      // the members are written straight to the tables: 4000 API calls with bcrypt would only slow the suite
      const now = new Date().toISOString();
      const users = Array.from({ length: MEMBERS }, (_, i) => ({
        id: `crowd${String(i).padStart(5, '0')}`, name: `crowd-${i}`, domain_id: 'default', enabled: 1, password_hash: null,
        default_project_id: null, options: '{}', extra: '{}', created_at: now,
      }));
      for (let i = 0; i < users.length; i += 500) {
        await id.database.db.insertInto('users').values(users.slice(i, i + 500)).execute();
        await id.database.db.insertInto('user_group_membership').values(users.slice(i, i + 500).map((u) => ({ user_id: u.id, group_id: g }))).execute();
      }
      const grant = `/v3/projects/${p}/groups/${g}/roles/${member}`;
      assert.equal((await id.call('PUT', grant, undefined, h)).status, 204);
      const before = await id.database.db.selectFrom('revocation_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const r = await id.call('DELETE', grant, undefined, h);
      assert.equal(r.status, 204, JSON.stringify(r.body));
      assert.equal((await id.call('HEAD', grant, undefined, h)).status, 404);
      const after = await id.database.db.selectFrom('revocation_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(after.n) - Number(before.n), MEMBERS, 'one event per member');
    } finally {
      await id.close();
    }
  });
}
