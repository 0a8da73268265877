import { V } from '../validators.js';
import { defineResource, type ResourceOf } from '../resource.js';
import { booleanAttr, enforced, idAttr, nameAttrs, projectAttrs, standardAttrs } from './common.js';

const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'accelerator-direct', 'accelerator-direct-physical', 'remote-managed'] as const;

export const portDef = defineResource({
  singular: 'port',
  plural: 'ports',
  kind: 'Port',
  table: 'ports',
  attributes: {
    id: idAttr,
    ...nameAttrs,
    ...projectAttrs,
    network_id: { kind: 'uuid', post: true, put: false, validate: V.uuid() },
    admin_state_up: booleanAttr(true),
    mac_address: { kind: 'string', post: true, put: true, default: null, validate: V.mac(), enforcePolicy: true },
    fixed_ips: {
      kind: 'list', post: true, put: true, default: null, column: false, filter: true, enforcePolicy: true,
      validate: V.list(V.dict({ ip_address: V.ip(), subnet_id: V.uuid() }), 64),
    },
    device_id: { kind: 'string', post: true, put: true, default: '', validate: V.string(255) },
    device_owner: { kind: 'string', post: true, put: true, default: '', validate: V.string(255), enforcePolicy: true },
    status: { kind: 'string', post: false, put: false },
    allowed_address_pairs: {
      kind: 'list', post: true, put: true, default: [], filter: false, enforcePolicy: true,
      validate: V.list(V.dict({ ip_address: V.ipOrSubnet(), mac_address: V.mac() }, ['ip_address']), 10),
    },
    extra_dhcp_opts: {
      kind: 'list', post: true, put: true, default: [], filter: false,
      validate: V.list(V.dict({ opt_name: V.string(64), opt_value: V.stringOrNone(255), ip_version: V.values([4, 6]) }, ['opt_name']), 64),
    },
    port_security_enabled: enforced(booleanAttr(true)),
    security_groups: { kind: 'list', post: true, put: true, default: null, column: false, filter: true, validate: V.list(V.uuid()) },
    'binding:host_id': { kind: 'string', post: true, put: true, default: '', validate: V.string(255), enforcePolicy: true },
    'binding:profile': { kind: 'dict', post: true, put: true, default: {}, validate: V.anyDict(), filter: false, enforcePolicy: true },
    'binding:vif_details': { kind: 'dict', post: false, put: false, filter: false, enforcePolicy: true },
    'binding:vif_type': { kind: 'string', post: false, put: false, enforcePolicy: true },
    'binding:vnic_type': { kind: 'string', post: true, put: true, default: 'normal', validate: V.values(VNIC_TYPES), enforcePolicy: true },
    ...standardAttrs,
  },
});

export type Port = ResourceOf<typeof portDef>;
