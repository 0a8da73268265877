// GET /v3/role_assignments: who holds which role where, as Keystone lists it.
// Direct: users' and groups' grants as stored. Effective: what users hold in
// fact, a group's grant once per member (with the membership linked) and each
// role with the roles it implies, less domain-specific roles (as in tokens).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { heldBy, withImplied } from '../assignments.js';
import { Errors } from '../errors.js';
import { baseUrl, enforce, queryBool, queryOf, type Ctx } from './context.js';

type Out = Record<string, unknown>;
/** who an entry names: a user (`via` the group whose grant it received, in effective mode) or a group */
type Holder = { user: string; via?: string } | { group: string };

const flag = (q: Record<string, string>, name: string) => q[name] !== undefined && queryBool(name, q[name]);

/** Keystone's refusals of filters that contradict each other (plain ValidationErrors there). */
function checkFilters(q: Record<string, string>, effective: boolean): void {
  if (q['scope.domain.id'] !== undefined && q['scope.project.id'] !== undefined) throw Errors.badRequest('Specify a domain or project, not both');
  if (q['user.id'] !== undefined && q['group.id'] !== undefined) throw Errors.badRequest('Specify a user or group, not both');
  if (effective && q['group.id'] !== undefined) throw Errors.badRequest('Combining effective and group filter will always result in an empty list.');
}

export function registerRoleAssignments(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;

  app.get('/v3/role_assignments', async (req: FastifyRequest) => {
    const q = queryOf(req);
    await enforce(ctx, req, 'identity:list_role_assignments', { user_id: q['user.id'], group_id: q['group.id'], project_id: q['scope.project.id'] });
    const effective = flag(q, 'effective');
    const names = flag(q, 'include_names');
    checkFilters(q, effective);
    const base = baseUrl(req);
    const links = { self: `${base}/v3/role_assignments`, previous: null, next: null };
    // no system grants and no inherited grants exist here: those filters match nothing
    if (q['scope.system'] !== undefined || q['scope.OS-INHERIT:inherited_to'] === 'projects') return { role_assignments: [], links };

    const userId = q['user.id'];
    const roleFilter = q['role.id'];
    let query = db.selectFrom('role_assignments').selectAll();
    // effective: a user's own grants and its groups'
    if (userId !== undefined) query = effective ? query.where(heldBy(userId)) : query.where('actor_type', '=', 'user').where('actor_id', '=', userId);
    if (q['group.id'] !== undefined) query = query.where('actor_type', '=', 'group').where('actor_id', '=', q['group.id']);
    if (q['scope.project.id'] !== undefined) query = query.where('target_type', '=', 'project').where('target_id', '=', q['scope.project.id']);
    if (q['scope.domain.id'] !== undefined) query = query.where('target_type', '=', 'domain').where('target_id', '=', q['scope.domain.id']);
    // effective: the filter applies to implied roles too, so after the expansion
    if (roleFilter !== undefined && !effective) query = query.where('role_id', '=', roleFilter);
    const rows = await query.orderBy('actor_id').orderBy('target_id').orderBy('role_id').execute();

    // Keystone strips domain-specific roles from effective lists: they only lend the global roles they imply
    const global = effective ? new Set((await db.selectFrom('roles').select('id').where('domain_id', 'is', null).execute()).map((r) => r.id)) : new Set<string>();
    const implied = new Map<string, string[]>();
    const rolesOf = async (roleId: string): Promise<string[]> => {
      if (!implied.has(roleId)) implied.set(roleId, [...(await withImplied(db, [roleId]))].filter((id) => global.has(id)));
      return implied.get(roleId)!;
    };
    const members = new Map<string, string[]>();
    const membersOf = async (groupId: string): Promise<string[]> => {
      if (!members.has(groupId)) {
        const m = await db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', groupId).orderBy('user_id').execute();
        members.set(groupId, m.map((r) => r.user_id));
      }
      return members.get(groupId)!;
    };

    // include_names: each id comes with its name (and its domain), as Keystone's listing does
    const domains = names ? new Map((await db.selectFrom('domains').select(['id', 'name']).execute()).map((d) => [d.id, { id: d.id, name: d.name }])) : new Map();
    const roleNames = names ? new Map((await db.selectFrom('roles').select(['id', 'name']).execute()).map((r) => [r.id, r.name])) : new Map();
    const named = async (table: 'users' | 'groups' | 'projects', id: string): Promise<Out> => {
      if (!names) return { id };
      const r = await db.selectFrom(table as 'users').select(['id', 'name', 'domain_id']).where('id', '=', id).executeTakeFirst();
      return r ? { id: r.id, name: r.name, domain: domains.get(r.domain_id) } : { id };
    };

    const out: Out[] = [];
    for (const r of rows) {
      let holders: Holder[];
      if (r.actor_type === 'user') holders = [{ user: r.actor_id }];
      else if (!effective) holders = [{ group: r.actor_id }];
      else holders = (await membersOf(r.actor_id)).filter((u) => userId === undefined || u === userId).map((u) => ({ user: u, via: r.actor_id }));
      if (!holders.length) continue;
      const target = r.target_type === 'project' ? await named('projects', r.target_id) : names ? (domains.get(r.target_id) ?? { id: r.target_id }) : { id: r.target_id };
      for (const roleId of effective ? await rolesOf(r.role_id) : [r.role_id]) {
        if (roleFilter !== undefined && roleId !== roleFilter) continue;
        for (const h of holders) {
          // the grant an entry comes from: the group's when received through a membership
          const actor = 'group' in h ? `groups/${h.group}` : h.via ? `groups/${h.via}` : `users/${h.user}`;
          const entryLinks: Out = { assignment: `${base}/v3/${r.target_type}s/${r.target_id}/${actor}/roles/${r.role_id}` };
          if ('user' in h && h.via) entryLinks.membership = `${base}/v3/groups/${h.via}/users/${h.user}`;
          out.push({
            role: names ? { id: roleId, name: roleNames.get(roleId) } : { id: roleId },
            ...('group' in h ? { group: await named('groups', h.group) } : { user: await named('users', h.user) }),
            scope: { [r.target_type]: target },
            links: entryLinks,
          });
        }
      }
    }
    return { role_assignments: out, links };
  });
}
