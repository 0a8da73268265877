import { C, V } from '../validators.js';
import { defineResource, type ResourceOf } from '../resource.js';
import { booleanAttr, enforced, idAttr, nameAttrs, projectAttrs, standardAttrs } from './common.js';

export const networkDef = defineResource({
  singular: 'network',
  plural: 'networks',
  kind: 'Network',
  table: 'networks',
  attributes: {
    id: idAttr,
    ...nameAttrs,
    ...projectAttrs,
    admin_state_up: booleanAttr(true),
    status: { kind: 'string', post: false, put: false },
    subnets: { kind: 'list', post: false, put: false, column: false, filter: false },
    shared: enforced(booleanAttr(false)),
    mtu: { kind: 'integer', nullable: true, post: true, put: true, default: null, convert: C.integerOrNone, validate: V.integerOrNone(68, 65535) },
    'provider:network_type': { kind: 'string', nullable: true, post: true, put: false, default: null, column: false, filter: true, validate: V.stringOrNone(32), enforcePolicy: true },
    'provider:physical_network': { kind: 'string', nullable: true, post: true, put: false, default: null, column: false, filter: true, validate: V.stringOrNone(64), enforcePolicy: true },
    'provider:segmentation_id': { kind: 'integer', nullable: true, post: true, put: false, default: null, column: false, filter: true, convert: C.integerOrNone, validate: V.integerOrNone(0), enforcePolicy: true },
    'router:external': enforced(booleanAttr(false)),
    port_security_enabled: enforced(booleanAttr(true)),
    availability_zone_hints: { kind: 'list', post: true, put: false, default: [], validate: V.list(V.string(255)), filter: false },
    availability_zones: { kind: 'list', post: false, put: false, column: false, filter: false },
    ipv4_address_scope: { kind: 'uuid', nullable: true, post: false, put: false, column: false, filter: false },
    ipv6_address_scope: { kind: 'uuid', nullable: true, post: false, put: false, column: false, filter: false },
    is_default: enforced(booleanAttr(false)),
    ...standardAttrs,
  },
});

export type Network = ResourceOf<typeof networkDef>;
