import type { Database } from '../../src/common/db/index.js';
import type { Schema } from '../../src/schema.js';

const TABLES: Array<keyof Schema> = [
  'networks', 'network_segments', 'segment_allocations', 'subnets', 'allocation_pools',
  'ipam_free_ranges', 'ip_allocations', 'ports', 'tags', 'security_groups', 'port_security_groups', 'network_rbacs',
];

/** Row counts of every table, and the free ranges themselves, to prove that a failure left nothing behind. */
export async function dbState(database: Database<Schema>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const t of TABLES) {
    const r = await database.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  out.free = await database.db.selectFrom('ipam_free_ranges').selectAll().orderBy('subnet_id').orderBy('first_key').execute();
  out.segments = await database.db.selectFrom('segment_allocations').selectAll().orderBy('network_type').orderBy('segmentation_id').execute();
  return out;
}
