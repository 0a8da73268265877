// GET /v3/role_assignments: who holds which role where, as Keystone lists it.
// Direct: users' and groups' grants as stored. Effective: what users hold in
// fact, a group's grant once per member (with the membership linked) and each
// role with the roles it implies, less domain-specific roles (as in tokens).
// OS-INHERIT: an inherited grant is listed on its domain or project, marked
// "OS-INHERIT:inherited_to"; in effective mode, once for each project it reaches.
// System grants: scope {"system": {"all": true}}, filter scope.system=all.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { heldBy, SYSTEM, withImplied } from '../assignments.js';
import { Errors } from '../errors.js';
import { holdingOn, projectsUnder } from '../inherited.js';
import { baseUrl, enforce, queryBool, queryOf, type Ctx } from './context.js';
import { membersOf } from '../groups.js';

type Out = Record<string, unknown>;
/** who an entry names: a user (`via` the group whose grant it received, in effective mode) or a group */
type Holder = { user: string; via?: string } | { group: string };

const flag = (q: Record<string, string>, name: string) => q[name] !== undefined && queryBool(name, q[name]);

/** Keystone's refusals of filters that contradict each other (plain ValidationErrors there). */
function checkFilters(q: Record<string, string>, effective: boolean, inherited: boolean | undefined): void {
  if (q['scope.domain.id'] !== undefined && q['scope.project.id'] !== undefined) throw Errors.badRequest('Specify a domain or project, not both');
  if (q['scope.system'] && q['scope.domain.id'] !== undefined) throw Errors.badRequest('Specify system or domain, not both');
  if (q['scope.system'] && q['scope.project.id'] !== undefined) throw Errors.badRequest('Specify system or project, not both');
  if (q['user.id'] !== undefined && q['group.id'] !== undefined) throw Errors.badRequest('Specify a user or group, not both');
  if (effective && q['group.id'] !== undefined) throw Errors.badRequest('Combining effective and group filter will always result in an empty list.');
  if (effective && inherited && q['scope.domain.id'] !== undefined) {
    throw Errors.badRequest('Combining effective, domain and inherited filters will always result in an empty list.');
  }
}

/**
 * The stored grants an answer comes from. Effective: a domain inherits nothing, so a domain filter keeps direct
 * grants; a project filter takes those inherited from its domain and the projects above it (Keystone: 404 if unknown).
 */
async function sourceRows(db: Db, q: Record<string, string>, effective: boolean, inherited: boolean | undefined) {
  const userId = q['user.id'];
  const projectId = q['scope.project.id'];
  const domainId = q['scope.domain.id'];
  let query = db.selectFrom('role_assignments').selectAll();
  // effective: a user's own grants and its groups'
  if (userId !== undefined) query = effective ? query.where(heldBy(userId)) : query.where('actor_type', '=', 'user').where('actor_id', '=', userId);
  if (q['group.id'] !== undefined) query = query.where('actor_type', '=', 'group').where('actor_id', '=', q['group.id']);
  if (domainId !== undefined) query = query.where('target_type', '=', 'domain').where('target_id', '=', domainId);
  // Keystone: 'all' is the only system, any other value filters nothing
  if (q['scope.system'] === 'all') query = query.where('target_type', '=', SYSTEM);
  if (effective && domainId !== undefined) inherited = false;
  if (projectId !== undefined && (!effective || inherited === false)) query = query.where('target_type', '=', 'project').where('target_id', '=', projectId);
  else if (projectId !== undefined) {
    const on = await holdingOn(db, projectId);
    if (!on) throw Errors.notFound('project', projectId);
    query = query.where(on);
  }
  if (inherited !== undefined) query = query.where('inherited', '=', inherited ? 1 : 0);
  // effective: the filter applies to implied roles too, so after the expansion
  if (q['role.id'] !== undefined && !effective) query = query.where('role_id', '=', q['role.id']);
  return query.orderBy('actor_id').orderBy('target_id').orderBy('role_id').orderBy('inherited').execute();
}

export function registerRoleAssignments(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;

  app.get('/v3/role_assignments', async (req: FastifyRequest) => {
    const q = queryOf(req);
    await enforce(ctx, req, 'identity:list_role_assignments', { user_id: q['user.id'], group_id: q['group.id'], project_id: q['scope.project.id'] });
    const effective = flag(q, 'effective');
    const names = flag(q, 'include_names');
    // Keystone: present, the filter asks for inherited grants ('projects') or for direct ones (any other value)
    const inheritedTo = q['scope.OS-INHERIT:inherited_to'];
    const inherited = inheritedTo === undefined ? undefined : inheritedTo === 'projects';
    checkFilters(q, effective, inherited);
    const base = baseUrl(req);
    const links = { self: `${base}/v3/role_assignments`, previous: null, next: null };

    const userId = q['user.id'];
    const roleFilter = q['role.id'];
    const projectFilter = q['scope.project.id'];
    const rows = await sourceRows(db, q, effective, inherited);

    // Keystone strips domain-specific roles from effective lists: they only lend the global roles they imply
    const global = effective ? new Set((await db.selectFrom('roles').select('id').where('domain_id', 'is', null).execute()).map((r) => r.id)) : new Set<string>();
    const implied = new Map<string, string[]>();
    const rolesOf = async (roleId: string): Promise<string[]> => {
      if (!implied.has(roleId)) implied.set(roleId, [...(await withImplied(db, [roleId]))].filter((id) => global.has(id)));
      return implied.get(roleId)!;
    };
    const reached = new Map<string, string[]>();
    const projectsOf = async (type: string, id: string): Promise<string[]> => {
      if (!reached.has(`${type}/${id}`)) reached.set(`${type}/${id}`, await projectsUnder(db, type, id));
      return reached.get(`${type}/${id}`)!;
    };
    const members = new Map<string, string[]>();
    const membersOfGroup = async (groupId: string): Promise<string[]> => {
      if (!members.has(groupId)) members.set(groupId, await membersOf(db, [groupId]));
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
      else holders = (await membersOfGroup(r.actor_id)).filter((u) => userId === undefined || u === userId).map((u) => ({ user: u, via: r.actor_id }));
      if (!holders.length) continue;
      // where an entry holds: the grant's target, or (effective, inherited) each project the grant reaches
      const spread = effective && r.inherited === 1;
      const where = spread ? (projectFilter !== undefined ? [projectFilter] : await projectsOf(r.target_type, r.target_id)) : [r.target_id];
      const scopeType = spread ? 'project' : r.target_type;
      const inheritedTo = r.inherited === 1 ? { 'OS-INHERIT:inherited_to': 'projects' } : {};
      for (const targetId of where) {
        const target = scopeType === SYSTEM ? { all: true }
          : scopeType === 'project' ? await named('projects', targetId)
          : names ? (domains.get(targetId) ?? { id: targetId }) : { id: targetId };
        for (const roleId of effective ? await rolesOf(r.role_id) : [r.role_id]) {
          if (roleFilter !== undefined && roleId !== roleFilter) continue;
          for (const h of holders) {
            // the grant an entry comes from: the group's when received through a membership
            const actor = 'group' in h ? `groups/${h.group}` : h.via ? `groups/${h.via}` : `users/${h.user}`;
            const grant = `${r.target_type === SYSTEM ? SYSTEM : `${r.target_type}s/${r.target_id}`}/${actor}/roles/${r.role_id}`;
            const entryLinks: Out = { assignment: r.inherited === 1 ? `${base}/v3/OS-INHERIT/${grant}/inherited_to_projects` : `${base}/v3/${grant}` };
            if ('user' in h && h.via) entryLinks.membership = `${base}/v3/groups/${h.via}/users/${h.user}`;
            out.push({
              role: names ? { id: roleId, name: roleNames.get(roleId) } : { id: roleId },
              ...('group' in h ? { group: await named('groups', h.group) } : { user: await named('users', h.user) }),
              scope: { [scopeType]: target, ...inheritedTo },
              links: entryLinks,
            });
          }
        }
      }
    }
    return { role_assignments: out, links };
  });
}
