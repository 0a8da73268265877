// Groups: named sets of users of one domain (any domain's users may join), each
// holding grants its members receive. Deleting one revokes its members' tokens
// when it held a role.
import { dropGroupLinks } from '../../groups.js';
import type { Entity } from '../entity.js';
import { invalid } from '../validate.js';
import { defaultDomain, requireDomain } from './resource.js';

/** Keystone strips group names, and its schema asks for something besides blanks */
function groupName(v: unknown): string {
  const name = (v as string).trim();
  if (!name) throw invalid('name', `${JSON.stringify(v)} does not match '[\\S]+'`);
  return name;
}

export const groupEntity: Entity = {
  singular: 'group',
  plural: 'groups',
  table: 'groups',
  kind: 'group',
  fields: {
    name: { type: 'string', min: 1, max: 64, required: true },
    domain_id: { type: 'string', min: 1, max: 64, put: false },
    description: { type: 'string', nullable: true, default: '' },
  },
  extra: true,
  filters: { name: 'string', domain_id: 'string' },
  rules: { get: 'identity:get_group', list: 'identity:list_groups', create: 'identity:create_group', update: 'identity:update_group', delete: 'identity:delete_group' },
  target: (r) => ({ id: r.id, group_id: r.id, domain_id: r.domain_id }),
  show: (r) => ({ id: r.id, name: r.name, domain_id: r.domain_id, description: r.description }),
  async create({ tx }, v, token) {
    const domainId = (v.domain_id as string | undefined) ?? defaultDomain(token.claims);
    await requireDomain(tx, domainId);
    return { name: groupName(v.name), domain_id: domainId, description: v.description };
  },
  async update(_h, _row, v) {
    const set: Record<string, unknown> = {};
    if (v.name !== undefined) set.name = groupName(v.name);
    if (v.description !== undefined) set.description = v.description;
    return { set };
  },
  async remove({ tx }, row) {
    return dropGroupLinks(tx, [row.id]);
  },
};
