// Users: the password is write-only, hashed before the transaction; a
// changed password or a disabled user revokes the user's tokens.
import { MAX_PASSWORD_LENGTH } from '../../passwords.js';
import type { RevocationMatch } from '../../revocation.js';
import { getRow, type Entity } from '../entity.js';
import { defaultDomain, requireDomain } from './resource.js';

export const userEntity: Entity = {
  singular: 'user',
  plural: 'users',
  table: 'users',
  kind: 'user',
  fields: {
    name: { type: 'string', min: 1, max: 255, required: true },
    domain_id: { type: 'string', min: 1, max: 64, put: false },
    default_project_id: { type: 'string', nullable: true, min: 1, max: 64 },
    enabled: { type: 'boolean', default: true },
    password: { type: 'string', nullable: true, max: MAX_PASSWORD_LENGTH },
    options: { type: 'object', default: {} },
    federated: { type: 'array', post: false, put: false },
  },
  extra: true,
  filters: { name: 'string', domain_id: 'string', enabled: 'boolean' },
  rules: { get: 'identity:get_user', list: 'identity:list_users', create: 'identity:create_user', update: 'identity:update_user', delete: 'identity:delete_user' },
  target: (r) => ({ id: r.id, user_id: r.id, domain_id: r.domain_id }),
  show: (r) => ({
    id: r.id, name: r.name, domain_id: r.domain_id, enabled: Boolean(r.enabled), password_expires_at: null,
    options: r.options ? JSON.parse(r.options) : {},
    ...(r.default_project_id ? { default_project_id: r.default_project_id } : {}),
  }),
  async prepare(ctx, v) {
    // the plain password never reaches a row or a log line
    if (typeof v.password === 'string') v.password_hash = await ctx.passwords.hash(v.password);
    else if (v.password === null) v.password_hash = null;
    delete v.password;
  },
  async create({ tx }, v, token) {
    const domainId = (v.domain_id as string | undefined) ?? defaultDomain(token.claims);
    await requireDomain(tx, domainId);
    if (v.default_project_id) await getRow(tx, { table: 'projects', kind: 'project' }, v.default_project_id as string);
    return {
      name: v.name, domain_id: domainId, enabled: v.enabled ? 1 : 0, password_hash: (v.password_hash as string | undefined) ?? null,
      default_project_id: v.default_project_id ?? null, options: JSON.stringify(v.options ?? {}), created_at: new Date().toISOString(),
    };
  },
  async update({ tx }, row, v) {
    const set: Record<string, unknown> = {};
    const revoke: RevocationMatch[] = [];
    if (v.name !== undefined) set.name = v.name;
    if (v.default_project_id !== undefined) {
      if (v.default_project_id !== null) await getRow(tx, { table: 'projects', kind: 'project' }, v.default_project_id as string);
      set.default_project_id = v.default_project_id;
    }
    if (v.options !== undefined) set.options = JSON.stringify({ ...JSON.parse(row.options), ...(v.options as object) });
    if (v.enabled !== undefined) set.enabled = v.enabled ? 1 : 0;
    if ('password_hash' in v) set.password_hash = v.password_hash;
    if ((v.enabled === false && row.enabled) || 'password_hash' in v) revoke.push({ user_id: row.id });
    return { set, revoke };
  },
  async remove({ tx }, row) {
    await tx.deleteFrom('role_assignments').where('actor_type', '=', 'user').where('actor_id', '=', row.id).execute();
    await tx.deleteFrom('user_group_membership').where('user_id', '=', row.id).execute();
    await tx.deleteFrom('application_credentials').where('user_id', '=', row.id).execute();
    await tx.deleteFrom('credentials').where('user_id', '=', row.id).execute();
    return [{ user_id: row.id }];
  },
};

