/** Row types of the network RBAC tables (part of NetworkSchema, src/network/db/schema.ts). */

/**
 * Neutron's networkrbacs: who may use a network beyond its project. action is
 * access_as_shared or access_as_external; target_tenant a project id or '*'.
 * networks.shared mirrors "an access_as_shared row to '*' exists", and
 * networks.router_external is Neutron's externalnetworks row.
 */
export interface NetworkRbacRow {
  id: string;
  /** the project owning the policy (who may change or delete it) */
  project_id: string;
  /** the network */
  object_id: string;
  action: string;
  target_tenant: string;
}

export interface NetworkRbacSchema {
  network_rbacs: NetworkRbacRow;
}
