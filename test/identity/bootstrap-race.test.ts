// Two servers starting at once on one new PostgreSQL database (several hosts
// sharing one cloud) must bootstrap it once between them. In-process SQLite
// cannot show this: better-sqlite3 waits for a lock synchronously, so two
// connections in one process would block each other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config.js';
import { migrate, openDatabase } from '../../src/common/db/index.js';
import { bootstrap } from '../../src/identity/bootstrap.js';
import { backends } from '../support/backends.js';
import { migrations, type Schema } from '../../src/schema.js';

const pg = backends().find((b) => b.name === 'postgres');

test('identity: two servers bootstrapping one new PostgreSQL database make one cloud', { skip: pg ? false : 'needs PostgreSQL (CLOUDLET_TEST_DATABASE_URL; mandatory in CI)' }, async () => {
  const fresh = await pg!.fresh();
  const cfg = defaultConfig();
  cfg.data_dir = fresh.dataDir;
  cfg.database_url = fresh.databaseUrl ?? '';
  cfg.identity.password_hash_rounds = 4;
  const a = await openDatabase<Schema>(cfg);
  const b = await openDatabase<Schema>(cfg);
  try {
    await migrate(a, migrations);
    const urls = { identity: 'http://127.0.0.1:35357', network: 'http://127.0.0.1:9696', registry: 'http://127.0.0.1:5000' };
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([bootstrap(a, cfg, urls), bootstrap(b, cfg, urls)]);
      const passwords = results.filter((r) => r.adminPassword !== undefined);
      assert.equal(passwords.length, round === 0 ? 1 : 0, 'one of them made the admin user, on the first round only');
      const count = async (t: 'domains' | 'projects' | 'users' | 'roles' | 'regions' | 'services' | 'endpoints' | 'role_assignments') =>
        Number((await a.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      assert.deepEqual(
        { domains: await count('domains'), projects: await count('projects'), users: await count('users'), roles: await count('roles'), regions: await count('regions'), services: await count('services'), endpoints: await count('endpoints'), grants: await count('role_assignments') },
        // admin's and the agents' service user's
        { domains: 1, projects: 2, users: 2, roles: 4, regions: 1, services: 3, endpoints: 9, grants: 3 },
      );
    }
  } finally {
    await a.close();
    await b.close();
    await fresh.cleanup();
  }
});
