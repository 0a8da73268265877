// The availability_zone extension's resource: GET /v2.0/availability_zones (list only, as
// neutron/extensions/availability_zone.py: zones are read, never written).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { availabilityZoneNotFound, type AvailabilityZones } from '../ml2/availability-zones.js';
import type { AuthStrategy } from './auth.js';
import { baseUrl, searchOf } from './controller.js';
import { paginationLinks, parseListQuery } from './query.js';
import { defineResource } from '../model/resource.js';
import { present } from './body.js';

const zoneAttr = { kind: 'string', post: false, put: false, filter: true, sort: false, column: false } as const;

/** neutron-lib's availability_zone attribute map: name, resource and state, filters all, sort keys none. */
export const availabilityZoneDef = defineResource({
  singular: 'availability_zone',
  plural: 'availability_zones',
  kind: 'AvailabilityZone',
  table: 'availability_zones',
  notFound: availabilityZoneNotFound,
  attributes: { name: zoneAttr, resource: zoneAttr, state: zoneAttr },
});

export function registerAvailabilityZones(app: FastifyInstance, zones: AvailabilityZones, auth: AuthStrategy): void {
  const base = '/v2.0/availability_zones';

  app.get(base, async (req) => {
    await auth.authenticate(req.headers);
    const search = searchOf(req);
    const q = parseListQuery(availabilityZoneDef, search);
    // any reader may list them (get_availability_zone is role:reader); the list holds no project's data
    const items: Array<Record<string, unknown>> = (await zones.list()).map((z): Record<string, unknown> => ({ ...z }))
      .filter((z) => [...q.filters].every(([name, values]) => values.includes(z[name])));
    const out: Record<string, unknown> = { availability_zones: items.map((z) => present(availabilityZoneDef, z, [], q.fields)) };
    if (q.limit) out.availability_zones_links = paginationLinks(`${baseUrl(req)}${base}`, search, items, q);
    return out;
  });

  // Neutron's plugin has no get_availability_zone; a zone's name finds nothing to show
  app.get<{ Params: { name: string } }>(`${base}/:name`, async (req: FastifyRequest<{ Params: { name: string } }>) => {
    await auth.authenticate(req.headers);
    throw availabilityZoneNotFound(req.params.name);
  });
}
