import { Errors } from '../errors.js';
import { V } from '../validators.js';
import { defineResource, type ResourceOf } from '../resource.js';
import { formatIp, parseCidr, parseIp } from '../../../common/net-address.js';
import { booleanAttr, idAttr, nameAttrs, projectAttrs, standardAttrs } from './common.js';

const repr = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** neutron_lib's IP_PROTOCOL_MAP (icmpv6 is the legacy name of ipv6-icmp). */
export const IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
const SUPPORTED = `(None, 'any', ${Object.keys(IP_PROTOCOL_MAP).map((k) => `'${k}'`).join(', ')})`;
export const ETHERTYPES = ['IPv4', 'IPv6'] as const;

/** neutron's convert_protocol: any/None is no protocol; a name (any case) or a number 0-255 (kept as given, as text). */
function convertProtocol(v: unknown): unknown {
  if (v === 'any') return null;
  const invalid = () => Errors.sgInvalid('SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${repr(v)} not supported. Only protocol values ${SUPPORTED} and integer representations [0 to 255] are supported.`);
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (v >= 0 && v <= 255) return String(v);
    throw invalid();
  }
  if (typeof v !== 'string') throw invalid();
  if (/^\s*[+-]?\d+\s*$/.test(v)) {
    const n = Number(v);
    if (n >= 0 && n <= 255) return v;
    throw invalid();
  }
  if (Object.hasOwn(IP_PROTOCOL_MAP, v.toLowerCase())) return v.toLowerCase();
  throw invalid();
}

function convertEthertype(v: unknown): unknown {
  if (typeof v === 'string') {
    const found = ETHERTYPES.find((e) => e.toLowerCase() === v.toLowerCase());
    if (found) return found;
  }
  throw Errors.sgInvalid('SecurityGroupRuleInvalidEtherType',
    `Security group rule for ethertype '${repr(v)}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
}

/** convert_validate_port_value: an integer 0-65535 (digits in a string too). */
function convertPort(v: unknown): unknown {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  throw Errors.sgInvalid('SecurityGroupInvalidPortValue', `Invalid value for port ${repr(v)}`);
}

/** convert_ip_prefix_to_cidr: an address or a network, shown with its prefix length (host bits kept, as netaddr does). */
export function convertPrefix(v: unknown): unknown {
  if (v === '' || v === null) return null;
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    const ip = parseIp(slash < 0 ? v : v.slice(0, slash));
    if (ip) {
      if (slash < 0) return `${formatIp(ip.version, ip.value)}/${ip.version === 4 ? 32 : 128}`;
      const c = parseCidr(v);
      if (c) return `${formatIp(ip.version, ip.value)}/${c.prefix}`;
    }
  }
  throw Errors.sgInvalid('InvalidCIDR', `Invalid CIDR ${repr(v)} given as IP prefix.`);
}

/** _validate_name_not_default: no group but the project's own may be called default (any case). */
function nameNotDefault(v: unknown): unknown {
  if (typeof v === 'string' && v.length <= 255 && v.toLowerCase() === 'default') throw Errors.securityGroupDefaultAlreadyExists();
  return v;
}

export const securityGroupDef = defineResource({
  singular: 'security_group',
  plural: 'security_groups',
  collection: 'security-groups',
  kind: 'SecurityGroup',
  table: 'security_groups',
  notFound: (id) => Errors.securityGroupNotFound(id),
  attributes: {
    id: idAttr,
    name: { ...nameAttrs.name, convert: nameNotDefault },
    description: nameAttrs.description,
    ...projectAttrs,
    stateful: booleanAttr(true),
    security_group_rules: { kind: 'list', post: false, put: false, column: false, filter: false },
    ...standardAttrs,
  },
});

export const securityGroupRuleDef = defineResource({
  singular: 'security_group_rule',
  plural: 'security_group_rules',
  collection: 'security-group-rules',
  kind: 'SecurityGroupRule',
  table: 'security_group_rules',
  notFound: (id) => Errors.securityGroupRuleNotFound(id),
  attributes: {
    id: idAttr,
    ...projectAttrs,
    security_group_id: { kind: 'string', post: true, put: false, validate: V.string(36) },
    remote_group_id: { kind: 'string', nullable: true, post: true, put: false, default: null, convert: (v) => (v === '' ? null : v), validate: V.stringOrNone(36) },
    direction: { kind: 'string', post: true, put: false, validate: V.values(['ingress', 'egress']) },
    protocol: { kind: 'string', nullable: true, post: true, put: false, default: null, convert: convertProtocol },
    port_range_min: { kind: 'integer', nullable: true, post: true, put: false, default: null, convert: convertPort },
    port_range_max: { kind: 'integer', nullable: true, post: true, put: false, default: null, convert: convertPort },
    ethertype: { kind: 'string', post: true, put: false, default: 'IPv4', convert: convertEthertype, validate: V.values(ETHERTYPES) },
    remote_ip_prefix: { kind: 'string', nullable: true, post: true, put: false, default: null, convert: convertPrefix },
    description: nameAttrs.description,
    revision_number: standardAttrs.revision_number,
    created_at: standardAttrs.created_at,
    updated_at: standardAttrs.updated_at,
  },
});

export type SecurityGroup = ResourceOf<typeof securityGroupDef>;
export type SecurityGroupRule = ResourceOf<typeof securityGroupRuleDef>;
