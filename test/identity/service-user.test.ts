// The agents' service user: bootstrap makes a `service` project and role and the
// user cloudlet-agent holding it there, with a generated password only in
// <data dir>/agent-password (0600). Every start leaves it alone; a lost file gets a
// new password, and the old one stops working.
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { bootstrap } from '../../src/identity/bootstrap.js';
import { AGENT_USER, agentPasswordFile, readAgentPassword, SERVICE_PROJECT } from '../../src/identity/service-user.js';
import { backends } from '../support/backends.js';
import { startIdentity } from '../support/identity-server.js';

for (const backend of backends()) {
  test(`identity: bootstrap makes the agents' service user, password in a private file (${backend.name})`, async (t) => {
    const old = process.umask(0);
    let idp;
    try {
      // the worst umask: the mode must come from cloudlet
      idp = await startIdentity(backend);
    } finally {
      process.umask(old);
    }
    t.after(() => idp.close());
    const file = agentPasswordFile(idp.cfg.data_dir);
    const urls = { identity: idp.url, network: 'http://127.0.0.1:9696', registry: 'http://127.0.0.1:5000' };
    const login = (password: string) =>
      idp.call('POST', '/v3/auth/tokens', {
        auth: {
          identity: { methods: ['password'], password: { user: { name: AGENT_USER, domain: { name: 'Default' }, password } } },
          scope: { project: { name: SERVICE_PROJECT, domain: { name: 'Default' } } },
        },
      });

    const first = readAgentPassword(file)!;
    await t.test('the file is 0600 and its password logs in to project service with role service', async () => {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(first.length >= 20);
      const r = await login(first);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.token.project.name, 'service');
      assert.deepEqual(r.body.token.roles.map((x: { name: string }) => x.name), ['service']);
    });

    await t.test('a second start changes nothing', async () => {
      const before = statSync(file).mtimeMs;
      await bootstrap(idp.database, idp.cfg, urls);
      assert.equal(readAgentPassword(file), first);
      assert.equal(statSync(file).mtimeMs, before);
      assert.equal((await login(first)).status, 201);
      const users = await idp.database.db.selectFrom('users').select('name').where('name', '=', AGENT_USER).execute();
      assert.equal(users.length, 1);
    });

    await t.test('a lost file: a new password at the next start, the old one refused, its tokens revoked', async () => {
      const token = (await login(first)).headers.get('x-subject-token')!;
      rmSync(file);
      await bootstrap(idp.database, idp.cfg, urls);
      const second = readAgentPassword(file)!;
      assert.notEqual(second, first);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal((await login(first)).status, 401);
      assert.equal((await login(second)).status, 201);
      // servers read revocations from the database every few seconds
      const admin = await idp.login();
      const check = () => idp.call('GET', '/v3/auth/tokens', undefined, { 'X-Auth-Token': admin, 'X-Subject-Token': token });
      for (let i = 0; i < 60 && (await check()).status === 200; i++) await new Promise((r) => setTimeout(r, 250));
      assert.equal((await check()).status, 404, 'the token issued with the old password is revoked');
    });
  });
}
