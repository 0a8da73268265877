// The DHCP port's interface, as Neutron's DeviceManager.setup with the BridgeInterfaceDriver
// makes it: namespace qdhcp-<network>, a veth tap<port 11> (host side, left for the L2
// agent to enslave into the network's bridge: the port is bound to this host) and
// ns-<port 11> inside with the port's MAC, the network's MTU and the port's addresses,
// lo up, router advertisements ignored, the default route via the subnet's gateway.
// Desired + actual -> Commands, no Runner here.
import { cidrContains, formatIp, parseCidr, parseIp } from '../../common/net-address.js';
import {
  hostLinkDelCmd,
  hostLinkSetCmd,
  netnsAddCmd,
  netnsDelCmd,
  nsAddrAddCmd,
  nsAddrDelCmd,
  nsDefaultRouteDelCmd,
  nsDefaultRouteReplaceCmd,
  nsLinkDelCmd,
  nsLinkSetCmd,
  nsSysctlCmd,
  vethIntoNsCmd,
  type NsLink,
  type NsRoute,
} from '../../host/linux/netns.js';
import type { Command } from '../../host/linux/runner.js';
import { dhcpNamespace, nsDeviceName, tapName, type NetworkState, type PortState } from '../protocol.js';

export interface DesiredInterface {
  ns: string;
  tap: string;
  nsDev: string;
  mac: string;
  mtu: number;
  /** address/prefix of every fixed IP of the port on a subnet of the network */
  cidrs: string[];
  /** the default gateway per IP version, when a DHCP subnet has one */
  gateways: Partial<Record<4 | 6, string>>;
}

export interface ActualInterface {
  namespaceExists: boolean;
  /** links inside the namespace (empty when there is none) */
  nsLinks: NsLink[];
  /** the host end, when it exists */
  hostTap: NsLink | null;
  routes: NsRoute[];
}

const canonicalIp = (ip: string): string => {
  const p = parseIp(ip);
  return p ? formatIp(p.version, p.value) : ip;
};

/** Neutron's _set_default_route: the first DHCP subnet of each version with a usable gateway */
function gateways(net: NetworkState): Partial<Record<4 | 6, string>> {
  const out: Partial<Record<4 | 6, string>> = {};
  for (const s of net.subnets) {
    if (!s.enable_dhcp || !s.gateway_ip || out[s.ip_version]) continue;
    const cidr = parseCidr(s.cidr);
    if (!cidr) continue;
    const gw = parseIp(s.gateway_ip);
    // an off-link gateway needs an on-link route first: not handled, skipped
    if (!gw || !cidrContains(cidr, gw)) continue;
    if (s.ip_version === 6) {
      const auto = ['slaac', 'dhcpv6-stateless'];
      if (cidr.prefix === 0 || cidr.prefix > 126) continue;
      if (cidr.prefix !== 64 && (auto.includes(s.ipv6_address_mode ?? '') || auto.includes(s.ipv6_ra_mode ?? ''))) continue;
    }
    out[s.ip_version] = canonicalIp(s.gateway_ip);
  }
  return out;
}

export function desiredInterface(net: NetworkState, port: PortState): DesiredInterface {
  const subnets = new Map(net.subnets.map((s) => [s.id, s]));
  const cidrs: string[] = [];
  for (const f of port.fixed_ips) {
    const s = subnets.get(f.subnet_id);
    const c = s && parseCidr(s.cidr);
    if (c) cidrs.push(`${canonicalIp(f.ip_address)}/${c.prefix}`);
  }
  return {
    ns: dhcpNamespace(net.id),
    tap: tapName(port.id),
    nsDev: nsDeviceName(port.id),
    mac: port.mac_address.toLowerCase(),
    mtu: net.mtu,
    cidrs,
    gateways: gateways(net),
  };
}

/** the commands that make `actual` into `want`; none when it already is */
export function planInterface(want: DesiredInterface, actual: ActualInterface): Command[] {
  const { ns, nsDev, tap } = want;
  const cmds: Command[] = [];
  if (!actual.namespaceExists) {
    cmds.push(netnsAddCmd(ns));
    // addresses are set statically: no SLAAC address from a router's advertisements
    cmds.push(nsSysctlCmd(ns, 'net.ipv6.conf.default.accept_ra', 0));
  }
  const lo = actual.nsLinks.find((l) => l.name === 'lo');
  if (!lo?.up) cmds.push(nsLinkSetCmd(ns, 'lo', { up: true }));

  // another DHCP port's device (the port was replaced): only ns-* names are ours to remove
  for (const l of actual.nsLinks) if (l.name.startsWith('ns-') && l.name !== nsDev) cmds.push(nsLinkDelCmd(ns, l.name));

  const dev = actual.nsLinks.find((l) => l.name === nsDev);
  let addresses: string[] = [];
  if (!dev) {
    // a host end without its peer is a half-made pair: start again
    if (actual.hostTap) cmds.push(hostLinkDelCmd(tap));
    cmds.push(vethIntoNsCmd(tap, nsDev, ns));
    cmds.push(nsLinkSetCmd(ns, nsDev, { mac: want.mac, mtu: want.mtu, up: true }));
    cmds.push(hostLinkSetCmd(tap, { mtu: want.mtu, up: true }));
  } else {
    const change: { mac?: string; mtu?: number; up?: boolean } = {};
    if (dev.mac.toLowerCase() !== want.mac) change.mac = want.mac;
    if (dev.mtu !== want.mtu) change.mtu = want.mtu;
    if (!dev.up) change.up = true;
    if (Object.keys(change).length > 0) cmds.push(nsLinkSetCmd(ns, nsDev, change));
    const t = actual.hostTap;
    if (t && (t.mtu !== want.mtu || !t.up)) cmds.push(hostLinkSetCmd(tap, { ...(t.mtu !== want.mtu ? { mtu: want.mtu } : {}), ...(t.up ? {} : { up: true }) }));
    addresses = dev.addresses.filter((a) => a.scope === 'global').map((a) => a.cidr);
  }

  for (const cidr of addresses) if (!want.cidrs.includes(cidr)) cmds.push(nsAddrDelCmd(ns, nsDev, cidr));
  for (const cidr of want.cidrs) if (!addresses.includes(cidr)) cmds.push(nsAddrAddCmd(ns, nsDev, cidr));

  for (const family of [4, 6] as const) {
    const gw = want.gateways[family];
    const current = actual.routes.find((r) => r.family === family);
    if (gw && (current?.gateway !== gw || current.dev !== nsDev)) cmds.push(nsDefaultRouteReplaceCmd(ns, family, gw, nsDev));
    else if (!gw && current) cmds.push(nsDefaultRouteDelCmd(ns, family));
  }
  return cmds;
}

/** what removing a network's DHCP interface takes; `nsLinks` empty when the namespace is gone */
export function planTeardown(ns: string, nsLinks: NsLink[], namespaceExists: boolean, hostTap: string | null): Command[] {
  const cmds: Command[] = [];
  // deleting one end of a veth deletes its peer, the host's tap
  for (const l of nsLinks) if (l.name.startsWith('ns-')) cmds.push(nsLinkDelCmd(ns, l.name));
  if (hostTap && !nsLinks.some((l) => l.name.startsWith('ns-'))) cmds.push(hostLinkDelCmd(hostTap));
  if (namespaceExists) cmds.push(netnsDelCmd(ns));
  return cmds;
}
