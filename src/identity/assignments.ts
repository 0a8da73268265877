// Who holds which role where: direct grants, grants to the user's groups,
// plus the roles they imply (admin → member → reader, as keystone-manage
// bootstrap makes them).
import type { ExpressionBuilder } from 'kysely';
import type { Db, Tx } from '../common/db/index.js';
import type { Schema } from '../common/db/schema.js';
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

/** A role_assignments condition: the grants the user holds, to itself or to one of its groups. */
export const heldBy = (userId: string) => (eb: ExpressionBuilder<Schema, 'role_assignments'>) =>
  eb.or([
    eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', userId)]),
    eb.and([eb('actor_type', '=', 'group'), eb('actor_id', 'in', eb.selectFrom('user_group_membership').select('group_id').where('user_id', '=', userId))]),
  ]);

/** A subquery: the ids of the projects (or domains) on which the user holds some role, itself or through a group. */
export const grantedTargets = (db: Db | Tx, userId: string, type: TargetType) =>
  db.selectFrom('role_assignments').select('target_id').where('target_type', '=', type).where(heldBy(userId));

/** The user's effective roles on a project or domain: its own grants and its groups', implied roles included. */
export async function effectiveRoles(db: Db | Tx, userId: string, type: TargetType, targetId: string): Promise<Named[]> {
  const direct = await db
    .selectFrom('role_assignments')
    .select('role_id')
    .where(heldBy(userId))
    .where('target_type', '=', type)
    .where('target_id', '=', targetId)
    .execute();
  if (!direct.length) return [];
  const ids = [...(await withImplied(db, direct.map((r) => r.role_id)))];
  // as Keystone: a domain-specific role only lends the global roles it implies, it is not held itself
  return db.selectFrom('roles').select(['id', 'name']).where('id', 'in', ids).where('domain_id', 'is', null).orderBy('name').execute();
}
