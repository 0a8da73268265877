// dnsmasq's command line for one network, as Neutron's Dnsmasq._build_cmdline_callback
// builds it (with --leasefile-ro and --interface, which the issue asks for), plus
// router advertisements for subnets whose ipv6_ra_mode is set: there is no L3 agent (and
// its radvd) yet, so dnsmasq sends them.
import { join } from 'node:path';
import { formatIp, parseCidr } from '../../common/net-address.js';
import type { NetworkState, SubnetState } from '../protocol.js';
import { subnetTag } from './files.js';
import { OWNER_MARK } from './state-files.js';

/** Neutron's dnsmasq_lease_max default */
export const LEASE_MAX = 2 ** 24;

export interface NetworkFiles {
  dir: string;
  pid: string;
  host: string;
  addnHosts: string;
  opts: string;
  leases: string;
  /** the interface name, as Neutron keeps it beside the others; also the mark of the agent's own directories */
  interface: string;
}

/** <stateDir>/<network id>/…, as Neutron's /var/lib/neutron/dhcp/<network id>/ */
export function networkFiles(stateDir: string, networkId: string): NetworkFiles {
  const dir = join(stateDir, networkId);
  return {
    dir,
    pid: join(dir, 'pid'),
    host: join(dir, 'host'),
    addnHosts: join(dir, 'addn_hosts'),
    opts: join(dir, 'opts'),
    leases: join(dir, 'leases'),
    interface: join(dir, OWNER_MARK),
  };
}

export interface ArgsOptions {
  interfaceName: string;
  domain: string;
  /** seconds; -1 for infinite (Neutron's dhcp_lease_duration, default 86400) */
  leaseDuration: number;
  /** --user (dnsmasq's own default: nobody) */
  user?: string;
}

/** the dhcp-range mode of a subnet, or null when DHCP hands out nothing there */
export function rangeMode(s: SubnetState): string | null {
  if (s.ip_version === 4) return 'static';
  const addr = s.ipv6_address_mode;
  const ra = s.ipv6_ra_mode;
  if (ra) {
    // dnsmasq advertises the prefix itself
    if (addr === 'slaac') return 'ra-only';
    if (addr === 'dhcpv6-stateless') return 'ra-stateless';
    return 'static';
  }
  if (addr === 'dhcpv6-stateful' || addr === 'dhcpv6-stateless' || (!addr && !ra)) return 'static';
  return null;
}

export function dnsmasqArgs(net: NetworkState, files: NetworkFiles, o: ArgsOptions): string[] {
  const args = [
    '--no-hosts',
    '--no-resolv',
    `--pid-file=${files.pid}`,
    `--dhcp-hostsfile=${files.host}`,
    `--addn-hosts=${files.addnHosts}`,
    `--dhcp-optsfile=${files.opts}`,
    `--dhcp-leasefile=${files.leases}`,
    '--leasefile-ro',
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
  ];
  const lease = o.leaseDuration === -1 ? 'infinite' : `${o.leaseDuration}s`;
  let possible = 0;
  let ra = false;
  for (const s of net.subnets) {
    if (!s.enable_dhcp) continue;
    const cidr = parseCidr(s.cidr);
    const mode = rangeMode(s);
    if (!cidr || !mode) continue;
    const network = formatIp(cidr.version, cidr.network);
    if (cidr.version === 4) {
      const mask = formatIp(4, ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - cidr.prefix)) - 1n));
      args.push(`--dhcp-range=set:${subnetTag(s.id)},${network},${mode},${mask},${lease}`);
    } else {
      if (cidr.prefix < 64) continue; // as Neutron: dnsmasq serves no prefix shorter than /64
      args.push(`--dhcp-range=set:${subnetTag(s.id)},${network},${mode},${cidr.prefix},${lease}`);
      if (s.ipv6_ra_mode) ra = true;
    }
    possible += Number(cidr.size > BigInt(LEASE_MAX) ? BigInt(LEASE_MAX) : cidr.size);
  }
  if (ra) args.push('--enable-ra');
  // an unknown MTU is not advertised
  if (net.mtu > 0) args.push(`--dhcp-option-force=option:mtu,${net.mtu}`);
  args.push(`--dhcp-lease-max=${Math.min(possible, LEASE_MAX)}`);
  args.push('--conf-file=/dev/null');
  if (o.domain) args.push(`--domain=${o.domain}`);
  args.push(`--interface=${o.interfaceName}`);
  if (o.user) args.push(`--user=${o.user}`);
  return args;
}

/** the networks' DHCP-enabled subnets dnsmasq serves (one of them makes the network ours) */
export const dhcpSubnets = (net: NetworkState): SubnetState[] => net.subnets.filter((s) => s.enable_dhcp);
