// The service catalog: regions, services and their endpoints.
import { Errors } from '../../errors.js';
import { newId, type Entity, type Hooks } from '../entity.js';

const admin = (name: string) => ({
  get: `identity:get_${name}`, list: `identity:list_${name}s`, create: `identity:create_${name}`,
  update: `identity:update_${name}`, delete: `identity:delete_${name}`,
});

async function requireRegion(tx: Hooks['tx'], id: string, field: string): Promise<void> {
  const r = await tx.selectFrom('regions').select('id').where('id', '=', id).executeTakeFirst();
  if (!r) throw Errors.validation(`Invalid input for field '${field}': region ${id} does not exist`);
}

/**
 * An endpoint's region: `region_id` must exist; the older `region` alone names one that is
 * made when missing (Keystone's _validate_endpoint_region, kept for v2-era clients).
 */
async function endpointRegion(tx: Hooks['tx'], v: Record<string, unknown>): Promise<string | null | undefined> {
  if (v.region_id !== undefined && v.region_id !== null) {
    await requireRegion(tx, v.region_id as string, 'region_id');
    return v.region_id as string;
  }
  if (typeof v.region === 'string') {
    await tx.insertInto('regions').values({ id: v.region, description: '', parent_region_id: null, extra: '{}' }).onConflict((oc) => oc.doNothing()).execute();
    return v.region;
  }
  return v.region_id === null || v.region === null ? null : undefined;
}

export const regionEntity: Entity = {
  singular: 'region',
  plural: 'regions',
  table: 'regions',
  kind: 'region',
  fields: {
    id: { type: 'string', min: 1, max: 255, put: false },
    description: { type: 'string', default: '' },
    parent_region_id: { type: 'string', nullable: true, min: 1, max: 255, default: null },
  },
  extra: true,
  filters: { parent_region_id: 'string' },
  rules: admin('region'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, description: r.description, parent_region_id: r.parent_region_id }),
  newId: (item) => (typeof item.id === 'string' ? item.id : newId()),
  putCreates: true,
  async create({ tx }, v) {
    if (v.parent_region_id) await requireRegion(tx, v.parent_region_id as string, 'parent_region_id');
    return { description: v.description, parent_region_id: v.parent_region_id };
  },
  async update({ tx }, row, v) {
    if (v.parent_region_id) {
      if (v.parent_region_id === row.id) throw Errors.validation('A region cannot be its own parent');
      await requireRegion(tx, v.parent_region_id as string, 'parent_region_id');
    }
    return { set: { ...v } };
  },
  async remove({ tx }, row) {
    const child = await tx.selectFrom('regions').select('id').where('parent_region_id', '=', row.id).executeTakeFirst();
    if (child) throw Errors.forbiddenAction(`Cannot delete region ${row.id}: it has child regions`);
    await tx.updateTable('endpoints').set({ region_id: null }).where('region_id', '=', row.id).execute();
    return [];
  },
};

export const serviceEntity: Entity = {
  singular: 'service',
  plural: 'services',
  table: 'services',
  kind: 'service',
  fields: {
    type: { type: 'string', min: 1, max: 255, required: true },
    name: { type: 'string', max: 255, default: '' },
    description: { type: 'string', default: '' },
    enabled: { type: 'boolean', default: true },
  },
  extra: true,
  filters: { type: 'string', name: 'string' },
  rules: admin('service'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, type: r.type, name: r.name, description: r.description, enabled: Boolean(r.enabled) }),
  async create(_h, v) {
    return { type: v.type, name: v.name, description: v.description, enabled: v.enabled ? 1 : 0 };
  },
};

const INTERFACES = ['public', 'internal', 'admin'] as const;

export const endpointEntity: Entity = {
  singular: 'endpoint',
  plural: 'endpoints',
  table: 'endpoints',
  kind: 'endpoint',
  fields: {
    service_id: { type: 'string', min: 1, max: 64, required: true },
    interface: { type: 'string', enum: INTERFACES, required: true },
    url: { type: 'string', min: 1, max: 2048, required: true },
    region_id: { type: 'string', nullable: true, min: 1, max: 255 },
    /** the name before region_id, still sent by older clients */
    region: { type: 'string', nullable: true, min: 1, max: 255 },
    enabled: { type: 'boolean', default: true },
  },
  extra: true,
  filters: { service_id: 'string', interface: 'string', region_id: 'string' },
  rules: admin('endpoint'),
  target: (r) => ({ id: r.id }),
  show: (r) => ({ id: r.id, interface: r.interface, region_id: r.region_id, region: r.region_id, service_id: r.service_id, url: r.url, enabled: Boolean(r.enabled) }),
  async create({ tx }, v) {
    const svc = await tx.selectFrom('services').select('id').where('id', '=', v.service_id as string).executeTakeFirst();
    if (!svc) throw Errors.validation(`Invalid input for field 'service_id': service ${String(v.service_id)} does not exist`);
    const region = (await endpointRegion(tx, v)) ?? null;
    return { service_id: v.service_id, interface: v.interface, url: v.url, region_id: region, enabled: v.enabled ? 1 : 0 };
  },
  async update({ tx }, _row, v) {
    const set: Record<string, unknown> = {};
    if (v.service_id !== undefined) {
      const svc = await tx.selectFrom('services').select('id').where('id', '=', v.service_id as string).executeTakeFirst();
      if (!svc) throw Errors.validation(`Invalid input for field 'service_id': service ${String(v.service_id)} does not exist`);
      set.service_id = v.service_id;
    }
    if (v.interface !== undefined) set.interface = v.interface;
    if (v.url !== undefined) set.url = v.url;
    if (v.enabled !== undefined) set.enabled = v.enabled ? 1 : 0;
    const region = await endpointRegion(tx, v);
    if (region !== undefined) set.region_id = region;
    return { set };
  },
};
