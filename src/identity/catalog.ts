// The service catalog as tokens and GET /v3/auth/catalog show it.
import type { Db } from '../common/db/index.js';

export interface CatalogEntry {
  type: string;
  name: string;
  id: string;
  endpoints: Array<{ id: string; interface: string; region: string | null; region_id: string | null; url: string }>;
}

export async function catalog(db: Db): Promise<CatalogEntry[]> {
  const services = await db.selectFrom('services').selectAll().where('enabled', '=', 1).orderBy('type').execute();
  const endpoints = await db.selectFrom('endpoints').selectAll().where('enabled', '=', 1).orderBy('id').execute();
  return services.map((s) => ({
    type: s.type,
    name: s.name,
    id: s.id,
    endpoints: endpoints
      .filter((e) => e.service_id === s.id)
      .map((e) => ({ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url: e.url })),
  }));
}
