// Domains and projects (Keystone's "resource" backend).
import { Errors } from '../../errors.js';
import type { RevocationMatch } from '../../revocation.js';
import { getRow, toColumns, type Entity, type Hooks, type Row } from '../entity.js';
import { checkTags, DOMAIN_TAGS, loadTags, narrowByTags, PROJECT_TAGS, replaceTags, type TagTable } from '../project-tags.js';
import type { Body } from '../validate.js';
import { dropDomainGroups } from '../../groups.js';

const common = {
  description: { type: 'string', default: '' },
  enabled: { type: 'boolean', default: true },
} as const;

/** Keystone's `tags` of projects and domains: checked before the transaction, kept in their own table (project-tags.ts) */
const tagHooks = (t: TagTable): Pick<Entity, 'prepare' | 'store' | 'load'> => ({
  async prepare(_ctx, v) {
    if (v.tags !== undefined) checkTags(v.tags);
  },
  async store({ tx, ctx }, row, v) {
    if (v.tags !== undefined) await replaceTags(tx, ctx.database.dialect, t, row.id, v.tags as string[]);
  },
  load: (db, rows) => loadTags(db, t, rows),
});

/** Removes what hangs off some projects: their grants, application credentials and credentials. */
async function dropProjects(tx: Hooks['tx'], projectIds: string[]): Promise<void> {
  if (!projectIds.length) return;
  await tx.deleteFrom('role_assignments').where('target_type', '=', 'project').where('target_id', 'in', projectIds).execute();
  await tx.deleteFrom('application_credentials').where('project_id', 'in', projectIds).execute();
  await tx.deleteFrom('credentials').where('project_id', 'in', projectIds).execute();
}

export const domainEntity: Entity = {
  singular: 'domain',
  plural: 'domains',
  table: 'domains',
  kind: 'domain',
  fields: { name: { type: 'string', min: 1, max: 64, required: true }, ...common, options: { type: 'object', default: {} }, tags: { type: 'array', default: [] } },
  extra: true,
  filters: { name: 'string', enabled: 'boolean' },
  rules: { get: 'identity:get_domain', list: 'identity:list_domains', create: 'identity:create_domain', update: 'identity:update_domain', delete: 'identity:delete_domain' },
  target: (r) => ({ id: r.id, domain_id: r.id }),
  show: (r) => ({ id: r.id, name: r.name, description: r.description, enabled: Boolean(r.enabled), tags: r.tags ?? [], options: {} }),
  ...tagHooks(DOMAIN_TAGS),
  async create(_h, v) {
    const { options: _o, tags: _t, ...rest } = v;
    return { ...toColumns(this.fields, rest), created_at: new Date().toISOString() };
  },
  async update(_h, row, v) {
    const { options: _o, tags: _t, ...rest } = v;
    const revoke: RevocationMatch[] = v.enabled === false && row.enabled ? [{ domain_id: row.id }] : [];
    return { set: toColumns(this.fields, rest), revoke };
  },
  async remove({ tx }, row) {
    if (row.enabled) throw Errors.forbiddenAction('Cannot delete a domain that is enabled, please disable it first.');
    const projects = (await tx.selectFrom('projects').select('id').where('domain_id', '=', row.id).execute()).map((p) => p.id);
    await dropProjects(tx, projects);
    await tx.deleteFrom('projects').where('domain_id', '=', row.id).execute();
    const groupRevocations = await dropDomainGroups(tx, row.id);
    const users = tx.selectFrom('users').select('id').where('domain_id', '=', row.id);
    await tx.deleteFrom('role_assignments').where('actor_type', '=', 'user').where('actor_id', 'in', users).execute();
    await tx.deleteFrom('credentials').where('user_id', 'in', users).execute();
    await tx.deleteFrom('role_assignments').where('target_type', '=', 'domain').where('target_id', '=', row.id).execute();
    await tx.deleteFrom('users').where('domain_id', '=', row.id).execute();
    await tx.deleteFrom('roles').where('domain_id', '=', row.id).execute();
    return [{ domain_id: row.id }, ...groupRevocations];
  },
};

/** the domain a new project or user lands in when the body names none: the caller's */
export function defaultDomain(claims: { domain?: { id: string }; project?: { domain: { id: string } } }): string {
  return claims.domain?.id ?? claims.project?.domain.id ?? 'default';
}

export async function requireDomain(tx: Hooks['tx'], id: string): Promise<Row> {
  return getRow(tx, { table: 'domains', kind: 'domain' }, id);
}

export const projectEntity: Entity = {
  singular: 'project',
  plural: 'projects',
  table: 'projects',
  kind: 'project',
  fields: {
    name: { type: 'string', min: 1, max: 64, required: true },
    domain_id: { type: 'string', nullable: true, min: 1, max: 64, put: false },
    parent_id: { type: 'string', nullable: true, min: 1, max: 64, put: false },
    is_domain: { type: 'boolean', default: false, put: false },
    ...common,
    options: { type: 'object', default: {} },
    tags: { type: 'array', default: [] },
  },
  extra: true,
  filters: { name: 'string', domain_id: 'string', parent_id: 'string', enabled: 'boolean', is_domain: 'boolean' },
  rules: { get: 'identity:get_project', list: 'identity:list_projects', create: 'identity:create_project', update: 'identity:update_project', delete: 'identity:delete_project' },
  target: (r) => ({ id: r.id, project_id: r.id, domain_id: r.domain_id }),
  show: (r) => ({
    id: r.id, name: r.name, domain_id: r.domain_id, parent_id: r.parent_id ?? r.domain_id, description: r.description,
    enabled: Boolean(r.enabled), is_domain: false, tags: r.tags ?? [], options: {},
  }),
  ...tagHooks(PROJECT_TAGS),
  narrow: narrowByTags,
  async create({ tx }, v: Body, token) {
    if (v.is_domain === true) throw Errors.validation("Invalid input for field 'is_domain': projects acting as domains are not supported; create a domain");
    let domainId = (v.domain_id as string | null | undefined) ?? undefined;
    let parentId = (v.parent_id as string | null | undefined) ?? null;
    if (parentId !== null) {
      const parent = await tx.selectFrom('projects').select(['id', 'domain_id']).where('id', '=', parentId).executeTakeFirst();
      if (!parent) {
        // Keystone accepts the domain's id as the parent of a top-level project
        if (parentId !== (domainId ?? parentId) || !(await tx.selectFrom('domains').select('id').where('id', '=', parentId).executeTakeFirst())) {
          throw Errors.notFound('project', parentId);
        }
        domainId = parentId;
        parentId = null;
      } else {
        if (domainId !== undefined && domainId !== parent.domain_id) throw Errors.validation('Cannot create project in a domain other than its parent\'s domain');
        domainId = parent.domain_id;
      }
    }
    domainId ??= defaultDomain(token.claims);
    await requireDomain(tx, domainId);
    return {
      name: v.name, domain_id: domainId, parent_id: parentId, description: v.description, enabled: v.enabled ? 1 : 0,
      is_domain: 0, extra: '{}', created_at: new Date().toISOString(),
    };
  },
  async update(_h, row, v) {
    const { options: _o, tags: _t, ...rest } = v;
    const revoke: RevocationMatch[] = v.enabled === false && row.enabled ? [{ project_id: row.id }] : [];
    return { set: toColumns(this.fields, rest), revoke };
  },
  async remove({ tx }, row) {
    const child = await tx.selectFrom('projects').select('id').where('parent_id', '=', row.id).executeTakeFirst();
    if (child) throw Errors.forbiddenAction(`Cannot delete project ${row.id}: it has children`);
    await dropProjects(tx, [row.id]);
    return [{ project_id: row.id }];
  },
};
