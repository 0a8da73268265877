// The contents of dnsmasq's per-network files, in the exact formats of Neutron's dnsmasq
// driver (neutron/agent/linux/dhcp.py: _output_hosts_file, _output_addn_hosts_file,
// _output_opts_file), so what a Neutron operator knows how to read reads the same here.
import { parseIp } from '../../common/net-address.js';
import type { NetworkState, PortState, SubnetState } from '../protocol.js';

export const subnetTag = (subnetId: string): string => `subnet-${subnetId}`;
export const portTag = (portId: string): string => `port-${portId}`;

/** dhcp-host entries of IPv6 addresses answer DHCPv6 only (dnsmasq >= 2.81) */
const HOST_DHCPV6_TAG = 'tag:dhcpv6,';
const CLIENT_ID_OPTS = new Set(['client-id', '61']);
/** neutron-lib's DHCP_CONFIG_NOT_REQUIRED_OWNERS */
const NO_DHCP_OWNERS = new Set(['network:router_interface_distributed', 'network:router_ha_interface', 'network:floatingip']);
/** Windows 2003's classless static route option */
const WIN2K3_STATIC_ROUTES = '249';

export const isV6 = (ip: string): boolean => ip.includes(':');
const v6Literal = (ip: string): string => (isV6(ip) ? `[${ip}]` : ip);

interface HostEntry {
  port: PortState;
  ip: string;
  subnetId: string;
  hostname: string;
  fqdn: string;
  /** an IPv6 address that DHCP does not hand out (SLAAC, DHCPv6-stateless) */
  noDhcp: boolean;
  /** SLAAC: no options either */
  noOpts: boolean;
  tag: string;
}

/** Neutron's _get_dns_assignment: the port's dns_name, else host-<address with dashes> */
function names(port: PortState, ip: string, domain: string): { hostname: string; fqdn: string } {
  const hostname = port.dns_name || `host-${ip.replace(/[.:]/g, '-')}`;
  return { hostname, fqdn: domain ? `${hostname}.${domain}` : hostname };
}

/** Neutron's _iter_hosts (addr6 lists off, its default) */
function hostEntries(net: NetworkState, domain: string): HostEntry[] {
  const v6 = new Map(net.subnets.filter((s) => s.ip_version === 6).map((s) => [s.id, s]));
  const entries: HostEntry[] = [];
  for (const port of net.ports) {
    if (NO_DHCP_OWNERS.has(port.device_owner)) continue;
    // stateless IPv6 entries first: dnsmasq reads the file from its end (Neutron's note)
    const stateless = (f: { subnet_id: string }) => v6.get(f.subnet_id)?.ipv6_address_mode === 'dhcpv6-stateless';
    const fixed = [...port.fixed_ips.filter(stateless), ...port.fixed_ips.filter((f) => !stateless(f))];
    for (const f of fixed) {
      const mode = v6.get(f.subnet_id)?.ipv6_address_mode;
      const inV6 = v6.has(f.subnet_id);
      entries.push({
        port,
        ip: f.ip_address,
        subnetId: f.subnet_id,
        ...names(port, f.ip_address, domain),
        noDhcp: inV6 && (mode === 'slaac' || mode === 'dhcpv6-stateless'),
        noOpts: inV6 && mode === 'slaac',
        tag: inV6 ? HOST_DHCPV6_TAG : '',
      });
    }
  }
  return entries;
}

const clientId = (port: PortState): string | undefined => port.extra_dhcp_opts.find((o) => CLIENT_ID_OPTS.has(o.opt_name))?.opt_value;

/** --dhcp-hostsfile: `mac,[tag]name,ip[,set:port-ID]` per address DHCP hands out */
export function hostsFile(net: NetworkState, domain: string): string {
  const dhcpSubnets = new Set(net.subnets.filter((s) => s.enable_dhcp).map((s) => s.id));
  let out = '';
  for (const e of hostEntries(net, domain)) {
    const { port, tag } = e;
    const opts = port.extra_dhcp_opts;
    if (e.noDhcp) {
      if (!e.noOpts && opts.length > 0) out += `${port.mac_address},${tag}set:${portTag(port.id)}\n`;
      continue;
    }
    if (!dhcpSubnets.has(e.subnetId)) continue;
    const ip = v6Literal(e.ip);
    const cid = opts.length > 0 ? clientId(port) : undefined;
    if (cid && opts.length > 1) out += `${port.mac_address},${tag}id:${cid},${e.fqdn},${ip},set:${portTag(port.id)}\n`;
    else if (cid) out += `${port.mac_address},${tag}id:${cid},${e.fqdn},${ip}\n`;
    else if (opts.length > 0) out += `${port.mac_address},${tag}${e.fqdn},${ip},set:${portTag(port.id)}\n`;
    else out += `${port.mac_address},${tag}${e.fqdn},${ip}\n`;
  }
  return out;
}

/** --addn-hosts: /etc/hosts lines, the FQDN first so PTR answers carry it */
export function addnHostsFile(net: NetworkState, domain: string): string {
  return hostEntries(net, domain)
    .map((e) => `${e.ip}\t${e.fqdn} ${e.hostname}\n`)
    .join('');
}

/** Neutron's _format_option: tag, option:NAME (option6:NAME for IPv6; numbers bare for IPv4), values */
export function formatOption(ipVersion: 4 | 6, tag: string, option: string, ...values: string[]): string {
  const m = /^(tag:(.*),)?(.*)$/.exec(option.split('\n', 1)[0] ?? '')!;
  const extraTag = m[1];
  let name = m[3] ?? '';
  if (ipVersion === 6) name = `option6:${name}`;
  else if (!/^\d+$/.test(name)) name = `option:${name}`;
  const parts = extraTag ? [`tag:${tag}`, extraTag.slice(0, -1), name] : [`tag:${tag}`, name];
  return [...parts, ...values.map((v) => v.split('\n', 1)[0] ?? '')].join(',');
}

const isAnyAddress = (servers: string[], version: 4 | 6): boolean => servers.length > 0 && servers.every((s) => (version === 4 ? s === '0.0.0.0' : parseIp(s)?.value === 0n));

function subnetOptions(net: NetworkState, subnet: SubnetState, domain: string): string[] {
  const tag = subnetTag(subnet.id);
  const v = subnet.ip_version;
  const opts: string[] = [];
  if (subnet.dns_nameservers.length > 0) {
    // 0.0.0.0 / :: alone: announce no DNS server at all
    if (isAnyAddress(subnet.dns_nameservers, v)) opts.push(formatOption(v, tag, 'dns-server'));
    else opts.push(formatOption(v, tag, 'dns-server', subnet.dns_nameservers.map(v6Literal).join(',')));
  }
  // with none, dnsmasq announces itself as the DNS server
  if (domain && v === 6) opts.push(formatOption(v, tag, 'domain-search', domain));
  if (v === 6) return opts;

  let gateway = subnet.gateway_ip;
  const routes: string[] = [];
  for (const hr of subnet.host_routes) {
    if (hr.destination === '0.0.0.0/0') gateway ??= hr.nexthop;
    else routes.push(`${hr.destination},${hr.nexthop}`);
  }
  // the network's other IPv4 subnets are on-link
  for (const other of net.subnets) if (other.ip_version === 4 && other.cidr !== subnet.cidr) routes.unshift(`${other.cidr},0.0.0.0`);
  if (routes.length > 0) {
    // a client taking option 121 ignores option 3: the default route goes in too
    if (gateway) routes.push(`0.0.0.0/0,${gateway}`);
    opts.push(formatOption(4, tag, 'classless-static-route', routes.join(',')));
    opts.push(formatOption(4, tag, WIN2K3_STATIC_ROUTES, routes.join(',')));
  }
  opts.push(gateway ? formatOption(4, tag, 'router', gateway) : formatOption(4, tag, 'router'));
  return opts;
}

/** --dhcp-optsfile: per subnet, then per port (extra_dhcp_opts); lines joined without a final newline, as Neutron */
export function optsFile(net: NetworkState, domain: string): string {
  const opts: string[] = [];
  const withoutNameservers = new Set<string>();
  for (const s of net.subnets) {
    if (!s.enable_dhcp || (s.ip_version === 6 && s.ipv6_address_mode === 'slaac')) continue;
    if (s.dns_nameservers.length === 0) withoutNameservers.add(s.id);
    opts.push(...subnetOptions(net, s, domain));
  }
  const dhcpIps = new Map<string, string[]>();
  for (const port of net.ports) {
    const versions = new Set(port.fixed_ips.map((f) => (isV6(f.ip_address) ? 6 : 4)));
    for (const o of port.extra_dhcp_opts) {
      if (CLIENT_ID_OPTS.has(o.opt_name) || !versions.has(o.ip_version)) continue;
      opts.push(formatOption(o.ip_version, portTag(port.id), o.opt_name, o.opt_value));
    }
    if (port.device_owner !== 'network:dhcp') continue;
    for (const f of port.fixed_ips) if (withoutNameservers.has(f.subnet_id)) dhcpIps.set(f.subnet_id, [...(dhcpIps.get(f.subnet_id) ?? []), f.ip_address]);
  }
  // several DHCP servers on a subnet without nameservers: announce them all
  for (const [subnetId, ips] of dhcpIps) {
    for (const v of [4, 6] as const) {
      const vx = ips.filter((ip) => isV6(ip) === (v === 6));
      if (vx.length > 1) opts.push(formatOption(v, subnetTag(subnetId), 'dns-server', vx.map(v6Literal).join(',')));
    }
  }
  return opts.join('\n');
}
