// OS-EC2: /v3/users/{user}/credentials/OS-EC2, an access/secret pair for a
// user on a project, kept as a credential of type ec2 (so /v3/credentials
// shows it too) and addressed by its access key. As Keystone: the project
// must exist (the user's roles there count when the pair logs in, not here),
// and a credential is found by the sha256 of the access key before the
// policy looks at its owner.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkDelegation, checkUnrestricted, hashAccess, insertCredential, openRow, outOfDelegation, storedEc2Blob, type Credential } from '../credentials.js';
import { Errors } from '../errors.js';
import { baseUrl, caller, enforce, type Ctx, listLinks } from './context.js';
import { getRow, newId } from './entity.js';
import { invalid, isObject, show } from './validate.js';

/** keystone's _convert_v3_to_ec2_credential, with its self link */
function showEc2(c: Credential, req: FastifyRequest): Record<string, unknown> {
  const blob = storedEc2Blob(c);
  const access = typeof blob.access === 'string' ? blob.access : null;
  return {
    user_id: c.user_id, tenant_id: c.project_id, access, secret: blob.secret ?? null, trust_id: blob.trust_id ?? null,
    links: { self: `${baseUrl(req)}/v3/users/${c.user_id}/credentials/OS-EC2/${encodeURIComponent(access ?? '')}` },
  };
}

type P = { Params: { user: string; access: string } };

export function registerEc2Credentials(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const dataDir = ctx.cfg.data_dir;
  const base = '/v3/users/:user/credentials/OS-EC2';
  const requireUser = (id: string) => getRow(db, { table: 'users', kind: 'user' }, id);

  app.post<P>(base, async (req, reply) => {
    const token = await enforce(ctx, req, 'identity:ec2_create_credential', { user_id: req.params.user });
    checkUnrestricted(token, 'application credentials');
    await requireUser(req.params.user);
    const tenant = isObject(req.body) ? req.body.tenant_id : undefined;
    // keystone looks up a missing tenant_id as the project "None" (404); a request that names none is a bad one
    if (typeof tenant !== 'string') throw tenant === undefined ? Errors.validation("'tenant_id' is a required property") : invalid('tenant_id', `${show(tenant)} is not of type 'string'`);
    await getRow(db, { table: 'projects', kind: 'project' }, tenant);
    checkDelegation(token, tenant, 'EC2 credential');
    // keystone's: two uuid4 hex strings
    const blob = { access: newId(), secret: newId(), trust_id: null };
    const c: Credential = { id: hashAccess(blob.access), user_id: req.params.user, project_id: tenant, type: 'ec2', blob: JSON.stringify(blob), extra: {} };
    await insertCredential(db, dataDir, c);
    reply.code(201);
    return { credential: showEc2(c, req) };
  });

  app.get<P>(base, async (req) => {
    const token = await enforce(ctx, req, 'identity:ec2_list_credentials', { user_id: req.params.user });
    await requireUser(req.params.user);
    const rows = await db.selectFrom('credentials').selectAll().where('user_id', '=', req.params.user).where('type', '=', 'ec2').orderBy('id').execute();
    return {
      credentials: rows.filter((r) => !outOfDelegation(token, r.project_id)).map((r) => showEc2(openRow(dataDir, r), req)),
      links: listLinks(req),
    };
  });

  /** keystone: 404 for an unknown key, then the policy on the credential's owner, the user, and 401 for a credential not ec2 */
  const find = async (req: FastifyRequest<P>, rule: string) => {
    await caller(ctx, req);
    const id = hashAccess(req.params.access);
    const row = await db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw Errors.notFound('credential', id);
    const token = await enforce(ctx, req, rule, { user_id: row.user_id });
    await requireUser(req.params.user);
    if (row.type !== 'ec2') throw Errors.unauthorized('EC2 access key not found.');
    checkDelegation(token, row.project_id, 'EC2 credential');
    return row;
  };

  app.get<P>(`${base}/:access`, async (req) => ({ credential: showEc2(openRow(dataDir, await find(req, 'identity:ec2_get_credential')), req) }));

  app.delete<P>(`${base}/:access`, async (req, reply) => {
    const row = await find(req, 'identity:ec2_delete_credential');
    await db.deleteFrom('credentials').where('id', '=', row.id).execute();
    reply.code(204).send();
  });
}
