// The L2 planner: desired state (the networks with ports bound to this host) + what the
// kernel has → the smallest list of steps. Pure: no Runner, no clock, no I/O.
import ipaddr from 'ipaddr.js';
import { FLOOD_MAC, type FdbEntry } from '../../host/linux/fdb.js';
import { isTemporaryName, MAX_IFNAME, temporaryName, type Link, type LinkChange, type NewLink } from '../../host/linux/links.js';
import type { NeighEntry } from '../../host/linux/neigh.js';
import { bridgeName, tapName, vxlanName, type HostState, type NetworkState } from '../protocol.js';
import { VXLAN_PORT, type L2Config } from './config.js';
import { markedNetwork, markFor, looksLikeOurs } from './marks.js';
import type { NetworkProblem, Step } from './steps.js';

/** what the kernel has: every link, and the FDB/neighbour entries of the VXLAN devices read */
export interface KernelState {
  links: Link[];
  fdb: FdbEntry[];
  neigh: NeighEntry[];
}

export interface PlanInput {
  desired: HostState;
  actual: KernelState;
  cfg: L2Config;
  vlan: { supported: boolean; reason?: string };
  /** a partial reconcile touches only these networks; absent: every network */
  scope?: ReadonlySet<string>;
}

export interface Plan {
  steps: Step[];
  /** port id → network id: ports bound here whose tap is in its bridge and up once the steps ran */
  wired: Map<string, string>;
  problems: NetworkProblem[];
  /** links named like the agent's (brq…, vxlan-N) that it did not make: never touched */
  foreign: string[];
}

/** a vlan subinterface as Neutron names it, IFACE.VID, the interface cut to fit IFNAMSIZ */
export function subinterfaceName(iface: string, vlanId: number): string {
  const suffix = `.${vlanId}`;
  return iface.slice(0, MAX_IFNAME - suffix.length) + suffix;
}

const normIp = (ip: string): string => {
  try {
    return ipaddr.parse(ip).toString();
  } catch {
    return ip;
  }
};

const vxlanSpec = (vni: number, local: string): NewLink => ({ kind: 'vxlan', vni, local, dstport: VXLAN_PORT, learning: false, proxy: true });

/** an existing VXLAN device already made the way the agent would make it now */
function vxlanMatches(l: Link, vni: number, local: string): boolean {
  const v = l.vxlan;
  return l.kind === 'vxlan' && v !== null && v.id === vni && v.local === local && v.port === VXLAN_PORT && !v.learning && v.proxy;
}

const isEmpty = (c: LinkChange): boolean => Object.keys(c).length === 0;

export function plan(input: PlanInput): Plan {
  const { desired, actual } = input;
  const host = desired.host;
  const links = new Map(actual.links.map((l) => [l.name, l]));
  const inScope = (id: string): boolean => !input.scope || input.scope.has(id);
  const served = desired.networks.filter((n) => inScope(n.id) && n.ports.some((p) => p.host === host));
  const servedIds = new Set(served.map((n) => n.id));
  const out: Plan = { steps: [], wired: new Map(), problems: [], foreign: [] };
  out.foreign = actual.links.filter((l) => looksLikeOurs(l.name) && markedNetwork(l.alias) === null).map((l) => l.name);
  // links a served network uses now, whoever's mark they carried before
  const claimed = new Set<string>();

  for (const n of served) {
    const problem = planNetwork(n, input, links, out, claimed);
    if (problem) out.problems.push({ network_id: n.id, reason: problem });
  }

  const wiring = out.steps.length;
  // what the agent made for networks it no longer serves here: lower devices, then bridges
  const stale = actual.links.filter((l) => {
    const id = markedNetwork(l.alias);
    return id !== null && !servedIds.has(id) && inScope(id) && !claimed.has(l.name);
  });
  for (const l of stale.filter((x) => x.kind !== 'bridge')) out.steps.push({ op: 'delete', name: l.name });
  for (const l of stale.filter((x) => x.kind === 'bridge')) out.steps.push({ op: 'delete', name: l.name });
  // a create killed between `ip link add` and its alias left an unmarked cl-tmp-… link that no
  // network may ever claim again: on a full reconcile (the first after a start among them) the
  // agent's temporary names in its own namespace are its own leftovers, since it runs one reconcile at a time
  if (!input.scope) {
    const deleted = new Set(out.steps.flatMap((s) => (s.op === 'delete' ? [s.name] : [])));
    for (const l of actual.links) if (isTemporaryName(l.name) && !deleted.has(l.name)) out.steps.push({ op: 'delete', name: l.name });
  }
  // grouped by program (links, FDB, neighbours, removals, sysctl), each group in its order:
  // each group runs as one batch (see host/linux/batch.ts) instead of a few per network
  const phase = (s: Step, i: number): number =>
    i >= wiring ? 3 : s.op === 'create' || s.op === 'set' || s.op === 'delete' ? 0 : s.op === 'sysctl' ? 4 : s.op.startsWith('neigh') ? 2 : 1;
  out.steps = out.steps.map((s, i) => ({ s, p: phase(s, i), i })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.s);
  return out;
}

type Lower =
  | { type: 'none' }
  | { type: 'physical'; link: Link }
  | { type: 'made'; name: string; spec: NewLink; mtu?: number; existing: Link | undefined };

/** plans one served network; returns why it cannot be served (then plans nothing for it) */
function planNetwork(n: NetworkState, input: PlanInput, links: Map<string, Link>, out: Plan, claimed: Set<string>): string | null {
  const { desired } = input;
  const mark = markFor(n.id);
  const br = bridgeName(n.id);
  const brLink = links.get(br);
  if (brLink && markedNetwork(brLink.alias) !== n.id) return `${br} exists and was not made by cloudlet's L2 agent for this network (alias ${JSON.stringify(brLink.alias)}): left alone`;

  const lower = lowerDevice(n, input, links, br);
  if (typeof lower === 'string') return lower;
  // a made lower device under a name someone else holds
  if (lower.type === 'made' && lower.existing) {
    const owner = markedNetwork(lower.existing.alias);
    if (owner === null) return `${lower.name} exists and was not made by cloudlet: left alone`;
    if (owner !== n.id && input.desired.networks.some((o) => o.id === owner && o.ports.some((p) => p.host === desired.host)))
      return `${lower.name} is in use by network ${owner}`;
  }

  const steps = out.steps;
  /** a create, after the leftover of an earlier one killed half-way */
  const create = (name: string, link: NewLink, mtu?: number): void => {
    if (links.has(temporaryName(name))) steps.push({ op: 'delete', name: temporaryName(name) });
    steps.push({ op: 'create', name, link, mark, mtu });
  };
  claimed.add(br);
  if (!brLink) {
    create(br, { kind: 'bridge' }, n.mtu);
    // the host takes no part in tenant networks: no link-local address, no RS/MLD on them
    steps.push({ op: 'sysctl', key: `net.ipv6.conf.${br}.disable_ipv6`, value: '1' });
    steps.push({ op: 'set', name: br, change: { up: true } });
  } else {
    const c: LinkChange = {};
    if (brLink.mtu !== n.mtu) c.mtu = n.mtu;
    if (!brLink.up) c.up = true;
    if (!isEmpty(c)) steps.push({ op: 'set', name: br, change: c });
  }

  if (lower.type === 'physical') {
    const c: LinkChange = {};
    if (lower.link.master !== br) c.master = br;
    if (!lower.link.up) c.up = true;
    if (!isEmpty(c)) steps.push({ op: 'set', name: lower.link.name, change: c });
  } else if (lower.type === 'made') {
    claimed.add(lower.name);
    const e = lower.existing;
    const reusable = e && markedNetwork(e.alias) === n.id && (lower.spec.kind !== 'vxlan' || vxlanMatches(e, lower.spec.vni, lower.spec.local));
    if (reusable) {
      const c: LinkChange = {};
      if (e.master !== br) c.master = br;
      if (lower.mtu !== undefined && e.mtu !== lower.mtu) c.mtu = lower.mtu;
      if (!e.up) c.up = true;
      if (!isEmpty(c)) steps.push({ op: 'set', name: e.name, change: c });
    } else {
      // ours but made otherwise (another local IP, another network before): made again
      if (e) steps.push({ op: 'delete', name: e.name });
      create(lower.name, lower.spec, lower.mtu);
      steps.push({ op: 'set', name: lower.name, change: { master: br, up: true } });
    }
    if (lower.spec.kind === 'vxlan') l2population(n, lower.name, reusable ? input.actual : { links: [], fdb: [], neigh: [] }, input, out);
  }

  // this host's ports: their taps (made by plug or the DHCP agent) into the bridge
  const taps = new Set<string>();
  for (const p of n.ports.filter((x) => x.host === desired.host)) {
    const tap = tapName(p.id);
    taps.add(tap);
    const t = links.get(tap);
    if (!t) continue;
    const c: LinkChange = {};
    if (t.master !== br) c.master = br;
    if (t.mtu !== n.mtu) c.mtu = n.mtu;
    if (t.up !== p.admin_state_up) c.up = p.admin_state_up;
    if (!isEmpty(c)) steps.push({ op: 'set', name: tap, change: c });
    if (p.admin_state_up) out.wired.set(p.id, n.id);
  }
  // taps of ports gone from this host leave the bridge (and stay: they are not the agent's)
  for (const l of links.values()) if (l.master === br && l.name.startsWith('tap') && !taps.has(l.name)) steps.push({ op: 'set', name: l.name, change: { nomaster: true } });
  return null;
}

/** physical network → its mapped interface, for the mappings whose interface the kernel does not have */
export function missingInterfaces(mappings: Readonly<Record<string, string>>, links: readonly Link[]): Record<string, string> {
  const names = new Set(links.map((l) => l.name));
  return Object.fromEntries(Object.entries(mappings).filter(([, iface]) => !names.has(iface)));
}

function lowerDevice(n: NetworkState, input: PlanInput, links: Map<string, Link>, br: string): Lower | string {
  const { cfg } = input;
  const physical = (): Link | string => {
    const physnet = n.physical_network ?? '';
    const iface = cfg.physicalInterfaceMappings[physnet];
    if (!iface) return `no interface mapped to physical network ${JSON.stringify(physnet)} (physical_interface_mappings)`;
    const link = links.get(iface);
    if (!link) return `interface ${iface} of physical network ${physnet} does not exist`;
    return link;
  };
  switch (n.network_type) {
    case 'local':
      return { type: 'none' };
    case 'flat': {
      const link = physical();
      if (typeof link === 'string') return link;
      if (link.master !== null && link.master !== br) return `interface ${link.name} is already in ${link.master}`;
      return { type: 'physical', link };
    }
    case 'vlan': {
      if (!input.vlan.supported) return input.vlan.reason ?? 'the kernel has no 802.1Q VLAN support';
      const link = physical();
      if (typeof link === 'string') return link;
      if (n.segmentation_id === null) return 'a vlan network without a segmentation id';
      const name = subinterfaceName(link.name, n.segmentation_id);
      return { type: 'made', name, spec: { kind: 'vlan', parent: link.name, vlanId: n.segmentation_id }, existing: links.get(name) };
    }
    case 'vxlan': {
      if (!cfg.localIp) return 'no local_ip configured: VXLAN networks are not served';
      if (n.segmentation_id === null) return 'a vxlan network without a segmentation id';
      const name = vxlanName(n.segmentation_id);
      return { type: 'made', name, spec: vxlanSpec(n.segmentation_id, cfg.localIp), mtu: n.mtu, existing: links.get(name) };
    }
    default:
      return `network type ${n.network_type} is not served by the Linux bridge agent`;
  }
}

/**
 * l2population: a flood entry per remote VTEP with ports on this network, a static FDB
 * entry per remote port's MAC to its host's VTEP, a permanent neighbour entry per remote
 * address (the device's `proxy` answers ARP/ND from them). Only what differs is written.
 */
function l2population(n: NetworkState, dev: string, actual: KernelState, input: PlanInput, out: Plan): void {
  const { desired, cfg } = input;
  const vtepOf = new Map(n.vteps.filter((v) => v.host !== desired.host && v.ip !== cfg.localIp).map((v) => [v.host, normIp(v.ip)]));
  const remote = n.ports.filter((p) => p.host !== '' && p.host !== desired.host && vtepOf.has(p.host));

  const floodWant = new Set(remote.map((p) => vtepOf.get(p.host)!));
  const fdbWant = new Map(remote.map((p) => [p.mac_address.toLowerCase(), vtepOf.get(p.host)!]));
  const neighWant = new Map(remote.flatMap((p) => p.fixed_ips.map((f) => [normIp(f.ip_address), p.mac_address.toLowerCase()] as const)));

  const have = actual.fdb.filter((e) => e.dev === dev && e.dst !== null);
  const floodHave = new Set(have.filter((e) => e.mac === FLOOD_MAC).map((e) => normIp(e.dst!)));
  const unicastHave = new Map<string, FdbEntry[]>();
  for (const e of have.filter((x) => x.mac !== FLOOD_MAC)) unicastHave.set(e.mac, [...(unicastHave.get(e.mac) ?? []), e]);
  const neighHave = new Map(actual.neigh.filter((e) => e.dev === dev && e.state.includes('PERMANENT')).map((e) => [normIp(e.ip), e.mac]));

  const steps = out.steps;
  for (const dst of floodWant) if (!floodHave.has(dst)) steps.push({ op: 'flood-add', dev, dst });
  for (const [mac, dst] of fdbWant) {
    const entries = unicastHave.get(mac) ?? [];
    for (const e of entries) if (normIp(e.dst!) !== dst) steps.push({ op: 'fdb-del', dev, mac, dst: e.dst });
    const right = entries.find((e) => normIp(e.dst!) === dst);
    if (!right || (right.state !== 'static' && right.state !== 'permanent')) steps.push({ op: 'fdb-set', dev, mac, dst });
  }
  for (const [ip, mac] of neighWant) if (neighHave.get(ip) !== mac) steps.push({ op: 'neigh-set', dev, ip, mac });

  for (const [ip] of neighHave) if (!neighWant.has(ip)) steps.push({ op: 'neigh-del', dev, ip });
  for (const [mac, entries] of unicastHave) if (!fdbWant.has(mac)) for (const e of entries) steps.push({ op: 'fdb-del', dev, mac, dst: e.dst });
  for (const dst of floodHave) if (!floodWant.has(dst)) steps.push({ op: 'flood-del', dev, dst });
}
