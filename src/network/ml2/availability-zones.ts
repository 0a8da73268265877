import type { Db } from '../db/database.js';
import { NeutronError } from '../model/errors.js';

export interface AvailabilityZone {
  name: string;
  /** the kind of resource the zone hosts: a DHCP agent's zone hosts networks, an L3 agent's routers */
  resource: 'network' | 'router';
  state: 'available' | 'unavailable';
}

export const availabilityZoneNotFound = (name: string): NeutronError =>
  new NeutronError('AvailabilityZoneNotFound', 404, `AvailabilityZone ${name} could not be found.`);

/** the agents whose zone hosts a kind of resource (Neutron's AZ_AGENTS) */
const HOSTS: Record<string, AvailabilityZone['resource']> = { 'DHCP agent': 'network', 'L3 agent': 'router' };

/**
 * Neutron's availability zones are its agents' (AgentAvailabilityZoneMixin): the zones the
 * DHCP (and L3) agents report, available while one of the zone's agents is admin-up. Without
 * agents (or without a database) there is no zone, and every hint names a zone that does not exist.
 */
export class AvailabilityZones {
  constructor(private db?: Db) {}

  async list(): Promise<AvailabilityZone[]> {
    if (!this.db) return [];
    const rows = await this.db.selectFrom('agents').select(['availability_zone', 'agent_type', 'admin_state_up'])
      .where('availability_zone', 'is not', null).where('agent_type', 'in', Object.keys(HOSTS)).execute();
    const zones = new Map<string, AvailabilityZone>();
    for (const r of rows) {
      const resource = HOSTS[r.agent_type];
      const key = JSON.stringify([r.availability_zone, resource]);
      const up = zones.get(key)?.state === 'available' || Boolean(r.admin_state_up);
      zones.set(key, { name: r.availability_zone as string, resource, state: up ? 'available' : 'unavailable' });
    }
    return [...zones.values()].sort((a, b) => a.name.localeCompare(b.name) || a.resource.localeCompare(b.resource));
  }

  /** validate_availability_zones: each hint must name a zone hosting this kind of resource. */
  async validate(resource: AvailabilityZone['resource'], hints: readonly string[]): Promise<void> {
    if (hints.length === 0) return;
    const known = new Set((await this.list()).filter((z) => z.resource === resource).map((z) => z.name));
    const missing = hints.find((h) => !known.has(h));
    if (missing !== undefined) throw availabilityZoneNotFound(missing);
  }
}
