// The service catalog as tokens and GET /v3/auth/catalog show it.
import type { Db } from '../common/db/index.js';
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
  let services = await db.selectFrom('services').selectAll().where('enabled', '=', 1).orderBy('type').execute();
  let endpoints = await db.selectFrom('endpoints').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  const only = projectId === undefined ? new Set<string>() : await projectEndpointIds(db, projectId);
  if (only.size) {
    endpoints = endpoints.filter((e) => only.has(e.id));
    services = services.filter((s) => endpoints.some((e) => e.service_id === s.id));
  }
  return services.map((s) => ({
    type: s.type,
    name: s.name,
    id: s.id,
    endpoints: endpoints
      .filter((e) => e.service_id === s.id)
      .map((e) => ({ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url: e.url })),
  }));
}
