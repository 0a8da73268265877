// Who holds which role where: direct grants plus the roles they imply
// (admin → member → reader, as keystone-manage bootstrap makes them).
import type { Db, Tx } from '../common/db/index.js';
import type { Named } from './tokens.js';

export type TargetType = 'project' | 'domain';

/** The closure of `roleIds` under implication. */
export async function withImplied(db: Db | Tx, roleIds: Iterable<string>): Promise<Set<string>> {
  const all = new Set(roleIds);
  let frontier = [...all];
  // bounded by the number of roles; a cycle ends because nothing new is found
  while (frontier.length) {
    const rows = await db.selectFrom('implied_roles').select('implied_role_id').where('prior_role_id', 'in', frontier).execute();
    frontier = rows.map((r) => r.implied_role_id).filter((id) => !all.has(id));
    for (const id of frontier) all.add(id);
  }
  return all;
}

export async function namedRoles(db: Db | Tx, ids: Iterable<string>): Promise<Named[]> {
  const list = [...ids];
  if (!list.length) return [];
  const rows = await db.selectFrom('roles').select(['id', 'name']).where('id', 'in', list).orderBy('name').execute();
  return rows;
}

/** The user's effective roles on a project or domain, implied roles included. */
export async function effectiveRoles(db: Db | Tx, userId: string, type: TargetType, targetId: string): Promise<Named[]> {
  const direct = await db
    .selectFrom('role_assignments')
    .select('role_id')
    .where('actor_id', '=', userId)
    .where('target_type', '=', type)
    .where('target_id', '=', targetId)
    .execute();
  if (!direct.length) return [];
  return namedRoles(db, await withImplied(db, direct.map((r) => r.role_id)));
}
