// /v3/credentials: Keystone's credential store (ec2 key pairs, certificates,
// TOTP secrets...), blobs encrypted at rest. As Keystone: the body is checked
// before the policy, a user manages its own credentials and admins all, a
// list shows each caller only what it may get, and an ec2 credential's id is
// the sha256 of its access key.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allowed } from '../../common/policy/engine.js';
import { rules } from '../policy.js';
import { checkDelegation, checkUnrestricted, ec2Blob, hashAccess, insertCredential, isEc2, openRow, outOfDelegation, storedEc2Blob, type Credential } from '../credentials.js';
import { credentialKeys } from '../credential-keys.js';
import { Errors } from '../errors.js';
import { baseUrl, caller, enforce, queryOf, type Ctx, listLinks } from './context.js';
import { newId } from './entity.js';
import { checkField, unwrap, validate, type Fields } from './validate.js';

// Keystone's schema has no lengths: these are its columns'
const fields: Fields = {
  user_id: { type: 'string', max: 64, required: true },
  project_id: { type: 'string', nullable: true, max: 64 },
  type: { type: 'string', max: 255, required: true },
  // a MySQL TEXT, Keystone's encrypted_blob column
  blob: { type: 'string', max: 65535, required: true },
};

/** the blob keys an update of an ec2 credential may not change (they scope its tokens) */
const FIXED_EC2_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'];

export function showCredential(c: Credential, req: FastifyRequest): Record<string, unknown> {
  return {
    ...c.extra, id: c.id, user_id: c.user_id, project_id: c.project_id, type: c.type, blob: c.blob,
    links: { self: `${baseUrl(req)}/v3/credentials/${c.id}` },
  };
}

type P = { Params: { id: string } };

export function registerCredentials(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const dataDir = ctx.cfg.data_dir;

  app.post('/v3/credentials', async (req, reply) => {
    await caller(ctx, req);
    const item = unwrap(req.body, 'credential');
    // keystone's schema allows an id, and its handler replaces it
    if ('id' in item) checkField('id', { type: 'string' }, item.id);
    delete item.id;
    const { values: v, extra } = validate(fields, item, 'create', true);
    if (isEc2(v.type) && typeof v.project_id !== 'string') throw Errors.validation("'project_id' is a required property");
    const token = await enforce(ctx, req, 'identity:create_credential', { user_id: v.user_id });
    if (isEc2(v.type)) checkUnrestricted(token, 'credentials');
    checkDelegation(token, v.project_id as string | null | undefined);
    let id = newId();
    let blob = v.blob as string;
    if (isEc2(v.type)) {
      const parsed = ec2Blob(blob);
      id = hashAccess(parsed.access as string);
      // as keystone: ec2 tokens made with it will be scoped as the token that made it
      if (token.claims.app_cred) blob = JSON.stringify({ ...parsed, app_cred_id: token.claims.app_cred.id });
    }
    const c: Credential = { id, user_id: v.user_id as string, project_id: (v.project_id as string | null | undefined) ?? null, type: v.type as string, blob, extra };
    await insertCredential(db, dataDir, c);
    reply.code(201);
    return { credential: showCredential(c, req) };
  });

  app.get('/v3/credentials', async (req) => {
    const q = queryOf(req);
    const token = await caller(ctx, req);
    // keystone: outside system scope the target is the caller's own credential
    await enforce(ctx, req, 'identity:list_credentials', { user_id: token.claims.sub });
    let query = db.selectFrom('credentials').selectAll();
    if (q.user_id !== undefined) query = query.where('user_id', '=', q.user_id);
    if (q.type !== undefined) query = query.where('type', '=', q.type);
    const rows = await query.orderBy('id').execute();
    // keystone keeps, of those, the ones the caller may get: others' are hidden, not refused
    const visible = rows.filter((r) => allowed(rules, 'identity:get_credential', token.credentials, { user_id: r.user_id }) && !outOfDelegation(token, r.project_id));
    return {
      credentials: visible.map((r) => showCredential(openRow(dataDir, r), req)),
      links: listLinks(req),
    };
  });

  /** the credential after the rule allowed it: 403 before 404 for those who may not see others' */
  const find = async (req: FastifyRequest<P>, rule: string) => {
    const row = await db.selectFrom('credentials').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    const token = await enforce(ctx, req, rule, row ? { user_id: row.user_id } : {});
    if (!row) throw Errors.notFound('credential', req.params.id);
    checkDelegation(token, row.project_id);
    return { token, current: openRow(dataDir, row) };
  };

  app.get<P>('/v3/credentials/:id', async (req) => ({ credential: showCredential((await find(req, 'identity:get_credential')).current, req) }));

  app.patch<P>('/v3/credentials/:id', async (req) => {
    await caller(ctx, req);
    const item = unwrap(req.body, 'credential');
    const givenId = item.id;
    delete item.id;
    const { values: v, extra } = validate(fields, item, 'update', true);
    const { token, current } = await find(req, 'identity:update_credential');
    if (isEc2(current.type) && v.blob !== undefined) {
      const before = storedEc2Blob(current);
      const after = ec2Blob(v.blob as string);
      for (const key of FIXED_EC2_KEYS) {
        if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) throw Errors.badRequest(`${key} can not be updated for credential`);
      }
    }
    if (givenId !== undefined && givenId !== current.id) throw Errors.badRequest('Cannot change ID');
    const next: Credential = { ...current, ...(v as Partial<Credential>), extra: { ...current.extra, ...extra } };
    // keystone: nor may the new owner be another user, for those who manage only their own
    await enforce(ctx, req, 'identity:update_credential', { user_id: next.user_id });
    checkDelegation(token, next.project_id);
    if (isEc2(next.type)) {
      if (!next.project_id) throw Errors.validation('Expecting to find project_id in credential');
      if (v.blob !== undefined || !isEc2(current.type)) ec2Blob(next.blob);
    }
    const set: Record<string, unknown> = { user_id: next.user_id, project_id: next.project_id, type: next.type, extra: JSON.stringify(next.extra) };
    if (v.blob !== undefined) Object.assign(set, credentialKeys(dataDir).seal(next.blob, current.id));
    await db.updateTable('credentials').set(set).where('id', '=', current.id).execute();
    return { credential: showCredential(next, req) };
  });

  app.delete<P>('/v3/credentials/:id', async (req, reply) => {
    const { current } = await find(req, 'identity:delete_credential');
    await db.deleteFrom('credentials').where('id', '=', current.id).execute();
    reply.code(204).send();
  });
}
