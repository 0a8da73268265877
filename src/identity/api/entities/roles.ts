// Roles: global (domain_id null) or of one domain; deleting one revokes the tokens that carry it.
import type { Entity } from '../entity.js';
import { roleChangeRevocations } from '../../groups.js';
import { requireDomain } from './resource.js';

export const roleEntity: Entity = {
  singular: 'role',
  plural: 'roles',
  table: 'roles',
  kind: 'role',
  fields: {
    name: { type: 'string', min: 1, max: 255, required: true },
    domain_id: { type: 'string', nullable: true, min: 1, max: 64, put: false, default: null },
    description: { type: 'string', nullable: true, max: 255, default: '' },
    options: { type: 'object', default: {} },
  },
  extra: true,
  filters: { name: 'string', domain_id: 'string' },
  rules: { get: 'identity:get_role', list: 'identity:list_roles', create: 'identity:create_role', update: 'identity:update_role', delete: 'identity:delete_role' },
  target: (r) => ({ id: r.id, domain_id: r.domain_id }),
  show: (r) => ({ id: r.id, name: r.name, domain_id: r.domain_id, description: r.description, options: JSON.parse(r.options) }),
  async create({ tx }, v) {
    if (v.domain_id) await requireDomain(tx, v.domain_id as string);
    return { name: v.name, domain_id: v.domain_id ?? null, description: v.description ?? '', options: JSON.stringify(v.options) };
  },
  async update(_h, _row, v) {
    const set: Record<string, unknown> = {};
    if (v.name !== undefined) set.name = v.name;
    if (v.description !== undefined) set.description = v.description ?? '';
    if (v.options !== undefined) set.options = JSON.stringify(v.options);
    return { set };
  },
  async remove({ tx }, row) {
    // grants and implication rules go with the row (foreign keys cascade); whose tokens go with it
    return roleChangeRevocations(tx, row.id);
  },
};
