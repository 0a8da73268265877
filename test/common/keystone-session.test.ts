// The client's keystone session: one login shared by concurrent callers, the
// token kept until 2 minutes before it expires, then renewed; a wrong password is
// AuthFailed naming the user, never holding the password.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthFailed, KeystoneSession } from '../../src/common/keystone-session.js';
import { FakeAgentServer } from '../support/fake-agent-server.js';

test('keystone session: shared login, renewal before expiry, a clear AuthFailed', async (t) => {
  const server = new FakeAgentServer();
  await server.start();
  t.after(() => server.stop());
  let now = Date.now();
  const session = new KeystoneSession({ authUrl: server.url, username: 'cloudlet-agent', password: server.password, projectName: 'service' }, () => now);
  const [a, b] = await Promise.all([session.token(), session.token()]);
  assert.equal(a, b);
  assert.equal(server.seen.logins, 1, 'one login for concurrent callers (auth_url without /v3 gets it)');
  now += 3600_000 - 150_000;
  assert.equal(await session.token(), a, 'kept while more than 2 minutes are left');
  now += 60_000;
  assert.notEqual(await session.token(), a, 'renewed 2 minutes before expiry');
  assert.equal(server.seen.logins, 2);

  const bad = new KeystoneSession({ authUrl: `${server.url}/v3`, username: 'cloudlet-agent', password: 'Wr0ng-pw', projectName: 'service' });
  await assert.rejects(bad.token(), (err: Error) => err instanceof AuthFailed && /refused user cloudlet-agent \(project service\)/.test(err.message) && !err.message.includes('Wr0ng-pw'));
});
