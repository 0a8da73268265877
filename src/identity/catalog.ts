// The service catalog as tokens and GET /v3/auth/catalog show it.
import type { Db } from './db/database.js';
import type { EndpointRow } from './db/schema.js';

export interface CatalogEntry {
  type: string;
  name: string;
  id: string;
  endpoints: Array<{ id: string; interface: string; region: string | null; region_id: string | null; url: string }>;
}

/** The endpoints an endpoint group's filters (interface, service_id, region_id) match, enabled or not. */
export async function matchingEndpoints(db: Db, filters: Record<string, unknown>): Promise<EndpointRow[]> {
  let q = db.selectFrom('endpoints').selectAll();
  for (const [k, v] of Object.entries(filters)) {
    const col = k as 'interface' | 'service_id' | 'region_id';
    q = v === null ? q.where(col, 'is', null) : q.where(col, '=', v as string);
  }
  return q.orderBy('id').execute();
}

/** the endpoints of the endpoint groups associated with a project (OS-EP-FILTER), by id */
export async function projectEndpointIds(db: Db, projectId: string): Promise<Set<string>> {
  const groups = await db
    .selectFrom('project_endpoint_groups')
    .innerJoin('endpoint_groups', 'endpoint_groups.id', 'project_endpoint_groups.endpoint_group_id')
    .select('endpoint_groups.filters')
    .where('project_endpoint_groups.project_id', '=', projectId)
    .execute();
  const ids = new Set<string>();
  for (const g of groups) for (const e of await matchingEndpoints(db, JSON.parse(g.filters) as Record<string, unknown>)) ids.add(e.id);
  return ids;
}

/**
 * The catalog; for a project with endpoint groups that match something, only their
 * endpoints and the services that keep one (Keystone's sql catalog with
 * [endpoint_filter] return_all_endpoints_if_no_filter, its default).
 */
export async function catalog(db: Db, projectId?: string): Promise<CatalogEntry[]> {
  // services and their enabled endpoints in one read (this is in every token answer)
  const rows = await db
    .selectFrom('services as s')
    .leftJoin('endpoints as e', (j) => j.onRef('e.service_id', '=', 's.id').on('e.enabled', '=', 1))
    .select(['s.id as sid', 's.type', 's.name', 'e.id as eid', 'e.interface', 'e.region_id', 'e.url'])
    .where('s.enabled', '=', 1)
    .orderBy('s.type')
    .orderBy('s.id')
    .orderBy('e.id')
    .execute();
  const only = projectId === undefined ? new Set<string>() : await projectEndpointIds(db, projectId);
  const out: CatalogEntry[] = [];
  for (const r of rows) {
    let entry = out[out.length - 1];
    if (entry?.id !== r.sid) out.push((entry = { type: r.type, name: r.name, id: r.sid, endpoints: [] }));
    if (r.eid === null || (only.size && !only.has(r.eid))) continue;
    entry.endpoints.push({ id: r.eid, interface: r.interface!, region: r.region_id, region_id: r.region_id, url: r.url! });
  }
  // with endpoint groups in force, a service left without endpoints is not shown
  return only.size ? out.filter((e) => e.endpoints.length) : out;
}
