import { parseCidr, formatCidr } from '../../../common/net-address.js';
import { C, V } from '../validators.js';
import { defineResource, type ResourceOf } from '../resource.js';
import { booleanAttr, idAttr, nameAttrs, projectAttrs, standardAttrs } from './common.js';

const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] as const;

/** Neutron refuses a malformed CIDR from the converter, as InvalidInput. */
function convertCidr(v: unknown): unknown {
  const msg = V.cidr()(v);
  if (msg) throw new Error(msg);
  const c = parseCidr(v as string);
  return c ? formatCidr(c) : v;
}

export const subnetDef = defineResource({
  singular: 'subnet',
  plural: 'subnets',
  kind: 'Subnet',
  table: 'subnets',
  attributes: {
    id: idAttr,
    ...nameAttrs,
    ...projectAttrs,
    network_id: { kind: 'uuid', post: true, put: false, validate: V.uuid() },
    ip_version: { kind: 'integer', post: true, put: false, convert: C.integer, validate: V.values([4, 6]) },
    cidr: { kind: 'string', post: true, put: false, convert: convertCidr, validate: V.string(64) },
    gateway_ip: { kind: 'string', nullable: true, post: true, put: true, default: undefined, validate: V.ipOrNone() },
    allocation_pools: {
      kind: 'list', post: true, put: true, default: undefined, column: false, filter: false,
      validate: V.list(V.dict({ start: V.ip(), end: V.ip() }, ['start', 'end'])),
    },
    dns_nameservers: { kind: 'list', post: true, put: true, default: [], validate: V.list(V.ip(), 32), filter: false },
    host_routes: {
      kind: 'list', post: true, put: true, default: [], filter: false,
      validate: V.list(V.dict({ destination: V.cidr(), nexthop: V.ip() }, ['destination', 'nexthop']), 64),
    },
    enable_dhcp: booleanAttr(true),
    ipv6_ra_mode: { kind: 'string', nullable: true, post: true, put: false, default: null, validate: V.valuesOrNone(IPV6_MODES) },
    ipv6_address_mode: { kind: 'string', nullable: true, post: true, put: false, default: null, validate: V.valuesOrNone(IPV6_MODES) },
    subnetpool_id: { kind: 'uuid', nullable: true, post: true, put: false, default: null, validate: V.uuidOrNone() },
    service_types: { kind: 'list', post: true, put: true, default: [], validate: V.list(V.string(255)), filter: false },
    // neutron-lib's subnet `shared`: not shown, but a filter (the network's sharing as the caller sees it)
    shared: { kind: 'boolean', post: false, put: false, visible: false, column: false, filter: true, sort: false },
    ...standardAttrs,
  },
});

export type Subnet = ResourceOf<typeof subnetDef>;
