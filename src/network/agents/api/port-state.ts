import type { PortState } from '../../../agent/protocol.js';

/** A port as the API shows it (extended), in the protocol's shape. */
export function portState(p: Record<string, any>): PortState {
  return {
    id: p.id,
    mac_address: p.mac_address,
    fixed_ips: (p.fixed_ips ?? []).map((f: { subnet_id: string; ip_address: string }) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    device_owner: p.device_owner,
    device_id: p.device_id,
    admin_state_up: Boolean(p.admin_state_up),
    status: p.status,
    host: p['binding:host_id'] ?? '',
    vif_type: p['binding:vif_type'] ?? 'unbound',
    dns_name: typeof p.dns_name === 'string' ? p.dns_name : '',
    extra_dhcp_opts: (p.extra_dhcp_opts ?? []).map((o: { opt_name: string; opt_value: string; ip_version?: 4 | 6 }) =>
      ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 })),
  };
}
