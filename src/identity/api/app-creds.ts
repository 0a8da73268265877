// /v3/users/{user}/application_credentials: a secret that logs in as the user,
// scoped to one project with some of the user's roles there. The secret is
// shown once, when created, and stored as a bcrypt hash only.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { effectiveRoles } from '../assignments.js';
import type { ApplicationCredentialRow } from '../db/schema.js';
import { Errors } from '../errors.js';
import type { Named } from '../tokens.js';
import { baseUrl, enforce, queryOf, type Ctx, listLinks } from './context.js';
import { dbError, getRow, newId, type Entity } from './entity.js';
import { isObject, unwrap, validate, type Fields } from './validate.js';

const fields: Fields = {
  name: { type: 'string', min: 1, max: 255, required: true },
  description: { type: 'string', nullable: true, max: 255, default: null },
  secret: { type: 'string', nullable: true, min: 1, max: 4096, default: null },
  expires_at: { type: 'string', nullable: true, max: 32, default: null },
  roles: { type: 'array', default: null, nullable: true },
  unrestricted: { type: 'boolean', default: false },
  access_rules: { type: 'array', nullable: true, default: null },
};

const asEntity = { singular: 'application_credential', kind: 'application credential' } as Entity;

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/;

/**
 * expires_at as stored: UTC with the client's microseconds (Keystone keeps them, and
 * answers them back; a Date alone keeps milliseconds). A time without zone is UTC.
 */
function parseExpiry(value: string): string {
  const m = ISO.exec(value);
  const ms = m ? Date.parse(`${m[1]}${m[2] ? `.${m[2].slice(0, 3)}` : ''}${m[3] ?? 'Z'}`) : NaN;
  if (!m || Number.isNaN(ms)) throw Errors.validation(`Invalid input for field 'expires_at': ${JSON.stringify(value)} is not a date-time`);
  return `${new Date(ms).toISOString().slice(0, 19)}.${(m[2] ?? '').slice(0, 6).padEnd(6, '0')}Z`;
}

/** Keystone shows it as oslo's PERFECT_TIME_FORMAT: microseconds, no zone */
const showExpiry = (stored: string | null): string | null => {
  if (stored === null) return null;
  const [whole, frac = ''] = stored.replace(/Z$/, '').split('.');
  return `${whole}.${frac.padEnd(6, '0')}`;
};

function show(row: ApplicationCredentialRow, req: FastifyRequest): Record<string, unknown> {
  return {
    id: row.id, name: row.name, description: row.description || null, user_id: row.user_id, project_id: row.project_id,
    expires_at: showExpiry(row.expires_at), unrestricted: Boolean(row.unrestricted), roles: JSON.parse(row.roles), access_rules: [],
    links: { self: `${baseUrl(req)}/v3/users/${row.user_id}/application_credentials/${row.id}` },
  };
}

type P = { Params: { user: string; id: string } };

export function registerAppCreds(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const base = '/v3/users/:user/application_credentials';

  app.post<P>(base, async (req, reply) => {
    const token = await enforce(ctx, req, 'identity:create_application_credential', { user_id: req.params.user });
    const { values: v } = validate(fields, unwrap(req.body, 'application_credential'), 'create', false);
    // only the user can delegate, from a project-scoped token of their own
    if (token.claims.sub !== req.params.user) throw Errors.forbiddenAction('Application credentials can only be created by their user.');
    if (token.claims.app_cred?.restricted) throw Errors.forbiddenAction('Using method application_credential is not allowed for managing additional application credentials.');
    const project = token.claims.project;
    if (!project) throw Errors.forbiddenAction('Application credentials require a project-scoped token.');
    if (Array.isArray(v.access_rules) && v.access_rules.length) throw Errors.validation('Access rules are not supported');
    const expiresAt = typeof v.expires_at === 'string' ? parseExpiry(v.expires_at) : null;
    let roles: Named[] = token.claims.roles;
    if (Array.isArray(v.roles)) {
      // as Keystone: the roles the user holds there now, not only those its token was issued with
      const holds = await effectiveRoles(db, token.claims.sub, 'project', project.id);
      roles = v.roles.map((r, i) => {
        if (!isObject(r) || (typeof r.id !== 'string' && typeof r.name !== 'string')) throw Errors.validation(`Invalid input for field 'roles[${i}]': {"id"} or {"name"} is required`);
        const held = holds.find((h) => h.id === r.id || (r.id === undefined && h.name === r.name));
        if (!held) throw Errors.forbiddenAction(`The user does not hold role ${String(r.id ?? r.name)} on project ${project.id}.`);
        return held;
      });
    }
    const secret = (v.secret as string | null) ?? randomBytes(48).toString('base64url');
    const row: ApplicationCredentialRow = {
      id: newId(), user_id: req.params.user, project_id: project.id, name: v.name as string, secret_hash: await ctx.passwords.hash(secret),
      expires_at: expiresAt, roles: JSON.stringify(roles), unrestricted: v.unrestricted ? 1 : 0, description: (v.description as string | null) ?? '',
      created_at: new Date().toISOString(),
    };
    try {
      await db.insertInto('application_credentials').values(row).execute();
    } catch (err) {
      throw dbError(asEntity, err);
    }
    reply.code(201);
    return { application_credential: { ...show(row, req), secret } };
  });

  app.get<P>(base, async (req) => {
    await enforce(ctx, req, 'identity:list_application_credentials', { user_id: req.params.user });
    await getRow(db, { table: 'users', kind: 'user' }, req.params.user);
    let q = db.selectFrom('application_credentials').selectAll().where('user_id', '=', req.params.user);
    const name = queryOf(req).name;
    if (name !== undefined) q = q.where('name', '=', name);
    const rows = await q.orderBy('id').execute();
    return { application_credentials: rows.map((r) => show(r, req)), links: listLinks(req) };
  });

  const find = async (req: FastifyRequest<P>, rule: string) => {
    await enforce(ctx, req, rule, { user_id: req.params.user });
    const row = await db.selectFrom('application_credentials').selectAll().where('user_id', '=', req.params.user).where('id', '=', req.params.id).executeTakeFirst();
    if (!row) throw Errors.notFound('application credential', req.params.id);
    return row;
  };

  app.get<P>(`${base}/:id`, async (req) => ({ application_credential: show(await find(req, 'identity:get_application_credential'), req) }));

  app.delete<P>(`${base}/:id`, async (req, reply) => {
    const row = await find(req, 'identity:delete_application_credential');
    const events = await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('application_credentials').where('id', '=', row.id).execute();
      return ctx.tokens.record(tx, [{ app_cred_id: row.id }]);
    });
    ctx.tokens.remember(events);
    reply.code(204).send();
  });
}
