import { createHash } from 'node:crypto';

/** Neutron's DEVICE_ID_RESERVED_DHCP_PORT: a DHCP port kept for the next agent of its network. */
export const RESERVED_DHCP_PORT = 'reserved_dhcp_port';
export const DHCP_OWNER = 'network:dhcp';

const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** RFC 4122 version 5 (SHA-1, name-based) UUID, as Python's uuid.uuid5. */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Neutron's get_dhcp_agent_device_id: the host's short name, as a DNS-namespace uuid5. */
export const dhcpDeviceId = (networkId: string, host: string): string =>
  `dhcp${uuid5(NAMESPACE_DNS, host.split('.')[0])}-${networkId}`;
