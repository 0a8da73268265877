/** Row types of the security-group tables (part of NetworkSchema, src/network/db/schema.ts). */

/**
 * Neutron's securitygrouprules. protocol is kept as the API gives it after
 * conversion (a lower-case name or a number as text, null for any);
 * remote_ip_prefix as a CIDR with the host bits the client gave.
 */
export interface SecurityGroupRuleRow {
  id: string;
  /** the project owning the rule (not always the group's: an admin may add rules to any group) */
  project_id: string;
  security_group_id: string;
  remote_group_id: string | null;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SecurityGroupSchema {
  security_group_rules: SecurityGroupRuleRow;
}

/** Columns 0004 adds to security_groups (declared with the table in schema.ts). */
export interface SecurityGroupExtraColumns {
  /** 0/1; Neutron's stateful-security-group extension, true by default */
  stateful: number;
  revision_number: number;
}
