// The agent <-> network server protocol: plain JSON over HTTP, with a keystone token of a
// user holding the `service` (or `admin`) role. Agents never open the database. Neutron
// does this over AMQP RPC (report_state, get_devices_details_list, l2pop fdb casts); here
// an agent reads its host's desired state as a snapshot, then follows the change log from
// the snapshot's revision, so a reconnecting agent resumes where it stopped and any
// server process on the same database can serve it.

/** Path prefix of the agent endpoints on the network API (beside /v2.0). */
export const AGENT_API = '/agent-api/v1';

/** Neutron's agent_type strings, as `openstack network agent list` shows them. */
export type AgentType = 'Linux bridge agent' | 'DHCP agent';

/**
 * POST {AGENT_API}/report — the heartbeat (Neutron's report_state). The first report
 * of a process sets start_flag, which sets started_at. Creates the agent row on first
 * sight of (agent_type, host).
 */
export interface AgentReport {
  host: string;
  agent_type: AgentType;
  /** 'neutron-linuxbridge-agent' | 'neutron-dhcp-agent', as Neutron names the binaries */
  binary: string;
  /** 'N/A' for the L2 agent, 'dhcp_agent' for DHCP, as Neutron */
  topic: string;
  availability_zone?: string | null;
  /** L2: { bridge_mappings, interface_mappings, tunneling_ip, tunnel_types, l2_population,
   *  devices, vlan_unsupported_reason? }; DHCP: { networks, ports, subnets, dhcp_driver } */
  configurations: Record<string, unknown>;
  start_flag?: boolean;
  resources_synced?: boolean;
}

export interface AgentReportReply {
  agent: { id: string; admin_state_up: boolean };
}

/**
 * GET {AGENT_API}/state?host=H&agent_type=T[&network_id=N…] — the desired state of one
 * agent on one host. L2: every network with a port bound to H (any device owner,
 * network:dhcp included). DHCP: every network scheduled to this host's DHCP agent that
 * has a DHCP-enabled subnet. `network_id` narrows the answer to those networks (a network
 * absent from the answer is no longer this agent's).
 */
export interface HostState {
  /** every change with revision <= this is reflected; follow the log from here */
  revision: number;
  host: string;
  agent_id: string | null;
  networks: NetworkState[];
}

export interface NetworkState {
  id: string;
  name: string;
  project_id: string;
  admin_state_up: boolean;
  mtu: number;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  dns_domain: string;
  subnets: SubnetState[];
  /** every port of the network, on every host: l2population needs the others' MAC/IP */
  ports: PortState[];
  /** l2population: the other hosts with ports on this network and their tunnel endpoint
   * (the L2 agent's configurations.tunneling_ip); this host excluded */
  vteps: Array<{ host: string; ip: string }>;
}

export interface SubnetState {
  id: string;
  name: string;
  cidr: string;
  ip_version: 4 | 6;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: Array<{ destination: string; nexthop: string }>;
  allocation_pools: Array<{ start: string; end: string }>;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}

export interface PortState {
  id: string;
  mac_address: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
  device_owner: string;
  device_id: string;
  admin_state_up: boolean;
  status: string;
  /** binding:host_id ('' when unbound) */
  host: string;
  /** binding:vif_type */
  vif_type: string;
  dns_name: string;
  extra_dhcp_opts: Array<{ opt_name: string; opt_value: string; ip_version: 4 | 6 }>;
}

/**
 * GET {AGENT_API}/changes?since=R&timeout=SECONDS — the change log after revision R,
 * oldest first; waits up to `timeout` (long poll) when there is none yet. 410 Gone with
 * { error: 'behind', oldest } when entries after R were compacted: fetch a fresh snapshot.
 * Delivery is at least once: apply idempotently.
 */
export interface ChangeBatch {
  /** the revision to ask from next time */
  revision: number;
  changes: Change[];
}

export interface Change {
  revision: number;
  resource: 'network' | 'subnet' | 'port' | 'security_group' | 'security_group_rule' | 'rbac_policy' | 'agent' | 'dhcp_binding';
  op: 'create' | 'update' | 'delete';
  id: string;
  /** the networks the change concerns (before and after) */
  network_ids: string[];
  /** the hosts it concerns (a port's binding host before and after; an agent's host) */
  hosts: string[];
}

/**
 * POST {AGENT_API}/devices — what the L2 agent wired: ports in `up` go ACTIVE, in `down`
 * go DOWN (Neutron's update_device_up/down). Ports bound to another host are skipped.
 */
export interface DeviceReport {
  host: string;
  up: string[];
  down: string[];
}

/**
 * POST {AGENT_API}/dhcp-port {host, network_id} — the DHCP agent's port on a network
 * (Neutron's create_dhcp_port): made once, device_owner network:dhcp, device_id
 * 'dhcp<host uuid>-<network id>', one address per DHCP-enabled subnet, bound to `host`;
 * answered as a PortState.
 */
export interface DhcpPortRequest {
  host: string;
  network_id: string;
}

/** Neutron's device names: 'brq' / 'tap' + the first 11 characters of the id (15 with the prefix, IFNAMSIZ-1). */
export const bridgeName = (networkId: string): string => `brq${networkId.slice(0, 11)}`;
export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`;
/** the namespace side of a DHCP port's veth, as Neutron's BridgeInterfaceDriver */
export const nsDeviceName = (portId: string): string => `ns-${portId.slice(0, 11)}`;
export const vxlanName = (vni: number): string => `vxlan-${vni}`;
export const dhcpNamespace = (networkId: string): string => `qdhcp-${networkId}`;
