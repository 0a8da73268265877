// Tokens: every way to get one, what validation refuses (tampering, expiry,
// revocation by any route), and the signing keys' rotation.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { keyDir, loadKeys, rotateKeys } from '../../src/identity/keys.js';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const parts = (tok: string) => tok.split('.');

/** a member user with a project of its own; returns ids */
async function seed(id: RunningIdentity, admin: string) {
  const h = { 'x-auth-token': admin };
  const p = await id.call('POST', '/v3/projects', { project: { name: 'p1', domain_id: 'default' } }, h);
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const u = await id.call('POST', '/v3/users', { user: { name: 'u1', password: 'pw-u1', domain_id: 'default' } }, h);
  assert.equal(u.status, 201, JSON.stringify(u.body));
  assert.equal(u.body.user.password, undefined);
  const roles = (await id.call('GET', '/v3/roles?name=member', undefined, h)).body.roles;
  const member = roles[0].id;
  assert.equal((await id.call('PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${member}`, undefined, h)).status, 204);
  return { projectId: p.body.project.id as string, userId: u.body.user.id as string, member: member as string };
}

const check = (id: RunningIdentity, admin: string, subject: string) => id.call('GET', '/v3/auth/tokens', undefined, { 'x-auth-token': admin, 'x-subject-token': subject });

for (const backend of backends()) {
  test(`tokens on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const admin = await id.login();
      const s = await seed(id, admin);

      await t.test('password by id and by name, project/domain/unscoped scopes', async () => {
        const byId = await id.call('POST', '/v3/auth/tokens?nocatalog', {
          auth: { identity: { methods: ['password'], password: { user: { id: s.userId, password: 'pw-u1' } } }, scope: { project: { id: s.projectId } } },
        });
        assert.equal(byId.status, 201, JSON.stringify(byId.body));
        const tok = byId.body.token;
        assert.deepEqual(tok.methods, ['password']);
        assert.equal(tok.project.id, s.projectId);
        assert.deepEqual(tok.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
        assert.equal(tok.catalog, undefined);
        assert.equal(tok.is_domain, false);
        assert.match(tok.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        assert.equal(tok.user.password_expires_at, null);
        const unscoped = await id.login({ user: 'u1', password: 'pw-u1', project: null });
        const v = await check(id, admin, unscoped);
        assert.equal(v.status, 200);
        assert.equal(v.body.token.project, undefined);
        assert.equal(v.body.token.roles, undefined);
        const dom = await id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: id.adminPassword } } }, scope: { domain: { id: 'default' } } },
        });
        // admin has no role on the domain: refused like any failed authentication
        assert.equal(dom.status, 401);
        const sys = await id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['password'], password: { user: { id: s.userId, password: 'pw-u1' } } }, scope: { system: { all: true } } },
        });
        assert.ok(sys.status === 400 || sys.status === 401);
      });

      await t.test('token method rescopes an unscoped token, keeping its expiry and audit chain', async () => {
        const unscoped = await id.login({ user: 'u1', password: 'pw-u1', project: null });
        const parent = (await check(id, admin, unscoped)).body.token;
        const r = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: unscoped } }, scope: { project: { id: s.projectId } } } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.token.expires_at, parent.expires_at);
        assert.equal(r.body.token.audit_ids[1], parent.audit_ids[0]);
        assert.equal(r.body.token.project.id, s.projectId);
      });

      await t.test('wrong password and unknown user: the same 401', async () => {
        const wrong = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { name: 'u1', domain: { id: 'default' }, password: 'nope' } } } } });
        const unknown = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: { name: 'ghost', domain: { id: 'default' }, password: 'nope' } } } } });
        assert.equal(wrong.status, 401);
        assert.equal(unknown.status, 401);
        assert.deepEqual(wrong.body, unknown.body);
        assert.equal(wrong.body.error.title, 'Unauthorized');
        assert.ok(wrong.headers.get('www-authenticate')?.startsWith('Keystone uri='));
      });

      await t.test('tampered tokens are refused', async () => {
        const tok = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        const [h, p, sig] = parts(tok);
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        const forged = [
          `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`,
          `${h}.${b64({ ...claims, project: { ...claims.project, id: 'other' } })}.${sig}`,
          `${h}.${b64({ ...claims, roles: [...claims.roles, { id: 'x', name: 'admin' }] })}.${sig}`,
          `${b64({ alg: 'none', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })}.${p}.`,
          `${b64({ alg: 'HS256', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })}.${p}.${sig}`,
          'garbage', '', 'a.b.c',
        ];
        for (const f of forged) {
          assert.equal(await id.server.tokens.validate(f), null, f);
          if (f) assert.equal((await id.call('GET', '/v3/projects', undefined, { 'x-auth-token': f })).status, 401);
        }
        assert.ok(await id.server.tokens.validate(tok));
      });

      await t.test('a signature verified once is remembered for that exact token only; expiry and revocation still apply', async () => {
        const tok = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        assert.ok(await id.server.tokens.validate(tok)); // verified, remembered
        assert.ok(await id.server.tokens.validate(tok)); // remembered
        const [h, p, sig] = parts(tok);
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        // the remembered signature does not carry over to a changed payload or signature
        assert.equal(await id.server.tokens.validate(`${h}.${b64({ ...claims, roles: [{ id: 'x', name: 'admin' }] })}.${sig}`), null);
        assert.equal(await id.server.tokens.validate(`${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`), null);
        // nor past the token's expiry
        assert.equal(await id.server.tokens.validate(tok, (claims.exp + 1) * 1000), null);
        assert.equal((await id.call('DELETE', '/v3/auth/tokens', undefined, { 'x-auth-token': admin, 'x-subject-token': tok })).status, 204);
        assert.equal(await id.server.tokens.validate(tok), null);
      });

      await t.test('expired tokens are refused', async () => {
        const { token } = await id.server.tokens.issue({ sub: s.userId, user: { id: s.userId, name: 'u1', domain: { id: 'default', name: 'Default' } }, roles: [], methods: ['password'] }, Date.now() - 2 * 3600_000);
        assert.equal(await id.server.tokens.validate(token), null);
        assert.equal((await check(id, admin, token)).status, 404);
      });

      await t.test('DELETE /v3/auth/tokens revokes; HEAD answers 200 then 404', async () => {
        const tok = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        assert.equal((await id.call('HEAD', '/v3/auth/tokens', undefined, { 'x-auth-token': admin, 'x-subject-token': tok })).status, 200);
        // a user may revoke their own token
        assert.equal((await id.call('DELETE', '/v3/auth/tokens', undefined, { 'x-auth-token': tok, 'x-subject-token': tok })).status, 204);
        assert.equal((await id.call('HEAD', '/v3/auth/tokens', undefined, { 'x-auth-token': admin, 'x-subject-token': tok })).status, 404);
        assert.equal(await id.server.tokens.validate(tok), null);
      });

      await t.test('application credentials: by id and by name; deleting one revokes its tokens', async () => {
        const userTok = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        const created = await id.call('POST', `/v3/users/${s.userId}/application_credentials`, { application_credential: { name: 'ac1' } }, { 'x-auth-token': userTok });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const ac = created.body.application_credential;
        assert.ok(ac.secret.length >= 32);
        const shown = await id.call('GET', `/v3/users/${s.userId}/application_credentials/${ac.id}`, undefined, { 'x-auth-token': userTok });
        assert.equal(shown.body.application_credential.secret, undefined);
        const byId = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: ac.secret } } } });
        assert.equal(byId.status, 201, JSON.stringify(byId.body));
        assert.equal(byId.body.token.project.id, s.projectId);
        assert.equal(byId.body.token.application_credential.id, ac.id);
        const byName = await id.call('POST', '/v3/auth/tokens', {
          auth: { identity: { methods: ['application_credential'], application_credential: { name: 'ac1', user: { name: 'u1', domain: { id: 'default' } }, secret: ac.secret } } },
        });
        assert.equal(byName.status, 201);
        const wrong = await id.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: 'x' } } } });
        assert.equal(wrong.status, 401);
        const acTok = byId.headers.get('x-subject-token')!;
        // a restricted credential's token cannot make more credentials
        assert.equal((await id.call('POST', `/v3/users/${s.userId}/application_credentials`, { application_credential: { name: 'ac2' } }, { 'x-auth-token': acTok })).status, 403);
        assert.equal((await id.call('DELETE', `/v3/users/${s.userId}/application_credentials/${ac.id}`, undefined, { 'x-auth-token': userTok })).status, 204);
        assert.equal(await id.server.tokens.validate(acTok), null);
        assert.ok(await id.server.tokens.validate(userTok));
      });

      await t.test('disabled or deleted users and projects: their tokens die', async () => {
        const h = { 'x-auth-token': admin };
        const tok = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        assert.equal((await id.call('PATCH', `/v3/projects/${s.projectId}`, { project: { enabled: false } }, h)).status, 200);
        assert.equal(await id.server.tokens.validate(tok), null);
        assert.equal((await id.call('PATCH', `/v3/projects/${s.projectId}`, { project: { enabled: true } }, h)).status, 200);
        const tok2 = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        assert.ok(await id.server.tokens.validate(tok2));
        // removing the grant revokes what it gave
        assert.equal((await id.call('DELETE', `/v3/projects/${s.projectId}/users/${s.userId}/roles/${s.member}`, undefined, h)).status, 204);
        assert.equal(await id.server.tokens.validate(tok2), null);
        assert.equal((await id.call('PUT', `/v3/projects/${s.projectId}/users/${s.userId}/roles/${s.member}`, undefined, h)).status, 204);
        const tok3 = await id.login({ user: 'u1', password: 'pw-u1', project: 'p1' });
        assert.equal((await id.call('DELETE', `/v3/projects/${s.projectId}`, undefined, h)).status, 204);
        assert.equal(await id.server.tokens.validate(tok3), null);
        const unscoped = await id.login({ user: 'u1', password: 'pw-u1', project: null });
        assert.equal((await id.call('DELETE', `/v3/users/${s.userId}`, undefined, h)).status, 204);
        assert.equal(await id.server.tokens.validate(unscoped), null);
        assert.equal((await check(id, admin, unscoped)).status, 404);
      });
    } finally {
      await id.close();
    }
  });

  test(`signing keys: rotation and restart on ${backend.name}`, async () => {
    let id = await startIdentity(backend);
    const { fresh, adminPassword } = id;
    try {
      const dir = keyDir(id.cfg.data_dir);
      for (const f of readdirSync(dir)) assert.equal(statSync(`${dir}/${f}`).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const before = await id.login();
      rotateKeys(id.cfg.data_dir, id.cfg.identity.token_expiration);
      const after = await id.login();
      // the new key signs, the old one still verifies
      assert.notEqual(JSON.parse(Buffer.from(parts(after)[0], 'base64url').toString()).kid, JSON.parse(Buffer.from(parts(before)[0], 'base64url').toString()).kid);
      assert.ok(await id.server.tokens.validate(before));
      assert.ok(await id.server.tokens.validate(after));
      // a revocation survives the restart too
      const revoked = await id.login();
      assert.equal((await id.call('DELETE', '/v3/auth/tokens', undefined, { 'x-auth-token': after, 'x-subject-token': revoked })).status, 204);
      await id.stop();
      id = await startIdentity(backend, () => {}, { fresh, adminPassword });
      assert.ok(await id.server.tokens.validate(before));
      assert.ok(await id.server.tokens.validate(after));
      assert.equal(await id.server.tokens.validate(revoked), null);
      // a lifetime later, the first key is pruned (its tokens have all expired); the second,
      // which signed until this rotation, stays for the tokens it signed
      const later = Date.now() + (id.cfg.identity.token_expiration + 3600) * 1000;
      const { pruned } = rotateKeys(id.cfg.data_dir, id.cfg.identity.token_expiration, later);
      assert.equal(pruned.length, 1);
      const kids = loadKeys(id.cfg.data_dir).map((k) => k.kid);
      assert.equal(kids.length, 2);
      assert.ok(!kids.includes(JSON.parse(Buffer.from(parts(before)[0], 'base64url').toString()).kid));
      assert.ok(kids.includes(JSON.parse(Buffer.from(parts(after)[0], 'base64url').toString()).kid));
    } finally {
      await id.close();
    }
  });
}
