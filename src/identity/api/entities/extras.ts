// Keystone's smaller APIs: the deprecated policy API (/v3/policies), OAuth1
// consumers (/v3/OS-OAUTH1/consumers, without the OAuth1 token flow) and
// endpoint groups (/v3/OS-EP-FILTER/endpoint_groups; their project
// associations are in ../endpoint-groups.ts).
import { randomBytes } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Entity } from '../entity.js';
import { checkField, type Body, type Field } from '../validate.js';

const rules = (name: string, plural = `${name}s`) => ({
  get: `identity:get_${name}`, list: `identity:list_${plural}`, create: `identity:create_${name}`,
  update: `identity:update_${name}`, delete: `identity:delete_${name}`,
});

export const policyEntity: Entity = {
  singular: 'policy',
  plural: 'policies',
  table: 'policies',
  kind: 'policy',
  fields: {
    blob: { type: 'string', required: true },
    type: { type: 'string', max: 255, required: true },
  },
  extra: true,
  filters: { type: 'string' },
  rules: rules('policy', 'policies'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, type: r.type, blob: r.blob }),
  async create(_h, v) {
    return { type: v.type, blob: v.blob };
  },
};

export const consumerEntity: Entity = {
  singular: 'consumer',
  plural: 'consumers',
  path: '/v3/OS-OAUTH1/consumers',
  table: 'consumers',
  kind: 'consumer',
  fields: {
    description: { type: 'string', nullable: true, default: null },
    // Keystone generates the secret, whatever the body says, and never changes it (a PATCH
    // naming it is a 400). The default marks a creation for prepare, which makes the secret.
    secret: { type: 'string', nullable: true, put: false, default: null },
  },
  extra: true,
  filters: {},
  rules: rules('consumer'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, description: r.description }),
  async prepare(ctx, v) {
    if (!('secret' in v)) return;
    v.secret = randomBytes(32).toString('base64url');
    // hashed before the transaction: bcrypt is slow
    v.secret_hash = await ctx.passwords.hash(v.secret as string);
  },
  async create(_h, v) {
    return { description: v.description, secret_hash: v.secret_hash };
  },
  reveal: (v) => ({ secret: v.secret }),
};

/** the endpoint attributes a group may filter on (Keystone's _require_valid_filter) */
const FILTERS: Record<string, Field> = {
  interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
  service_id: { type: 'string' },
  region_id: { type: 'string', nullable: true },
};

function checkFilters(filters: Body): void {
  for (const [k, v] of Object.entries(filters)) {
    const f = Object.hasOwn(FILTERS, k) ? FILTERS[k] : undefined;
    if (!f) throw Errors.validation(`Invalid input for field 'filters': ${JSON.stringify(k)} is not one of ${Object.keys(FILTERS).join(', ')}`);
    checkField(`filters.${k}`, f, v);
  }
}

export const endpointGroupEntity: Entity = {
  singular: 'endpoint_group',
  plural: 'endpoint_groups',
  path: '/v3/OS-EP-FILTER/endpoint_groups',
  table: 'endpoint_groups',
  kind: 'Endpoint Group',
  fields: {
    name: { type: 'string', min: 1, max: 255, required: true },
    description: { type: 'string', nullable: true, default: null },
    filters: { type: 'object', required: true },
  },
  extra: false,
  filters: { name: 'string' },
  rules: rules('endpoint_group'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, name: r.name, description: r.description, filters: JSON.parse(r.filters) }),
  async prepare(_ctx, v) {
    if (v.filters !== undefined) checkFilters(v.filters as Body);
  },
  async create(_h, v) {
    // as Keystone: a new group must filter (an update may clear the filters, matching every endpoint)
    if (!Object.keys(v.filters as Body).length) throw Errors.validation('filters field is required and cannot be empty');
    return { name: v.name, description: v.description, filters: JSON.stringify(v.filters) };
  },
};
