// Who holds which role where: direct grants, grants to the user's groups,
// grants inherited onto projects (OS-INHERIT, inherited.ts), plus the roles
// they imply (admin → member → reader, as keystone-manage bootstrap makes them).
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Db, Tx } from './db/database.js';
import type { IdentitySchema } from './db/schema.js';
import { below, holdingOn } from './inherited.js';
import type { Named } from './tokens.js';

export type TargetType = 'project' | 'domain';

/** Keystone's target id (and type) of system role assignments: the system is one target, the whole cloud */
export const SYSTEM = 'system';

/** The closure of `roleIds` under implication. */
export async function withImplied(db: Db | Tx, roleIds: Iterable<string>): Promise<Set<string>> {
  const all = new Set(roleIds);
  if (!all.size) return all;
  // the rules are a handful of rows: one read, then the closure in memory (was a query per level)
  const rules = await db.selectFrom('implied_roles').select(['prior_role_id', 'implied_role_id']).execute();
  let frontier = [...all];
  // bounded by the number of roles; a cycle ends because nothing new is found
  while (frontier.length) {
    const from = new Set(frontier);
    frontier = rules.filter((r) => from.has(r.prior_role_id) && !all.has(r.implied_role_id)).map((r) => r.implied_role_id);
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
export const heldBy = (userId: string) => (eb: ExpressionBuilder<IdentitySchema, 'role_assignments'>) =>
  eb.or([
    eb.and([eb('actor_type', '=', 'user'), eb('actor_id', '=', userId)]),
    eb.and([eb('actor_type', '=', 'group'), eb('actor_id', 'in', eb.selectFrom('user_group_membership').select('group_id').where('user_id', '=', userId))]),
  ]);

/** A subquery: the ids of the targets of a type where the user holds grants (inherited ones or not), itself or through a group. */
const held = (db: Db | Tx, userId: string, type: TargetType, inherited: 0 | 1) =>
  db.selectFrom('role_assignments').select('target_id').where('target_type', '=', type).where('inherited', '=', inherited).where(heldBy(userId));

/**
 * A subquery: the ids of the projects (or domains) on which the user holds some role, itself or through a group;
 * on projects, also those an inherited grant reaches (OS-INHERIT: the domain's projects, the projects below).
 */
export const grantedTargets = (db: Db | Tx, userId: string, type: TargetType): SelectQueryBuilder<IdentitySchema, any, { target_id: string }> =>
  type === 'domain'
    ? held(db, userId, 'domain', 0)
    : db
        .selectFrom('projects')
        .select('id as target_id')
        .where((eb) =>
          eb.or([
            eb('id', 'in', held(db, userId, 'project', 0)),
            eb('domain_id', 'in', held(db, userId, 'domain', 1)),
            eb('id', 'in', below(db, held(db, userId, 'project', 1))),
          ]),
        );

/**
 * The user's effective roles on a project, a domain or the system: its own grants and its groups', implied roles
 * included; on a project, also the grants inherited from its domain and the projects above it (never on a domain).
 */
export async function effectiveRoles(db: Db | Tx, userId: string, type: TargetType | typeof SYSTEM, targetId: string): Promise<Named[]> {
  const on = type === 'project'
    ? await holdingOn(db, targetId)
    : (eb: ExpressionBuilder<IdentitySchema, 'role_assignments'>) => eb.and([eb('target_type', '=', type), eb('target_id', '=', targetId), eb('inherited', '=', 0)]);
  if (!on) return [];
  const direct = await db.selectFrom('role_assignments').select('role_id').where(heldBy(userId)).where(on).execute();
  if (!direct.length) return [];
  const ids = [...(await withImplied(db, direct.map((r) => r.role_id)))];
  // as Keystone: a domain-specific role only lends the global roles it implies, it is not held itself
  return db.selectFrom('roles').select(['id', 'name']).where('id', 'in', ids).where('domain_id', 'is', null).orderBy('name').execute();
}
