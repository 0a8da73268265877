// Hand-made desired state for the DHCP agent's tests.
import type { NetworkState, PortState, SubnetState } from '../../src/agent/protocol.js';

export const NET = '12345678-1234-5678-1234-567812345678';

export const subnet = (s: Partial<SubnetState> & Pick<SubnetState, 'id' | 'cidr'>): SubnetState => ({
  name: '',
  ip_version: s.cidr.includes(':') ? 6 : 4,
  gateway_ip: null,
  enable_dhcp: true,
  dns_nameservers: [],
  host_routes: [],
  allocation_pools: [],
  ipv6_ra_mode: null,
  ipv6_address_mode: null,
  ...s,
});

export const port = (id: string, mac: string, fixed: Array<[string, string]>, extra: Partial<PortState> = {}): PortState => ({
  id,
  mac_address: mac,
  fixed_ips: fixed.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })),
  device_owner: 'compute:nova',
  device_id: 'vm',
  admin_state_up: true,
  status: 'ACTIVE',
  host: 'h1',
  vif_type: 'bridge',
  dns_name: '',
  extra_dhcp_opts: [],
  ...extra,
});

export const network = (subnets: SubnetState[], ports: PortState[], extra: Partial<NetworkState> = {}): NetworkState => ({
  id: NET,
  name: 'n',
  project_id: 'p',
  admin_state_up: true,
  mtu: 1450,
  network_type: 'vxlan',
  physical_network: null,
  segmentation_id: 7,
  dns_domain: '',
  subnets,
  ports,
  vteps: [],
  ...extra,
});

