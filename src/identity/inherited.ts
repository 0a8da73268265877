// OS-INHERIT: where an inherited grant holds. One on a domain holds on each of
// the domain's projects, one on a project on each project below it (all
// levels); neither holds on its own target, as in Keystone (so no inherited
// role in a domain-scoped token).
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Db, Tx } from './db/database.js';
import type { IdentitySchema } from './db/schema.js';

type Q = Db | Tx;
/** project ids, as a list or as a subquery */
type Ids = readonly string[] | SelectQueryBuilder<IdentitySchema, any, { target_id: string }>;

/** A subquery: the ids of the projects below some projects, at any depth. */
export const below = (db: Q, roots: Ids) =>
  db
    .withRecursive('below(id)', (qb) =>
      qb
        .selectFrom('projects')
        .select('id')
        .where('parent_id', 'in', roots)
        // union, not union all: it would stop even on a cycle (parent_id cannot be changed, so there is none)
        .union(qb.selectFrom('projects').innerJoin('below', 'below.id', 'projects.parent_id').select('projects.id')),
    )
    .selectFrom('below')
    .select('id');

/** The projects above a project, nearest first (none for a top-level or unknown project). */
export async function ancestorsOf(db: Q, projectId: string, parentId?: string | null): Promise<string[]> {
  const out: string[] = [];
  let parent = parentId !== undefined ? parentId : (await db.selectFrom('projects').select('parent_id').where('id', '=', projectId).executeTakeFirst())?.parent_id;
  while (parent && !out.includes(parent)) {
    out.push(parent);
    parent = (await db.selectFrom('projects').select('parent_id').where('id', '=', parent).executeTakeFirst())?.parent_id;
  }
  return out;
}

/** The projects an inherited grant on a domain or a project reaches. */
export async function projectsUnder(db: Q, targetType: string, targetId: string): Promise<string[]> {
  const rows = targetType === 'domain'
    ? await db.selectFrom('projects').select('id').where('domain_id', '=', targetId).orderBy('id').execute()
    : await below(db, [targetId]).orderBy('id').execute();
  return rows.map((r) => r.id);
}

/** A role_assignments condition: the inherited grants that reach a project, from its domain or from a project above it. */
export const inheritedOnto = (project: { domain_id: string }, ancestors: readonly string[]) => (eb: ExpressionBuilder<IdentitySchema, 'role_assignments'>) =>
  eb.and([
    eb('inherited', '=', 1),
    eb.or([
      eb.and([eb('target_type', '=', 'domain'), eb('target_id', '=', project.domain_id)]),
      ...(ancestors.length ? [eb.and([eb('target_type', '=', 'project'), eb('target_id', 'in', ancestors)])] : []),
    ]),
  ]);

/** A role_assignments condition: the grants holding on a project, direct and inherited; null for an unknown project. */
export async function holdingOn(db: Q, projectId: string) {
  const project = await db.selectFrom('projects').select(['domain_id', 'parent_id']).where('id', '=', projectId).executeTakeFirst();
  if (!project) return null;
  const onto = inheritedOnto(project, await ancestorsOf(db, projectId, project.parent_id));
  return (eb: ExpressionBuilder<IdentitySchema, 'role_assignments'>) =>
    eb.or([eb.and([eb('target_type', '=', 'project'), eb('target_id', '=', projectId), eb('inherited', '=', 0)]), onto(eb)]);
}
