import type { NetworkRbacSchema } from './rbac-schema.js';
import type { SecurityGroupExtraColumns, SecurityGroupSchema } from './security-group-schema.js';
import type { QuotaSchema } from '../quota/schema.js';
import type { ChangeLogSchema } from '../agents/change-log-schema.js';
import type { AgentSchema } from '../agents/schema.js';
/** Row types of the network service's tables; booleans are stored as 0/1 on both dialects, lists and maps as JSON text. */

export interface NetworkRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  status: string;
  shared: number;
  mtu: number;
  router_external: number;
  port_security_enabled: number;
  availability_zone_hints: string;
  is_default: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SegmentRow {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
}

export interface SegmentAllocationRow {
  network_type: string;
  /** '' when the type has no physical network, so the primary key stays total */
  physical_network: string;
  segmentation_id: number;
  network_id: string;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  dns_nameservers: string;
  host_routes: string;
  service_types: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface PoolRow {
  subnet_id: string;
  position: number;
  first_ip: string;
  last_ip: string;
}

/** Free addresses of a subnet as disjoint ranges; bounds are fixed-width hex so text order is numeric order. */
export interface FreeRangeRow {
  subnet_id: string;
  first_key: string;
  last_key: string;
}

export interface IpAllocationRow {
  port_id: string;
  subnet_id: string;
  network_id: string;
  ip_address: string;
}

export interface PortRow {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: number;
  binding_host_id: string;
  binding_profile: string;
  binding_vif_type: string;
  binding_vif_details: string;
  binding_vnic_type: string;
  allowed_address_pairs: string;
  extra_dhcp_opts: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface TagRow {
  resource_id: string;
  tag: string;
}

export interface SecurityGroupRow extends SecurityGroupExtraColumns {
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface PortSecurityGroupRow {
  port_id: string;
  security_group_id: string;
}

/** Every table of the network service. */
export interface NetworkSchema extends NetworkRbacSchema, SecurityGroupSchema, QuotaSchema, ChangeLogSchema, AgentSchema {
  networks: NetworkRow;
  network_segments: SegmentRow;
  segment_allocations: SegmentAllocationRow;
  subnets: SubnetRow;
  allocation_pools: PoolRow;
  ipam_free_ranges: FreeRangeRow;
  ip_allocations: IpAllocationRow;
  ports: PortRow;
  tags: TagRow;
  security_groups: SecurityGroupRow;
  port_security_groups: PortSecurityGroupRow;
}
