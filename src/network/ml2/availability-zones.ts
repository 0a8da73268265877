import { NeutronError } from '../api/errors.js';

export interface AvailabilityZone {
  name: string;
  /** the kind of resource the zone hosts: a DHCP agent's zone hosts networks, an L3 agent's routers */
  resource: 'network' | 'router';
  state: 'available' | 'unavailable';
}

export const availabilityZoneNotFound = (name: string): NeutronError =>
  new NeutronError('AvailabilityZoneNotFound', 404, `AvailabilityZone ${name} could not be found.`);

/**
 * Neutron's availability zones are its agents' (AgentAvailabilityZoneMixin). cloudlet has no
 * agents yet, so there is no zone: the list is empty and every hint names a zone that does not
 * exist, as in a Neutron whose agents have not registered.
 */
export class AvailabilityZones {
  async list(): Promise<AvailabilityZone[]> {
    return [];
  }

  /** validate_availability_zones: each hint must name a zone hosting this kind of resource. */
  async validate(resource: AvailabilityZone['resource'], hints: readonly string[]): Promise<void> {
    if (hints.length === 0) return;
    const known = new Set((await this.list()).filter((z) => z.resource === resource).map((z) => z.name));
    const missing = hints.find((h) => !known.has(h));
    if (missing !== undefined) throw availabilityZoneNotFound(missing);
  }
}
