// Keystone v3 credentials and OS-EC2: CRUD, an ec2 credential's id (sha256 of
// its access key), a user's own credentials against others' (Keystone's 403s
// and hidden rows), EC2 pairs, blobs encrypted at rest with a 0600 key file,
// what a user's, project's or domain's deletion removes, a delegated token's
// bounds, and bad input (keystone's 400 body, state unchanged).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialKeyDir, CredentialKeys } from '../../src/identity/credential-keys.js';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

/** every identity table, credentials included */
async function state(id: RunningIdentity) {
  return { ...(await identityState(id)), credentials: await id.database.db.selectFrom('credentials').selectAll().orderBy('id').execute() };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

for (const backend of backends()) {
  test(`identity credentials on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const db = id.database.db;
      const admin = { 'x-auth-token': await id.login() };
      const call = (method: string, path: string, body?: unknown, h: Record<string, string> = admin) => id.call(method, path, body, h);
      const roleId = async (name: string) => (await call('GET', `/v3/roles?name=${name}`)).body.roles[0].id as string;
      const p1 = (await call('POST', '/v3/projects', { project: { name: 'p1' } })).body.project.id as string;
      const users: Record<string, string> = {};
      for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['carol', 'reader']]) {
        users[name] = (await call('POST', '/v3/users', { user: { name, password: `pw-${name}` } })).body.user.id;
        assert.equal((await call('PUT', `/v3/projects/${p1}/users/${users[name]}/roles/${await roleId(role)}`)).status, 204);
      }
      const as = async (name: string) => ({ 'x-auth-token': await id.login({ user: name, password: `pw-${name}`, project: 'p1' }) });
      const alice = await as('alice');
      const carol = await as('carol');
      const { alice: aliceId, bob: bobId } = users;

      await t.test('CRUD by an admin: extra attributes, filters, update, delete, 404', async () => {
        const c = await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'cert', blob: 'PEM...', id: 'ignored', note: 'kept' } });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        const cid = c.body.credential.id as string;
        assert.notEqual(cid, 'ignored');
        assert.deepEqual(c.body.credential, { id: cid, user_id: aliceId, project_id: null, type: 'cert', blob: 'PEM...', note: 'kept', links: { self: `${id.url}/v3/credentials/${cid}` } });
        assert.deepEqual((await call('GET', `/v3/credentials/${cid}`)).body, c.body);
        const other = (await call('POST', '/v3/credentials', { credential: { user_id: bobId, project_id: p1, type: 'totp', blob: 'seed' } })).body.credential.id;
        assert.deepEqual((await call('GET', `/v3/credentials?user_id=${aliceId}`)).body.credentials.map((x: any) => x.id), [cid]);
        assert.deepEqual((await call('GET', '/v3/credentials?type=totp')).body.credentials.map((x: any) => x.id), [other]);
        assert.equal((await call('GET', '/v3/credentials')).body.credentials.length, 2);

        const u = await call('PATCH', `/v3/credentials/${cid}`, { credential: { blob: 'PEM2', project_id: p1, id: cid } });
        assert.equal(u.status, 200, JSON.stringify(u.body));
        assert.deepEqual([u.body.credential.blob, u.body.credential.project_id, u.body.credential.note], ['PEM2', p1, 'kept']);
        assert.equal((await call('GET', `/v3/credentials/${cid}`)).body.credential.blob, 'PEM2');
        assert.equal((await call('PATCH', `/v3/credentials/${cid}`, { credential: { type: 'x509' } })).body.credential.blob, 'PEM2');

        for (const x of [cid, other]) assert.equal((await call('DELETE', `/v3/credentials/${x}`)).status, 204);
        const missing = await call('GET', `/v3/credentials/${cid}`);
        assert.deepEqual(missing.body, { error: { code: 404, message: `Could not find credential: ${cid}.`, title: 'Not Found' } });
        assert.equal((await call('PATCH', `/v3/credentials/${cid}`, { credential: { blob: 'x' } })).status, 404);
        assert.equal((await call('DELETE', `/v3/credentials/${cid}`)).status, 404);
      });

      await t.test('ec2: the id is the sha256 of the access key, and stays when the key changes', async () => {
        const blob = JSON.stringify({ access: 'AK1', secret: 'SK1' });
        const c = await call('POST', '/v3/credentials', { credential: { user_id: aliceId, project_id: p1, type: 'ec2', blob } });
        assert.equal(c.status, 201, JSON.stringify(c.body));
        assert.equal(c.body.credential.id, sha256('AK1'));
        assert.equal(c.body.credential.blob, blob);
        const dup = await call('POST', '/v3/credentials', { credential: { user_id: bobId, project_id: p1, type: 'ec2', blob } });
        assert.equal(dup.status, 409);
        const u = await call('PATCH', `/v3/credentials/${sha256('AK1')}`, { credential: { blob: JSON.stringify({ access: 'AK2', secret: 'SK2' }) } });
        assert.equal(u.status, 200, JSON.stringify(u.body));
        assert.equal(u.body.credential.id, sha256('AK1'));
        // keystone: the keys that scope its tokens cannot change
        const scoped = await call('PATCH', `/v3/credentials/${sha256('AK1')}`, { credential: { blob: JSON.stringify({ access: 'AK2', trust_id: 't' }) } });
        assert.deepEqual(scoped.body.error, { code: 400, title: 'Bad Request', message: 'trust_id can not be updated for credential' });
        assert.equal((await call('DELETE', `/v3/credentials/${sha256('AK1')}`)).status, 204);
      });

      await t.test('a member manages its own credentials; others are hidden or 403', async () => {
        const own = await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'cert', blob: 'mine' } }, alice);
        assert.equal(own.status, 201, JSON.stringify(own.body));
        const mine = own.body.credential.id;
        const bobs = (await call('POST', '/v3/credentials', { credential: { user_id: bobId, type: 'cert', blob: 'his' } })).body.credential.id;
        const forBob = await call('POST', '/v3/credentials', { credential: { user_id: bobId, type: 'cert', blob: 'x' } }, alice);
        assert.deepEqual(forBob.body.error, { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: identity:create_credential.' });
        // listing hides them, even when asked by name
        assert.deepEqual((await call('GET', '/v3/credentials', undefined, alice)).body.credentials.map((x: any) => x.id), [mine]);
        assert.deepEqual((await call('GET', `/v3/credentials?user_id=${bobId}`, undefined, alice)).body.credentials, []);
        assert.equal((await call('GET', '/v3/credentials', undefined, admin)).body.credentials.length, 2);
        // one by one they are refused, and so is one that does not exist (its absence is not revealed)
        for (const [m, body] of [['GET', undefined], ['PATCH', { credential: { blob: 'x' } }], ['DELETE', undefined]] as const) {
          assert.equal((await call(m, `/v3/credentials/${bobs}`, body, alice)).status, 403, m);
          assert.equal((await call(m, '/v3/credentials/nope', body, alice)).status, 403, m);
        }
        assert.equal((await call('GET', `/v3/credentials/${mine}`, undefined, alice)).status, 200);
        // nor may it give its own away
        const before = await state(id);
        assert.equal((await call('PATCH', `/v3/credentials/${mine}`, { credential: { user_id: bobId } }, alice)).status, 403);
        assert.deepEqual(await state(id), before);
        assert.equal((await call('PATCH', `/v3/credentials/${mine}`, { credential: { blob: 'mine2' } }, alice)).status, 200);
        assert.equal((await call('DELETE', `/v3/credentials/${mine}`, undefined, alice)).status, 204);
        assert.equal((await call('DELETE', `/v3/credentials/${bobs}`)).status, 204);
        assert.equal((await call('GET', '/v3/credentials', undefined, {})).status, 401);
      });

      await t.test('OS-EC2: create, list, show, delete; stored as ec2 credentials', async () => {
        const base = `/v3/users/${aliceId}/credentials/OS-EC2`;
        const c = await call('POST', base, { tenant_id: p1 }, alice);
        assert.equal(c.status, 201, JSON.stringify(c.body));
        const cred = c.body.credential;
        assert.match(cred.access, /^[0-9a-f]{32}$/);
        assert.match(cred.secret, /^[0-9a-f]{32}$/);
        assert.deepEqual(cred, { user_id: aliceId, tenant_id: p1, access: cred.access, secret: cred.secret, trust_id: null, links: { self: `${id.url}${base}/${cred.access}` } });
        const second = (await call('POST', base, { tenant_id: p1 }, alice)).body.credential;
        const listed = await call('GET', base, undefined, alice);
        assert.deepEqual(listed.body.credentials.map((x: any) => x.access).sort(), [cred.access, second.access].sort());
        assert.equal(listed.body.links.self, `${id.url}${base}`);
        assert.deepEqual((await call('GET', `${base}/${cred.access}`, undefined, alice)).body.credential, cred);
        assert.equal((await call('GET', base)).body.credentials.length, 2);
        // /v3/credentials shows them as type ec2 under the hash of the access key
        const v3 = (await call('GET', `/v3/credentials/${sha256(cred.access)}`, undefined, alice)).body.credential;
        assert.deepEqual([v3.type, v3.project_id, JSON.parse(v3.blob)], ['ec2', p1, { access: cred.access, secret: cred.secret, trust_id: null }]);
        assert.equal((await call('GET', '/v3/credentials?type=ec2', undefined, alice)).body.credentials.length, 2);

        // a reader may look but not make; nobody makes or sees another's but an admin
        assert.equal((await call('POST', `/v3/users/${users.carol}/credentials/OS-EC2`, { tenant_id: p1 }, carol)).status, 403);
        assert.equal((await call('GET', `/v3/users/${users.carol}/credentials/OS-EC2`, undefined, carol)).status, 200);
        assert.equal((await call('POST', `/v3/users/${bobId}/credentials/OS-EC2`, { tenant_id: p1 }, alice)).status, 403);
        assert.equal((await call('GET', `/v3/users/${bobId}/credentials/OS-EC2`, undefined, alice)).status, 403);
        assert.equal((await call('GET', `/v3/users/${aliceId}/credentials/OS-EC2/${cred.access}`, undefined, carol)).status, 403);
        assert.equal((await call('DELETE', `${base}/${cred.access}`, undefined, carol)).status, 403);
        const bobs = (await call('POST', `/v3/users/${bobId}/credentials/OS-EC2`, { tenant_id: p1 })).body.credential;
        assert.equal(bobs.user_id, bobId);
        assert.equal((await call('GET', `/v3/users/${aliceId}/credentials/OS-EC2/${bobs.access}`, undefined, alice)).status, 403);
        // keystone looks the key up first: an unknown one is 404, as are unknown users and projects
        const unknown = await call('GET', `${base}/nope`, undefined, alice);
        assert.deepEqual(unknown.body.error, { code: 404, title: 'Not Found', message: `Could not find credential: ${sha256('nope')}.` });
        assert.equal((await call('POST', base, { tenant_id: 'nope' }, alice)).status, 404);
        assert.equal((await call('GET', '/v3/users/nope/credentials/OS-EC2')).status, 404);

        for (const x of [cred, second]) assert.equal((await call('DELETE', `${base}/${x.access}`, undefined, alice)).status, 204);
        assert.equal((await call('GET', `${base}/${cred.access}`, undefined, alice)).status, 404);
        assert.deepEqual((await call('GET', base, undefined, alice)).body.credentials, []);
        assert.equal((await call('DELETE', `/v3/users/${bobId}/credentials/OS-EC2/${bobs.access}`)).status, 204);
      });

      await t.test('at rest: blobs encrypted with a 0600 key file; another row cannot borrow a ciphertext', async () => {
        const c = (await call('POST', `/v3/users/${aliceId}/credentials/OS-EC2`, { tenant_id: p1 }, alice)).body.credential;
        await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'totp', blob: 'PLAINTEXT-SEED' } });
        const rows = await db.selectFrom('credentials').selectAll().execute();
        assert.equal(rows.length, 2);
        const dump = JSON.stringify(rows);
        for (const secret of [c.secret, c.access, 'PLAINTEXT-SEED']) assert.ok(!dump.includes(secret));
        const dir = credentialKeyDir(id.cfg.data_dir);
        assert.equal(statSync(dir).mode & 0o777, 0o700);
        const files = readdirSync(dir);
        assert.deepEqual(files, [`${rows[0].key_id}.key`]);
        assert.equal(statSync(join(dir, files[0])).mode & 0o777, 0o600);
        const keys = new CredentialKeys(id.cfg.data_dir);
        assert.equal(keys.open(rows[0], rows[0].id), rows[0].type === 'ec2' ? JSON.stringify({ access: c.access, secret: c.secret, trust_id: null }) : 'PLAINTEXT-SEED');
        assert.throws(() => keys.open(rows[0], rows[1].id));
        await db.deleteFrom('credentials').execute();
      });

      await t.test('a delegated token (restricted application credential) keeps to its project', async () => {
        const ac = (await call('POST', `/v3/users/${aliceId}/application_credentials`, { application_credential: { name: 'ac' } }, alice)).body.application_credential;
        const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: ac.secret } } } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        const viaAc = { 'x-auth-token': r.headers.get('x-subject-token')! };
        assert.equal((await call('POST', `/v3/users/${aliceId}/credentials/OS-EC2`, { tenant_id: p1 }, viaAc)).status, 403);
        assert.equal((await call('POST', '/v3/credentials', { credential: { user_id: aliceId, project_id: p1, type: 'ec2', blob: '{"access":"d"}' } }, viaAc)).status, 403);
        assert.equal((await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'totp', blob: 's' } }, viaAc)).status, 403);
        const inP1 = await call('POST', '/v3/credentials', { credential: { user_id: aliceId, project_id: p1, type: 'cert', blob: 's' } }, viaAc);
        assert.equal(inP1.status, 201);
        const userLevel = (await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'totp', blob: 's' } }, alice)).body.credential.id;
        assert.deepEqual((await call('GET', '/v3/credentials', undefined, viaAc)).body.credentials.map((x: any) => x.id), [inP1.body.credential.id]);
        assert.equal((await call('GET', `/v3/credentials/${userLevel}`, undefined, viaAc)).status, 403);
        await db.deleteFrom('credentials').execute();
      });

      await t.test('bad input: keystone 400 body, nothing changes', async () => {
        const cert = (await call('POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'cert', blob: 'b' } })).body.credential.id;
        const ec2 = (await call('POST', '/v3/credentials', { credential: { user_id: aliceId, project_id: p1, type: 'ec2', blob: '{"access":"a"}' } })).body.credential.id;
        const before = await state(id);
        const ok = { user_id: aliceId, type: 'cert', blob: 'b' };
        const cases: Array<[string, string, unknown, number?]> = [
          ['POST', '/v3/credentials', { credential: {} }],
          ['POST', '/v3/credentials', { credential: { type: 'cert', blob: 'b' } }],
          ['POST', '/v3/credentials', { credential: { user_id: aliceId, blob: 'b' } }],
          ['POST', '/v3/credentials', { credential: { user_id: aliceId, type: 'cert' } }],
          ['POST', '/v3/credentials', { credential: { ...ok, blob: { access: 'a' } } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 5 } }],
          ['POST', '/v3/credentials', { credential: { ...ok, user_id: 'u'.repeat(65) } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 't'.repeat(256) } }],
          ['POST', '/v3/credentials', { credential: { ...ok, project_id: 7 } }],
          ['POST', '/v3/credentials', { credential: { ...ok, id: 7 } }],
          ['POST', '/v3/credentials', { credential: { ...ok, links: {} } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 'ec2', blob: '{"access":"z"}' } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 'ec2', project_id: p1, blob: 'not json' } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 'ec2', project_id: p1, blob: '{"secret":"s"}' } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 'EC2', project_id: p1, blob: '[1]' } }],
          ['POST', '/v3/credentials', { credential: { ...ok, type: 'ec2', project_id: p1, blob: '{"access":5}' } }],
          ['POST', '/v3/credentials', { credentials: ok }],
          ['POST', '/v3/credentials', '{"credential": '],
          ['POST', '/v3/credentials', { credential: { ...ok, user_id: bobId } }, 403],
          ['POST', '/v3/credentials', { credential: { ...ok, user_id: bobId, type: 5 } }, 400],
          ['PATCH', `/v3/credentials/${cert}`, { credential: {} }],
          ['PATCH', `/v3/credentials/${cert}`, { credential: { id: 'other' } }],
          ['PATCH', `/v3/credentials/${cert}`, { credential: { blob: 5 } }],
          ['PATCH', `/v3/credentials/${cert}`, { credential: { type: 'ec2' } }],
          ['PATCH', `/v3/credentials/${cert}`, { credential: { type: 'ec2', project_id: p1 } }],
          ['PATCH', `/v3/credentials/${ec2}`, { credential: { blob: 'not json' } }],
          ['PATCH', `/v3/credentials/${ec2}`, { credential: { project_id: null } }],
          ['PATCH', `/v3/credentials/${ec2}`, { credential: { user_id: bobId } }, 403],
          ['POST', `/v3/users/${aliceId}/credentials/OS-EC2`, {}],
          ['POST', `/v3/users/${aliceId}/credentials/OS-EC2`, { tenant_id: 5 }],
          ['POST', `/v3/users/${aliceId}/credentials/OS-EC2`, { tenant_id: 'nope' }, 404],
        ];
        for (const [method, path, body, code = 400] of cases) {
          const r = await call(method, path, body, code === 403 ? alice : admin);
          assert.equal(r.status, code, `${method} ${path} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'title']);
        }
        assert.deepEqual(await state(id), before);
        await db.deleteFrom('credentials').execute();
      });

      await t.test("deleting a user, a project or a domain takes its credentials", async () => {
        const dave = (await call('POST', '/v3/users', { user: { name: 'dave' } })).body.user.id;
        const p2 = (await call('POST', '/v3/projects', { project: { name: 'p2' } })).body.project.id;
        const d3 = (await call('POST', '/v3/domains', { domain: { name: 'd3' } })).body.domain.id;
        const erin = (await call('POST', '/v3/users', { user: { name: 'erin', domain_id: d3 } })).body.user.id;
        const make = async (user_id: string, project_id: string | null) =>
          (await call('POST', '/v3/credentials', { credential: { user_id, project_id, type: 'cert', blob: 'b' } })).body.credential.id as string;
        const [ofDave, inP2, ofErin, kept] = [await make(dave, null), await make(aliceId, p2), await make(erin, p1), await make(aliceId, p1)];
        const left = async () => (await db.selectFrom('credentials').select('id').execute()).map((r) => r.id);
        assert.equal((await call('DELETE', `/v3/users/${dave}`)).status, 204);
        assert.ok(!(await left()).includes(ofDave));
        assert.equal((await call('DELETE', `/v3/projects/${p2}`)).status, 204);
        assert.ok(!(await left()).includes(inP2));
        assert.equal((await call('PATCH', `/v3/domains/${d3}`, { domain: { enabled: false } })).status, 200);
        assert.equal((await call('DELETE', `/v3/domains/${d3}`)).status, 204);
        assert.deepEqual(await left(), [kept]);
        assert.ok(ofErin);
      });
    } finally {
      await id.close();
    }
  });
}
