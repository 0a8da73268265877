import type { QuotaConfig } from '../config.js';
import { defineResource, type Attr, type ResourceOf } from '../model/resource.js';
import { C, V } from '../model/validators.js';

/** Tables whose rows count as a project's use of a quota resource (each has project_id). */
export type CountedTable = 'networks' | 'subnets' | 'ports' | 'security_groups' | 'security_group_rules' | 'network_rbacs';

export interface QuotaResource {
  /** the name in the quota API and in OverQuota: Neutron's resource name */
  name: string;
  /** its default, from network.quotas (Neutron's [quotas] option) */
  option: keyof QuotaConfig;
  /** where its use is counted; null for a resource cloudlet does not serve yet (not in the API until it is) */
  table: CountedTable | null;
}

/** Neutron's quota resources, the one declaration the quota API, its validation and enforcement derive from. */
export const QUOTA_RESOURCES: readonly QuotaResource[] = [
  { name: 'network', option: 'quota_network', table: 'networks' },
  { name: 'subnet', option: 'quota_subnet', table: 'subnets' },
  { name: 'port', option: 'quota_port', table: 'ports' },
  { name: 'security_group', option: 'quota_security_group', table: 'security_groups' },
  { name: 'security_group_rule', option: 'quota_security_group_rule', table: 'security_group_rules' },
  { name: 'rbac_policy', option: 'quota_rbac_policy', table: 'network_rbacs' },
  // registered by the L3 issue's routers and floating IPs, as Neutron's l3 extension registers them
  { name: 'router', option: 'quota_router', table: null },
  { name: 'floatingip', option: 'quota_floatingip', table: null },
];

export type ServedQuota = QuotaResource & { table: CountedTable };

export const servedQuotas = (): ServedQuota[] => QUOTA_RESOURCES.filter((r): r is ServedQuota => r.table !== null);

/** neutron_lib's DB_INTEGER_MAX_VALUE: the largest limit a PUT may set */
const DB_INTEGER_MAX = 2 ** 31 - 1;

/**
 * The quota "resource" of PUT /v2.0/quotas/{project_id}, as quotasv2's attribute map: every served
 * resource put-able, converted to an integer and between -1 (unlimited) and the largest DB integer.
 */
export function quotaDef(served: readonly QuotaResource[]) {
  const limit = { kind: 'integer', post: false, put: true, convert: C.integer, validate: V.integer(-1, DB_INTEGER_MAX) } as const satisfies Attr;
  return defineResource({
    singular: 'quota',
    plural: 'quotas',
    kind: 'Quota',
    table: 'quotas',
    attributes: Object.fromEntries(served.map((r) => [r.name, limit])),
  });
}

/** A PUT's limits by resource name, as prepareUpdate converts them. */
export type QuotaLimits = ResourceOf<ReturnType<typeof quotaDef>>;

/** A limit as Neutron reads its option: any negative value is unlimited (-1). */
export function defaultLimits(cfg: QuotaConfig, served: readonly QuotaResource[]): Record<string, number> {
  return Object.fromEntries(served.map((r) => [r.name, Math.max(cfg[r.option] ?? cfg.default_quota, -1)]));
}
