// The network service's configuration section (`network:` in cloudlet.yaml), declared
// with the mechanism of src/common/config-schema.ts; src/config.ts puts it beside the others.
import { option, type Infer, type Shape } from '../common/config-schema.js';

const { string, integer, port, boolean, strings, oneOf, nullable } = option;

/** ML2 options, named as in Neutron's ml2_conf.ini. */
const ml2 = {
  type_drivers: strings(['local', 'flat', 'vlan', 'vxlan', 'gre']),
  tenant_network_types: strings(['vxlan']),
  mechanism_drivers: strings(['logger', 'linuxbridge']),
  flat_networks: strings(['*']),
  /** "physnet1:100:199" or "physnet2" (provider-only physnet) */
  network_vlan_ranges: strings(['physnet1:100:199']),
  /** "1:1000" */
  vni_ranges: strings(['1:1000']),
  tunnel_id_ranges: strings(['1:1000']),
  /** underlay MTU, like Neutron's global_physnet_mtu */
  global_physnet_mtu: integer(1500, 0),
  path_mtu: integer(0, 0),
};

/**
 * Per-project quota defaults, named as in neutron.conf's [quotas]; a negative value is unlimited.
 * default_quota is the default of any quota resource whose own option is null (empty in the YAML file).
 */
const quotas = {
  default_quota: integer(-1),
  quota_network: nullable(integer(0), 100),
  quota_subnet: nullable(integer(0), 100),
  quota_port: nullable(integer(0), 500),
  quota_security_group: nullable(integer(0), 10),
  quota_security_group_rule: nullable(integer(0), 100),
  quota_rbac_policy: nullable(integer(0), 10),
  quota_router: nullable(integer(0), 10),
  quota_floatingip: nullable(integer(0), 50),
};

/** Agent liveness and DHCP scheduling, named as in neutron.conf's [DEFAULT]. */
const agents = {
  /** change log entries kept for agents to catch up from; one further behind fetches its state again */
  change_log_keep: integer(100_000, 1),
  /** seconds without a heartbeat after which an agent is down (alive: false) */
  agent_down_time: integer(75, 1),
  /** DHCP agents each network with a DHCP-enabled subnet is scheduled to */
  dhcp_agents_per_network: integer(1, 1),
  /** networks of DHCP agents dead for twice agent_down_time move to alive ones */
  allow_automatic_dhcp_failover: boolean(true),
};

export const NETWORK_CONFIG = {
  host: string('127.0.0.1'),
  port: port(9696),
  /** keystone: X-Auth-Token checked against the identity service; noauth: every caller is an admin (development only) */
  auth_strategy: oneOf(['keystone', 'noauth'], 'keystone'),
  /** the largest request body accepted, bytes (Neutron: max_request_body_size) */
  max_request_body_size: integer(114688, 1),
  base_mac: string('fa:16:3e:00:00:00'),
  /** bytes of serialized GET answers kept while the change log's revision is unchanged (0 turns it off) */
  read_cache_bytes: integer(8 * 1024 * 1024, 0),
  ml2,
  quotas,
  agents,
} as const satisfies Shape;

export type NetworkConfig = Infer<typeof NETWORK_CONFIG>;
export type Ml2Config = Infer<typeof ml2>;
export type QuotaConfig = Infer<typeof quotas>;

/** what the network service reads of the whole configuration: its section, and the database it shares */
export interface NetworkServiceConfig {
  /** postgres://… (the change feed listens there), or empty for SQLite */
  database_url: string;
  network: NetworkConfig;
}
