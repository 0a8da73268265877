// /v3/auth/*: issuing, checking and revoking tokens, and what a token may reach.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { grantedTargets, heldBy, SYSTEM } from '../assignments.js';
import { authenticate } from '../authenticate.js';
import { catalog } from '../catalog.js';
import { Errors } from '../errors.js';
import type { ValidatedToken } from '../tokens.js';
import { domainEntity, projectEntity } from './entities/resource.js';
import { presentAll } from './entity.js';
import { baseUrl, caller, enforce, keystoneTime, queryBool, queryOf, tokenIn, type Ctx, listLinks } from './context.js';

/** The token body Keystone answers with. */
async function render(ctx: Ctx, t: ValidatedToken, withCatalog: boolean): Promise<Record<string, unknown>> {
  const c = t.claims;
  const token: Record<string, unknown> = {
    methods: c.methods,
    user: { id: c.user.id, name: c.user.name, domain: c.user.domain, password_expires_at: null },
    audit_ids: t.auditIds,
    expires_at: keystoneTime(t.expiresAt),
    issued_at: keystoneTime(t.issuedAt),
  };
  if (c.project) Object.assign(token, { project: c.project, is_domain: false });
  if (c.domain) token.domain = c.domain;
  if (c.system) token.system = c.system;
  if (c.project || c.domain || c.system) {
    token.roles = c.roles;
    if (withCatalog) token.catalog = await catalog(ctx.database.db, c.project?.id);
  }
  if (c.app_cred) token.application_credential = c.app_cred;
  return { token };
}

const noCatalog = (req: FastifyRequest): boolean => {
  const q = queryOf(req);
  return q.nocatalog !== undefined && queryBool('nocatalog', q.nocatalog);
};

export function registerAuth(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;

  app.post('/v3/auth/tokens', async (req, reply) => {
    const wanted = await authenticate(db, ctx.passwords, ctx.tokens, req.body);
    const { token, validated: t } = await ctx.tokens.issue(wanted);
    if (!t) throw Errors.internal();
    reply.code(201).header('X-Subject-Token', token);
    return render(ctx, t, !noCatalog(req));
  });

  /** the X-Subject-Token, once the caller may look at it; 404 when it is not valid */
  async function subject(req: FastifyRequest, rule: string): Promise<[ValidatedToken, string]> {
    await caller(ctx, req);
    const raw = req.headers['x-subject-token'];
    if (typeof raw !== 'string' || !raw) throw Errors.validation('X-Subject-Token header is required');
    // as Keystone, an invalid subject is 404 before policy looks at it (a revoked token has no owner to compare)
    const t = await tokenIn(ctx, req, 'x-subject-token');
    if (!t) throw Errors.notFound('token', 'the token in X-Subject-Token');
    await enforce(ctx, req, rule, { user_id: t.claims.sub });
    return [t, raw];
  }

  // HEAD before GET: Fastify would otherwise derive one from the GET
  app.head('/v3/auth/tokens', async (req, reply) => {
    const [, raw] = await subject(req, 'identity:check_token');
    reply.code(200).header('X-Subject-Token', raw).send();
  });

  app.get('/v3/auth/tokens', async (req, reply) => {
    const [t, raw] = await subject(req, 'identity:validate_token');
    reply.header('X-Subject-Token', raw);
    return render(ctx, t, !noCatalog(req));
  });

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const [t] = await subject(req, 'identity:revoke_token');
    const events = await ctx.tokens.record(db, [{ audit_id: t.claims.jti }]);
    ctx.tokens.remember(events);
    reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (req) => {
    const t = await enforce(ctx, req, 'identity:get_auth_catalog');
    if (!t.claims.project && !t.claims.domain && !t.claims.system) throw Errors.forbiddenAction('A scoped token is required to see the catalog.');
    return { catalog: await catalog(db, t.claims.project?.id), links: listLinks(req) };
  });

  // the enabled projects and domains where the user holds a role (its own, its groups', inherited)
  for (const e of [projectEntity, domainEntity]) {
    app.get(`/v3/auth/${e.plural}`, async (req) => {
      const t = await enforce(ctx, req, `identity:get_auth_${e.plural}`);
      const rows = await db
        .selectFrom(e.table as 'projects')
        .selectAll()
        .where('enabled', '=', 1)
        .where('id', 'in', grantedTargets(db, t.claims.sub, e.singular as 'project' | 'domain'))
        .orderBy('id')
        .execute();
      return { [e.plural]: await presentAll(e, db, rows, req), links: listLinks(req) };
    });
  }

  // Keystone: [{"all": true}] when the user, or one of its groups, holds a role on the system
  app.get('/v3/auth/system', async (req) => {
    const t = await caller(ctx, req);
    const held = await db.selectFrom('role_assignments').select('role_id').where('target_type', '=', SYSTEM).where('target_id', '=', SYSTEM).where(heldBy(t.claims.sub)).executeTakeFirst();
    return { system: held ? [{ all: true }] : [], links: listLinks(req) };
  });
}
