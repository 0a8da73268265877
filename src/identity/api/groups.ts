// Group membership: PUT/HEAD/GET/DELETE /v3/groups/{g}/users/{u},
// GET /v3/groups/{g}/users and GET /v3/users/{u}/groups. (The groups
// themselves are an Entity: entities/groups.ts.)
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import { enforce, queryBool, queryOf, type Ctx, listLinks } from './context.js';
import { dbError, present } from './entity.js';
import { groupEntity } from './entities/groups.js';
import { userEntity } from './entities/users.js';

type MemberParams = { Params: { group: string; user: string } };


export function registerGroups(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const find = (table: 'groups' | 'users', id: string) => db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();

  /**
   * As Keystone: the policy sees the group and the user when they exist (a domain
   * reader's rule compares both domains), then 404 names the missing group, then the user.
   * Any domain's user may join any group: Keystone only refuses memberships across identity backends.
   */
  const resolve = async (req: FastifyRequest<MemberParams>, rule: string) => {
    const { group, user } = req.params;
    const [g, u] = await Promise.all([find('groups', group), find('users', user)]);
    await enforce(ctx, req, rule, { group_id: group, domain_id: g?.domain_id, user_id: user, user_domain_id: u?.domain_id });
    if (!g) throw Errors.notFound('group', group);
    if (!u) throw Errors.notFound('user', user);
  };
  const notMember = (p: MemberParams['Params']) => Errors.notFoundMessage(`User '${p.user}' not found in group '${p.group}'`);
  const member = '/v3/groups/:group/users/:user';

  app.put<MemberParams>(member, async (req, reply) => {
    await resolve(req, 'identity:add_user_to_group');
    try {
      // no revocation: a new member's tokens lack the group's roles until it asks for new ones
      await db.insertInto('user_group_membership').values({ user_id: req.params.user, group_id: req.params.group }).onConflict((oc) => oc.doNothing()).execute();
    } catch (err) {
      throw dbError(groupEntity, err); // the group or user went away meanwhile
    }
    reply.code(204).send();
  });

  const check = async (req: FastifyRequest<MemberParams>, reply: FastifyReply) => {
    await resolve(req, 'identity:check_user_in_group');
    const { group, user } = req.params;
    if (!(await db.selectFrom('user_group_membership').select('user_id').where('user_id', '=', user).where('group_id', '=', group).executeTakeFirst())) throw notMember(req.params);
    reply.code(204).send();
  };
  // HEAD before GET: Fastify would otherwise derive one from the GET
  app.head<MemberParams>(member, check);
  app.get<MemberParams>(member, { exposeHeadRoute: false }, check);

  app.delete<MemberParams>(member, async (req, reply) => {
    await resolve(req, 'identity:remove_user_from_group');
    const { group, user } = req.params;
    const events = await db.transaction().execute(async (tx) => {
      const gone = await tx.deleteFrom('user_group_membership').where('user_id', '=', user).where('group_id', '=', group).executeTakeFirst();
      if (!Number(gone.numDeletedRows)) throw notMember(req.params);
      // as Keystone: all the user's tokens go, since they may carry roles the group gave
      return ctx.tokens.record(tx, [{ user_id: user }]);
    });
    ctx.tokens.remember(events);
    reply.code(204).send();
  });

  app.get<{ Params: { group: string } }>('/v3/groups/:group/users', async (req) => {
    const q = queryOf(req);
    const g = await find('groups', req.params.group);
    const token = await enforce(ctx, req, 'identity:list_users_in_group', { group_id: req.params.group, domain_id: g?.domain_id });
    if (!g) throw Errors.notFound('group', req.params.group);
    let query = db.selectFrom('users').selectAll().where('id', 'in', db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', g.id));
    if (q.name !== undefined) query = query.where('name', '=', q.name);
    if (q.domain_id !== undefined) query = query.where('domain_id', '=', q.domain_id);
    if (q.enabled !== undefined) query = query.where('enabled', '=', queryBool('enabled', q.enabled) ? 1 : 0);
    // a domain-scoped caller sees its own domain's members only, as Keystone filters them
    if (token.claims.domain) query = query.where('domain_id', '=', token.claims.domain.id);
    const rows = await query.orderBy('id').execute();
    return { users: rows.map((u) => present(userEntity, u, req)), links: listLinks(req) };
  });

  app.get<{ Params: { user: string } }>('/v3/users/:user/groups', async (req) => {
    const q = queryOf(req);
    const u = await find('users', req.params.user);
    const token = await enforce(ctx, req, 'identity:list_groups_for_user', { user_id: req.params.user, domain_id: u?.domain_id });
    if (!u) throw Errors.notFound('user', req.params.user);
    let query = db.selectFrom('groups').selectAll().where('id', 'in', db.selectFrom('user_group_membership').select('group_id').where('user_id', '=', u.id));
    if (q.name !== undefined) query = query.where('name', '=', q.name);
    if (token.claims.domain) query = query.where('domain_id', '=', token.claims.domain.id);
    const rows = await query.orderBy('id').execute();
    // membership_expires_at belongs to the membership (federated ones expire); local ones never do
    return { groups: rows.map((g) => ({ ...present(groupEntity, g, req), membership_expires_at: null })), links: listLinks(req) };
  });
}
