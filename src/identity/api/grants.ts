// Role grants (PUT/HEAD/GET/DELETE /v3/{projects,domains}/{t}/users/{u}/roles/{r}),
// GET /v3/role_assignments, a user's projects and the own-password change.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withImplied } from '../assignments.js';
import { Errors } from '../errors.js';
import { baseUrl, enforce, queryBool, queryOf, type Ctx } from './context.js';
import { getRow, present } from './entity.js';
import { projectEntity } from './entities/resource.js';
import { roleEntity } from './entities/roles.js';
import { checkField, unwrap } from './validate.js';

type GrantParams = { Params: { target: string; user: string; role: string } };

export function registerGrants(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;

  for (const type of ['project', 'domain'] as const) {
    const base = `/v3/${type}s/:target/users/:user/roles`;
    const targetTable = type === 'project' ? 'projects' : 'domains';

    /** policy first, then the three rows must exist (404 names the missing one) */
    const resolve = async (req: FastifyRequest<GrantParams>, rule: string) => {
      const { target, user, role } = req.params;
      await enforce(ctx, req, rule, { project_id: type === 'project' ? target : undefined, domain_id: type === 'domain' ? target : undefined, user_id: user });
      await getRow(db, { table: targetTable, kind: type }, target);
      await getRow(db, { table: 'users', kind: 'user' }, user);
      if (role !== undefined) await getRow(db, { table: 'roles', kind: 'role' }, role);
    };
    const grant = (p: GrantParams['Params']) =>
      db.selectFrom('role_assignments').select('role_id').where('target_type', '=', type).where('target_id', '=', p.target).where('actor_id', '=', p.user).where('role_id', '=', p.role);

    app.put<GrantParams>(`${base}/:role`, async (req, reply) => {
      await resolve(req, 'identity:create_grant');
      const { target, user, role } = req.params;
      await db.insertInto('role_assignments').values({ target_type: type, target_id: target, actor_id: user, role_id: role }).onConflict((oc) => oc.doNothing()).execute();
      reply.code(204).send();
    });

    const check = async (req: FastifyRequest<GrantParams>, reply: { code(n: number): { send(): void } }) => {
      await resolve(req, 'identity:check_grant');
      if (!(await grant(req.params).executeTakeFirst())) throw Errors.notFound('role assignment', `${req.params.role} for user ${req.params.user} on ${type} ${req.params.target}`);
      reply.code(204).send();
    };
    app.head<GrantParams>(`${base}/:role`, check);
    app.get<GrantParams>(`${base}/:role`, { exposeHeadRoute: false }, check);

    app.delete<GrantParams>(`${base}/:role`, async (req, reply) => {
      await resolve(req, 'identity:revoke_grant');
      const { target, user, role } = req.params;
      if (!(await grant(req.params).executeTakeFirst())) throw Errors.notFound('role assignment', `${role} for user ${user} on ${type} ${target}`);
      const events = await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('role_assignments').where('target_type', '=', type).where('target_id', '=', target).where('actor_id', '=', user).where('role_id', '=', role).execute();
        // tokens carry their roles: the user's tokens on that target go (on a domain: all in that domain)
        return ctx.tokens.record(tx, [{ user_id: user, [type === 'project' ? 'project_id' : 'domain_id']: target }]);
      });
      ctx.tokens.remember(events);
      reply.code(204).send();
    });

    app.get<GrantParams>(base, async (req) => {
      await resolve(req, 'identity:list_grants');
      const ids = (await db.selectFrom('role_assignments').select('role_id').where('target_type', '=', type).where('target_id', '=', req.params.target).where('actor_id', '=', req.params.user).execute()).map((r) => r.role_id);
      const rows = ids.length ? await db.selectFrom('roles').selectAll().where('id', 'in', ids).orderBy('name').execute() : [];
      return { roles: rows.map((r) => present(roleEntity, r, req)), links: { self: `${baseUrl(req)}${req.url.split('?')[0]}`, previous: null, next: null } };
    });
  }

  app.get('/v3/role_assignments', async (req) => {
    const q = queryOf(req);
    await enforce(ctx, req, 'identity:list_role_assignments', { user_id: q['user.id'], project_id: q['scope.project.id'] });
    if (q['group.id'] !== undefined) return { role_assignments: [], links: { self: `${baseUrl(req)}/v3/role_assignments`, previous: null, next: null } };
    let query = db.selectFrom('role_assignments').selectAll();
    if (q['user.id'] !== undefined) query = query.where('actor_id', '=', q['user.id']);
    if (q['scope.project.id'] !== undefined) query = query.where('target_type', '=', 'project').where('target_id', '=', q['scope.project.id']);
    if (q['scope.domain.id'] !== undefined) query = query.where('target_type', '=', 'domain').where('target_id', '=', q['scope.domain.id']);
    const effective = q.effective !== undefined && queryBool('effective', q.effective);
    const rows = await query.orderBy('actor_id').orderBy('target_id').orderBy('role_id').execute();
    const base = baseUrl(req);
    const out: Array<Record<string, unknown>> = [];
    const roleFilter = q['role.id'];
    const names = q.include_names !== undefined && queryBool('include_names', q.include_names);
    // include_names: each id comes with its name (and its domain), as Keystone's listing does
    const domains = new Map((await db.selectFrom('domains').select(['id', 'name']).execute()).map((d) => [d.id, { id: d.id, name: d.name }]));
    const named = async (table: 'users' | 'projects', id: string) => {
      const r = await db.selectFrom(table).select(['id', 'name', 'domain_id']).where('id', '=', id).executeTakeFirst();
      return r ? { id: r.id, name: r.name, domain: domains.get(r.domain_id) } : { id };
    };
    const roleNames = new Map((await db.selectFrom('roles').select(['id', 'name']).execute()).map((r) => [r.id, r.name]));
    for (const r of rows) {
      // effective: the roles each grant implies are listed as assignments too
      const roles = effective ? [...(await withImplied(db, [r.role_id]))] : [r.role_id];
      for (const roleId of roles) {
        if (roleFilter !== undefined && roleId !== roleFilter) continue;
        const target = !names ? { id: r.target_id } : r.target_type === 'project' ? await named('projects', r.target_id) : (domains.get(r.target_id) ?? { id: r.target_id });
        const scope = { [r.target_type]: target };
        out.push({
          role: names ? { id: roleId, name: roleNames.get(roleId) } : { id: roleId },
          user: names ? await named('users', r.actor_id) : { id: r.actor_id },
          scope,
          links: { assignment: `${base}/v3/${r.target_type}s/${r.target_id}/users/${r.actor_id}/roles/${r.role_id}` },
        });
      }
    }
    return { role_assignments: out, links: { self: `${base}/v3/role_assignments`, previous: null, next: null } };
  });

  app.get<{ Params: { user: string } }>('/v3/users/:user/projects', async (req) => {
    await enforce(ctx, req, 'identity:list_user_projects', { user_id: req.params.user });
    await getRow(db, { table: 'users', kind: 'user' }, req.params.user);
    const rows = await db
      .selectFrom('projects')
      .selectAll()
      .where('id', 'in', db.selectFrom('role_assignments').select('target_id').where('actor_id', '=', req.params.user).where('target_type', '=', 'project'))
      .orderBy('id')
      .execute();
    return { projects: rows.map((p) => present(projectEntity, p, req)), links: { self: `${baseUrl(req)}/v3/users/${req.params.user}/projects`, previous: null, next: null } };
  });

  // Keystone asks for the original password, not a token: a user whose password expired can still change it
  app.post<{ Params: { user: string } }>('/v3/users/:user/password', async (req, reply) => {
    const item = unwrap(req.body, 'user');
    checkField('original_password', { type: 'string', max: 4096 }, item.original_password);
    checkField('password', { type: 'string', min: 1, max: 4096 }, item.password);
    const user = await db.selectFrom('users').selectAll().where('id', '=', req.params.user).executeTakeFirst();
    if (!(await ctx.passwords.verify(item.original_password as string, user?.password_hash)) || !user) throw Errors.unauthorized();
    const hash = await ctx.passwords.hash(item.password as string);
    const events = await db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
      return ctx.tokens.record(tx, [{ user_id: user.id }]);
    });
    ctx.tokens.remember(events);
    reply.code(204).send();
  });
}
