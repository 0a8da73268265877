import { allOf, anyOf, hasRole, isAdmin, ownsTarget, type Check, type Rules } from '../../common/policy/engine.js';

// Neutron's default rules (neutron/conf/policies/{base,network,subnet,port,rbac,security_group}.py, the
// 2023.2+ "secure RBAC" defaults, new defaults enforced), by their names. Only the rules
// for what cloudlet serves are here; a rule nobody wrote allows admins only (engine.ts).
//
// How the API reads them (src/network/api/policy.ts), as Neutron does:
// - `<action>_<resource>` on the target (for create: the body with defaults filled; for
//   update: the resource with the changes applied; for get/delete: the resource);
// - `<action>_<resource>:<attr>` for every attribute the body sets (on create: to a value
//   other than the default), `<action>_<resource>:<attr>:<key>` for the keys of a list of
//   maps (fixed_ips); only rules written here are checked;
// - `get_<resource>:<attr>` hides an attribute from an answer when it fails.
// Targets of ports and subnets carry their network's owner and sharing as
// `network:project_id`, `network:tenant_id`, `network:shared`.

// --- neutron/conf/policies/base.py ---------------------------------------------------

const SERVICE: Check = hasRole('service');
const ADMIN: Check = isAdmin;
const PROJECT_MEMBER: Check = allOf(hasRole('member'), ownsTarget);
const PROJECT_READER: Check = allOf(hasRole('reader'), ownsTarget);
const ADMIN_OR_SERVICE: Check = anyOf(ADMIN, SERVICE);
const ADMIN_OR_PROJECT_MEMBER: Check = anyOf(ADMIN, PROJECT_MEMBER);
const ADMIN_OR_PROJECT_READER: Check = anyOf(ADMIN, PROJECT_READER);

/** rule:network_owner: `project_id:%(network:project_id)s`, the network of a port or subnet */
const networkOwner: Check = (c, t) => c.projectId !== undefined && (t['network:project_id'] ?? t['network:tenant_id']) === c.projectId;
const NET_OWNER_MEMBER: Check = allOf(hasRole('member'), networkOwner);
const NET_OWNER_READER: Check = allOf(hasRole('reader'), networkOwner);
const ADMIN_OR_NET_OWNER_MEMBER: Check = anyOf(ADMIN, NET_OWNER_MEMBER);
const ADMIN_OR_NET_OWNER_READER: Check = anyOf(ADMIN, NET_OWNER_READER);

/** rule:shared, `field:networks:shared=True`: the network itself, or the network of a port or subnet (as the caller sees it) */
const shared: Check = (_c, t) => ('shared' in t ? t.shared : t['network:shared']) === true;
/** rule:external, `field:networks:router:external=True` */
const external: Check = (_c, t) => t['router:external'] === true;
/** rule:network_device, `field:port:device_owner=~^network:` */
const networkDevice: Check = (_c, t) => typeof t.device_owner === 'string' && t.device_owner.startsWith('network:');
const notNetworkDevice: Check = (c, t) => !networkDevice(c, t);
/** rule:sg_owner, `tenant_id:%(security_group:tenant_id)s`: the group of a security group rule */
const sgOwner: Check = (c, t) => c.projectId !== undefined && (t['security_group:project_id'] ?? t['security_group:tenant_id']) === c.projectId;
const ADMIN_OR_SG_OWNER_MEMBER: Check = anyOf(ADMIN, allOf(hasRole('member'), sgOwner));
const ADMIN_OR_SG_OWNER_READER: Check = anyOf(ADMIN, allOf(hasRole('reader'), sgOwner));
/** `not field:rbac_policy:target_tenant=*` */
const notWildcard: Check = (_c, t) => t.target_tenant !== '*' && t.target_project !== '*';

export const rules: Rules = {
  // --- named rules of base.py, for reference by name
  context_is_admin: ADMIN,
  context_is_advsvc: hasRole('advsvc'),
  service_api: SERVICE,
  admin_only: ADMIN,
  network_owner: networkOwner,
  shared,
  external,
  network_device: networkDevice,
  restrict_wildcard: anyOf(notWildcard, ADMIN),

  // --- network.py
  create_network: ADMIN_OR_PROJECT_MEMBER,
  'create_network:shared': ADMIN,
  'create_network:router:external': ADMIN,
  'create_network:is_default': ADMIN,
  'create_network:port_security_enabled': ADMIN_OR_PROJECT_MEMBER,
  'create_network:segments': ADMIN,
  'create_network:provider:network_type': ADMIN,
  'create_network:provider:physical_network': ADMIN,
  'create_network:provider:segmentation_id': ADMIN,
  get_network: anyOf(ADMIN_OR_PROJECT_READER, SERVICE, shared, external),
  'get_network:segments': ADMIN,
  'get_network:provider:network_type': ADMIN,
  'get_network:provider:physical_network': ADMIN,
  'get_network:provider:segmentation_id': ADMIN,
  get_networks_tags: anyOf(ADMIN_OR_PROJECT_READER, shared, external),
  update_network: ADMIN_OR_PROJECT_MEMBER,
  'update_network:segments': ADMIN,
  'update_network:shared': ADMIN,
  'update_network:provider:network_type': ADMIN,
  'update_network:provider:physical_network': ADMIN,
  'update_network:provider:segmentation_id': ADMIN,
  'update_network:router:external': ADMIN,
  'update_network:is_default': ADMIN,
  'update_network:port_security_enabled': ADMIN_OR_PROJECT_MEMBER,
  update_networks_tags: ADMIN_OR_PROJECT_MEMBER,
  delete_network: ADMIN_OR_PROJECT_MEMBER,
  delete_networks_tags: ADMIN_OR_PROJECT_MEMBER,

  // --- subnet.py
  create_subnet: ADMIN_OR_NET_OWNER_MEMBER,
  'create_subnet:segment_id': ADMIN,
  'create_subnet:service_types': ADMIN,
  get_subnet: anyOf(PROJECT_READER, shared, ADMIN_OR_NET_OWNER_READER),
  'get_subnet:segment_id': ADMIN,
  get_subnets_tags: anyOf(PROJECT_READER, shared, external, ADMIN_OR_NET_OWNER_READER),
  update_subnet: anyOf(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  'update_subnet:segment_id': ADMIN,
  'update_subnet:service_types': ADMIN,
  update_subnets_tags: anyOf(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  delete_subnet: anyOf(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),
  delete_subnets_tags: anyOf(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),

  // --- port.py
  create_port: anyOf(ADMIN_OR_PROJECT_MEMBER, SERVICE),
  'create_port:device_owner': anyOf(notNetworkDevice, ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:mac_address': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:fixed_ips': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, shared),
  'create_port:fixed_ips:ip_address': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:fixed_ips:subnet_id': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, shared),
  'create_port:port_security_enabled': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'create_port:binding:host_id': ADMIN_OR_SERVICE,
  'create_port:binding:profile': SERVICE,
  'create_port:binding:vnic_type': anyOf(ADMIN_OR_PROJECT_MEMBER, SERVICE),
  'create_port:allowed_address_pairs': ADMIN_OR_NET_OWNER_MEMBER,
  'create_port:allowed_address_pairs:mac_address': ADMIN_OR_NET_OWNER_MEMBER,
  'create_port:allowed_address_pairs:ip_address': ADMIN_OR_NET_OWNER_MEMBER,
  'create_port:hints': ADMIN,
  get_port: anyOf(ADMIN_OR_SERVICE, NET_OWNER_READER, PROJECT_READER),
  'get_port:binding:vif_type': ADMIN_OR_SERVICE,
  'get_port:binding:vif_details': ADMIN_OR_SERVICE,
  'get_port:binding:host_id': ADMIN_OR_SERVICE,
  'get_port:binding:profile': ADMIN_OR_SERVICE,
  'get_port:resource_request': ADMIN,
  'get_port:hints': ADMIN,
  get_ports_tags: anyOf(ADMIN_OR_NET_OWNER_READER, PROJECT_READER),
  update_port: anyOf(ADMIN_OR_SERVICE, PROJECT_MEMBER),
  'update_port:device_owner': anyOf(notNetworkDevice, ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:mac_address': ADMIN_OR_SERVICE,
  'update_port:fixed_ips': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:fixed_ips:ip_address': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:fixed_ips:subnet_id': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, shared),
  'update_port:port_security_enabled': anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER),
  'update_port:binding:host_id': ADMIN_OR_SERVICE,
  'update_port:binding:profile': SERVICE,
  'update_port:binding:vnic_type': anyOf(ADMIN_OR_SERVICE, PROJECT_MEMBER),
  'update_port:allowed_address_pairs': ADMIN_OR_NET_OWNER_MEMBER,
  'update_port:allowed_address_pairs:mac_address': ADMIN_OR_NET_OWNER_MEMBER,
  'update_port:allowed_address_pairs:ip_address': ADMIN_OR_NET_OWNER_MEMBER,
  'update_port:data_plane_status': anyOf(ADMIN, hasRole('data_plane_integrator')),
  'update_port:hints': ADMIN,
  update_ports_tags: ADMIN_OR_PROJECT_MEMBER,
  delete_port: anyOf(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, PROJECT_MEMBER),
  delete_ports_tags: anyOf(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER),

  // --- rbac.py
  create_rbac_policy: ADMIN_OR_PROJECT_MEMBER,
  'create_rbac_policy:target_tenant': anyOf(ADMIN, notWildcard),
  update_rbac_policy: ADMIN_OR_PROJECT_MEMBER,
  'update_rbac_policy:target_tenant': anyOf(ADMIN, notWildcard),
  get_rbac_policy: ADMIN_OR_PROJECT_READER,
  delete_rbac_policy: ADMIN_OR_PROJECT_MEMBER,

  // --- security_group.py (shared groups, rule:shared_security_group, are not served)
  sg_owner: sgOwner,
  admin_or_sg_owner: anyOf(ADMIN, sgOwner),
  create_security_group: ADMIN_OR_PROJECT_MEMBER,
  'create_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  get_security_group: ADMIN_OR_PROJECT_READER,
  'get_security_group:tags': ADMIN_OR_PROJECT_READER,
  get_security_groups_tags: ADMIN_OR_PROJECT_READER,
  update_security_group: ADMIN_OR_PROJECT_MEMBER,
  'update_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  update_security_groups_tags: ADMIN_OR_PROJECT_MEMBER,
  delete_security_group: ADMIN_OR_PROJECT_MEMBER,
  'delete_security_group:tags': ADMIN_OR_PROJECT_MEMBER,
  delete_security_groups_tags: ADMIN_OR_PROJECT_MEMBER,
  create_security_group_rule: ADMIN_OR_SG_OWNER_MEMBER,
  get_security_group_rule: ADMIN_OR_SG_OWNER_READER,
  delete_security_group_rule: ADMIN_OR_SG_OWNER_MEMBER,

  // --- quotas.py (the target is always the caller's own project: src/network/api/quotas.ts)
  get_quota: anyOf(ADMIN, allOf(hasRole('manager'), ownsTarget)),
  update_quota: ADMIN,
  delete_quota: ADMIN,

  // --- agent.py (agents and the DHCP scheduler's dhcp-networks / dhcp-agents)
  get_agent: ADMIN,
  update_agent: ADMIN,
  delete_agent: ADMIN,
  'create_dhcp-network': ADMIN,
  'get_dhcp-networks': ADMIN,
  'delete_dhcp-network': ADMIN,
  'get_dhcp-agents': ADMIN,
  // cloudlet's agent endpoints (Neutron's agents speak RPC, behind no policy): the agents' service user, or an admin
  agent_api: ADMIN_OR_SERVICE,
};

/**
 * Whose resources a caller may list: Neutron's query scope (neutron_lib
 * model_query_scope_is_project) is global for admins and the service role,
 * the caller's project (plus what is shared with it) otherwise. The scope
 * narrows SQL; the rules above still decide each answer.
 */
export const hasGlobalScope = (c: { roles: string[] }): boolean => c.roles.includes('admin') || c.roles.includes('service');
