/** Row types of the quota table (part of NetworkSchema, src/network/db/schema.ts). */

/** Neutron's quotas: a project's own limit for one resource; a project without a row has the configured default. */
export interface QuotaRow {
  project_id: string;
  /** the quota resource's name: network, subnet, port, ... */
  resource: string;
  /** -1 is unlimited */
  limit: number;
}

export interface QuotaSchema {
  quotas: QuotaRow;
}
