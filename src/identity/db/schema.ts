import type { ColumnType } from 'kysely';

/**
 * Row types of the identity tables (IdentitySchema, at the end; the services share one database: src/schema.ts).
 * As everywhere: booleans are 0/1, lists and maps JSON text, times ISO-8601 strings.
 * `extra` holds the attributes Keystone accepts beyond its own (email, description of a service, ...).
 */

export interface DomainRow {
  id: string;
  name: string;
  description: string;
  enabled: number;
  extra: string;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  /** null for a top-level project (Keystone shows the domain id there) */
  parent_id: string | null;
  description: string;
  enabled: number;
  /** always 0: domains have their own table here */
  is_domain: number;
  extra: string;
  created_at: string;
}

export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  enabled: number;
  /** bcrypt; null for a user that cannot log in with a password */
  password_hash: string | null;
  default_project_id: string | null;
  /** Keystone's user options (ignore_password_expiry, ...), JSON */
  options: string;
  extra: string;
  created_at: string;
}

export interface RoleRow {
  id: string;
  name: string;
  /** null for a global role; names are unique per domain */
  domain_id: string | null;
  description: string;
  options: string;
  extra: string;
}

export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}

export interface RoleAssignmentRow {
  /** 'project' or 'domain' */
  target_type: string;
  /** 'user' or 'group' (0005; 'user' when an insert does not say) */
  actor_type: ColumnType<string, string | undefined, string>;
  /** the user or the group */
  actor_id: string;
  target_id: string;
  role_id: string;
  /** 1: OS-INHERIT, held on the projects below the target, not on it (0007; 0 when an insert does not say) */
  inherited: ColumnType<number, number | undefined, number>;
}

export interface GroupRow {
  id: string;
  /** unique in its domain */
  name: string;
  domain_id: string;
  description: string | null;
  extra: string;
}

export interface UserGroupMembershipRow {
  user_id: string;
  group_id: string;
}

/** a tag of a project (0006; Keystone's project_tag), removed with it */
export interface ProjectTagRow {
  project_id: string;
  name: string;
}

/** a tag of a domain (0006; Keystone keeps domains as projects, so in project_tag) */
export interface DomainTagRow {
  domain_id: string;
  name: string;
}

export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}

export interface ServiceRow {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: number;
  extra: string;
}

export interface EndpointRow {
  id: string;
  service_id: string;
  /** public, internal or admin */
  interface: string;
  region_id: string | null;
  url: string;
  enabled: number;
  extra: string;
}

export interface ApplicationCredentialRow {
  id: string;
  user_id: string;
  project_id: string;
  name: string;
  secret_hash: string;
  expires_at: string | null;
  /** [{id, name}] the roles delegated, JSON */
  roles: string;
  unrestricted: number;
  description: string;
  created_at: string;
}

/** Keystone's deprecated policy API: a blob of rules kept for remote services (0009) */
export interface PolicyRow {
  id: string;
  type: string;
  blob: string;
  extra: string;
}

/** an OAuth1 consumer (0009); the secret is shown once and kept as a bcrypt hash */
export interface ConsumerRow {
  id: string;
  description: string | null;
  secret_hash: string;
  extra: string;
}

/** OS-EP-FILTER: the endpoints matching `filters` (JSON: interface, service_id, region_id) (0009) */
export interface EndpointGroupRow {
  id: string;
  name: string;
  description: string | null;
  filters: string;
}

/** an endpoint group associated with a project, removed with either (0009) */
export interface ProjectEndpointGroupRow {
  endpoint_group_id: string;
  project_id: string;
}

/** Keystone's credential (0008): an ec2 one's id is the sha256 hex of its access key */
export interface CredentialRow {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  /** the blob, AES-256-GCM: base64 of nonce, ciphertext and tag (credential-keys.ts) */
  encrypted_blob: string;
  /** the file name of the key that encrypted it */
  key_id: string;
  extra: string;
  created_at: string;
}

/**
 * A revocation: every token matching all the non-null columns and issued at
 * or before issued_before is invalid. Validation keeps these in memory.
 */
export interface RevocationEventRow {
  id: string;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  domain_id: string | null;
  role_id: string | null;
  app_cred_id: string | null;
  issued_before: string;
  revoked_at: string;
}

export interface IdentitySchema {
  domains: DomainRow;
  projects: ProjectRow;
  users: UserRow;
  roles: RoleRow;
  implied_roles: ImpliedRoleRow;
  role_assignments: RoleAssignmentRow;
  project_tags: ProjectTagRow;
  domain_tags: DomainTagRow;
  groups: GroupRow;
  user_group_membership: UserGroupMembershipRow;
  regions: RegionRow;
  services: ServiceRow;
  endpoints: EndpointRow;
  application_credentials: ApplicationCredentialRow;
  credentials: CredentialRow;
  revocation_events: RevocationEventRow;
  policies: PolicyRow;
  consumers: ConsumerRow;
  endpoint_groups: EndpointGroupRow;
  project_endpoint_groups: ProjectEndpointGroupRow;
}
