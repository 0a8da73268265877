// Role grants to users and groups alike (PUT/HEAD/GET/DELETE
// /v3/{projects,domains}/{t}/{users,groups}/{actor}/roles/{r}), the same
// inherited to projects (OS-INHERIT: /v3/OS-INHERIT/.../roles/{r}/inherited_to_projects),
// on the system (/v3/system/{users,groups}/{actor}/roles/{r}: target 'system', as Keystone stores them),
// a user's projects and the own-password change. (GET /v3/role_assignments: role-assignments.ts.)
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.js';
import { grantedTargets, SYSTEM, type TargetType } from '../assignments.js';
import { Errors } from '../errors.js';
import { membersOf } from '../groups.js';
import { projectsUnder } from '../inherited.js';
import type { RevocationMatch } from '../revocation.js';
import { enforce, type Ctx, listLinks } from './context.js';
import { getRow, present, presentAll } from './entity.js';
import { projectEntity } from './entities/resource.js';
import { roleEntity } from './entities/roles.js';
import { checkField, unwrap } from './validate.js';

type GrantParams = { Params: { target: string; actor: string; role: string } };
type Kind = { type: TargetType | typeof SYSTEM; actorType: 'user' | 'group'; inherited: boolean };

const ACTORS = ['user', 'group'] as const;
// the system has no inherited grants (Keystone's are never inherited)
const KINDS = [
  ...(['project', 'domain'] as const).flatMap((type) => ACTORS.flatMap((actorType) => [false, true].map((inherited): Kind => ({ type, actorType, inherited })))),
  ...ACTORS.map((actorType): Kind => ({ type: SYSTEM, actorType, inherited: false })),
];

/**
 * The token scopes whose roles a grant gave: its target's, or (inherited) the projects it reaches; a domain stands
 * for its projects; the system for system-scoped tokens (tokens.ts counts 'system' among their domains).
 */
async function scopesOf(tx: Tx, { type, inherited }: Kind, target: string): Promise<RevocationMatch[]> {
  if (type === 'domain' || type === SYSTEM) return [{ domain_id: target }];
  if (!inherited) return [{ project_id: target }];
  return (await projectsUnder(tx, type, target)).map((project_id) => ({ project_id }));
}

export function registerGrants(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;

  // one code path for direct grants and OS-INHERIT's (inherited_to_projects): another row, other URLs
  for (const kind of KINDS) {
    const { type, actorType, inherited } = kind;
    const flag = inherited ? 1 : 0;
    const system = type === SYSTEM;
    const base = system ? `/v3/system/${actorType}s/:actor/roles` : `/v3${inherited ? '/OS-INHERIT' : ''}/${type}s/:target/${actorType}s/:actor/roles`;
    const tail = inherited ? '/inherited_to_projects' : '';
    const targetTable = type === 'project' ? 'projects' : 'domains';
    const missing = (p: GrantParams['Params']) =>
      Errors.notFound('role assignment', `${p.role} for ${actorType} ${p.actor} on ${system ? 'the system' : `${type} ${p.target}`}${inherited ? ' inherited to projects' : ''}`);
    // Keystone's own rule names for system grants (identity:create_system_grant_for_user, ...)
    const ruleOf = (verb: 'check' | 'list' | 'create' | 'revoke') =>
      system ? `identity:${verb}_system_grant${verb === 'list' ? 's' : ''}_for_${actorType}` : `identity:${verb}_grant${verb === 'list' ? 's' : ''}`;

    /** policy first, then the three rows must exist (404 names the missing one) */
    const resolve = async (req: FastifyRequest<GrantParams>, verb: Parameters<typeof ruleOf>[0]) => {
      // the system's routes name no target: it is the one system
      if (system) req.params.target = SYSTEM;
      const { target, actor, role } = req.params;
      await enforce(ctx, req, ruleOf(verb), { project_id: type === 'project' ? target : undefined, domain_id: type === 'domain' ? target : undefined, [`${actorType}_id`]: actor });
      if (!system) await getRow(db, { table: targetTable, kind: type }, target);
      await getRow(db, { table: `${actorType}s`, kind: actorType }, actor);
      if (role !== undefined) await getRow(db, { table: 'roles', kind: 'role' }, role);
    };
    const actorGrants = (target: string, actor: string) =>
      db.selectFrom('role_assignments').select('role_id').where('target_type', '=', type).where('target_id', '=', target)
        .where('actor_type', '=', actorType).where('actor_id', '=', actor).where('inherited', '=', flag);
    const grant = (p: GrantParams['Params']) => actorGrants(p.target, p.actor).where('role_id', '=', p.role);

    app.put<GrantParams>(`${base}/:role${tail}`, async (req, reply) => {
      await resolve(req, 'create');
      const { target, actor, role } = req.params;
      const roleDomain = (await db.selectFrom('roles').select('domain_id').where('id', '=', role).executeTakeFirst())?.domain_id;
      if (system && roleDomain) {
        throw Errors.validation(`Role ${role} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`);
      }
      if (roleDomain && !system) {
        // as Keystone (DomainSpecificRoleMismatch): a domain's role is granted within that domain only
        const targetDomain = type === 'domain' ? target : (await db.selectFrom('projects').select('domain_id').where('id', '=', target).executeTakeFirst())?.domain_id;
        if (targetDomain !== roleDomain) throw Errors.forbiddenAction(`${type}: ${target} must be in the same domain as the role: ${role}.`);
      }
      await db.insertInto('role_assignments').values({ target_type: type, target_id: target, actor_type: actorType, actor_id: actor, role_id: role, inherited: flag })
        .onConflict((oc) => oc.doNothing()).execute();
      reply.code(204).send();
    });

    const check = async (req: FastifyRequest<GrantParams>, reply: { code(n: number): { send(): void } }) => {
      await resolve(req, 'check');
      if (!(await grant(req.params).executeTakeFirst())) throw missing(req.params);
      reply.code(204).send();
    };
    app.head<GrantParams>(`${base}/:role${tail}`, check);
    app.get<GrantParams>(`${base}/:role${tail}`, { exposeHeadRoute: false }, check);

    app.delete<GrantParams>(`${base}/:role${tail}`, async (req, reply) => {
      await resolve(req, 'revoke');
      const { target, actor, role } = req.params;
      const events = await db.transaction().execute(async (tx) => {
        const gone = await tx.deleteFrom('role_assignments').where('target_type', '=', type).where('target_id', '=', target)
          .where('actor_type', '=', actorType).where('actor_id', '=', actor).where('role_id', '=', role).where('inherited', '=', flag).executeTakeFirst();
        if (!Number(gone.numDeletedRows)) throw missing(req.params);
        // tokens carry their roles: the user's (or every member's) tokens where the grant held go
        const users = actorType === 'user' ? [actor] : await membersOf(tx, [actor]);
        const scopes = await scopesOf(tx, kind, target);
        return ctx.tokens.record(tx, users.flatMap((user_id) => scopes.map((s) => ({ user_id, ...s }))));
      });
      ctx.tokens.remember(events);
      reply.code(204).send();
    });

    // Keystone lists inherited grants on domains only
    if (inherited && type === 'project') continue;
    app.get<GrantParams>(`${base}${tail}`, async (req) => {
      await resolve(req, 'list');
      const ids = (await actorGrants(req.params.target, req.params.actor).execute()).map((r) => r.role_id);
      const rows = ids.length ? await db.selectFrom('roles').selectAll().where('id', 'in', ids).orderBy('name').execute() : [];
      return { roles: rows.map((r) => present(roleEntity, r, req)), links: listLinks(req) };
    });
  }

  app.get<{ Params: { user: string } }>('/v3/users/:user/projects', async (req) => {
    await enforce(ctx, req, 'identity:list_user_projects', { user_id: req.params.user });
    await getRow(db, { table: 'users', kind: 'user' }, req.params.user);
    const rows = await db
      .selectFrom('projects')
      .selectAll()
      .where('id', 'in', grantedTargets(db, req.params.user, 'project'))
      .orderBy('id')
      .execute();
    return { projects: await presentAll(projectEntity, db, rows, req), links: listLinks(req) };
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
