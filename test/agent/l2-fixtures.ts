// Desired and kernel states for the L2 planner's tests, and a small model of the kernel
// that applies a plan's steps (to check that a second plan is empty).
import type { FdbEntry } from '../../src/host/linux/fdb.js';
import { FLOOD_MAC } from '../../src/host/linux/fdb.js';
import type { Link } from '../../src/host/linux/links.js';
import type { HostState, NetworkState, PortState } from '../../src/agent/protocol.js';
import type { KernelState } from '../../src/agent/l2/plan.js';
import type { Step } from '../../src/agent/l2/steps.js';

export const HOST = 'h1';
export const NET_A = 'aaaaaaaa-1111-4111-8111-000000000001';
export const NET_B = 'bbbbbbbb-2222-4222-8222-000000000002';

let seq = 0;
export function port(host: string, over: Partial<PortState> = {}): PortState {
  seq++;
  const hex = seq.toString(16).padStart(2, '0');
  return {
    id: `${hex}${hex}${hex}${hex}-0000-4000-8000-0000000000${hex}`,
    mac_address: `fa:16:3e:00:00:${hex}`,
    fixed_ips: [{ subnet_id: 's', ip_address: `10.0.0.${seq}` }],
    device_owner: 'compute:nova',
    device_id: 'vm',
    admin_state_up: true,
    status: 'DOWN',
    host,
    vif_type: 'bridge',
    dns_name: '',
    extra_dhcp_opts: [],
    ...over,
  };
}

export function network(id: string, over: Partial<NetworkState> = {}): NetworkState {
  return {
    id,
    name: 'n',
    project_id: 'p',
    admin_state_up: true,
    mtu: 1450,
    network_type: 'vxlan',
    physical_network: null,
    segmentation_id: 100,
    dns_domain: 'openstacklocal.',
    subnets: [],
    ports: [],
    vteps: [],
    ...over,
  };
}

export const hostState = (networks: NetworkState[]): HostState => ({ revision: 1, host: HOST, agent_id: null, networks });

let ifindex = 100;
export function link(name: string, over: Partial<Link> = {}): Link {
  return {
    ifindex: ifindex++,
    name,
    kind: '',
    master: null,
    mtu: 1500,
    address: '02:00:00:00:00:01',
    operstate: 'UP',
    up: true,
    alias: null,
    peerIfindex: null,
    peerElsewhere: false,
    vxlan: null,
    vlanId: null,
    ...over,
  };
}

export const emptyKernel = (links: Link[] = []): KernelState => ({ links, fdb: [], neigh: [] });

/** the kernel after `steps`, as far as the planner looks (a model, not the real thing) */
export function applyModel(k: KernelState, steps: Step[]): KernelState {
  const links = new Map(k.links.map((l) => [l.name, { ...l }]));
  let fdb = [...k.fdb];
  let neigh = [...k.neigh];
  for (const s of steps) {
    switch (s.op) {
      case 'create': {
        const vx = s.link.kind === 'vxlan' ? { id: s.link.vni, local: s.link.local, port: s.link.dstport, learning: s.link.learning, proxy: s.link.proxy } : null;
        links.set(s.name, link(s.name, { kind: s.link.kind, alias: s.mark, mtu: s.mtu ?? 1500, up: false, vxlan: vx }));
        break;
      }
      case 'set': {
        const l = links.get(s.name)!;
        if (s.change.nomaster) l.master = null;
        if (s.change.master !== undefined) l.master = s.change.master;
        if (s.change.mtu !== undefined) l.mtu = s.change.mtu;
        if (s.change.up !== undefined) l.up = s.change.up;
        break;
      }
      case 'delete':
        links.delete(s.name);
        fdb = fdb.filter((e) => e.dev !== s.name);
        neigh = neigh.filter((e) => e.dev !== s.name);
        for (const l of links.values()) if (l.master === s.name) l.master = null;
        break;
      case 'flood-add':
        fdb.push(fdbEntry(s.dev, FLOOD_MAC, s.dst, 'permanent'));
        break;
      case 'flood-del':
        fdb = fdb.filter((e) => !(e.dev === s.dev && e.mac === FLOOD_MAC && e.dst === s.dst));
        break;
      case 'fdb-set':
        fdb = fdb.filter((e) => !(e.dev === s.dev && e.mac === s.mac));
        fdb.push(fdbEntry(s.dev, s.mac, s.dst, 'static'));
        break;
      case 'fdb-del':
        fdb = fdb.filter((e) => !(e.dev === s.dev && e.mac === s.mac && (s.dst === null || e.dst === s.dst)));
        break;
      case 'neigh-set':
        neigh = neigh.filter((e) => !(e.dev === s.dev && e.ip === s.ip));
        neigh.push({ ip: s.ip, dev: s.dev, mac: s.mac, state: ['PERMANENT'] });
        break;
      case 'neigh-del':
        neigh = neigh.filter((e) => !(e.dev === s.dev && e.ip === s.ip));
        break;
      case 'sysctl':
        break;
    }
  }
  return { links: [...links.values()], fdb, neigh };
}

export const fdbEntry = (dev: string, mac: string, dst: string, state: string): FdbEntry => ({ mac, dev, dst, master: null, state, flags: ['self'] });

/** the raw `ip -json -d link show` record of a Link (for RecordingRunner replies) */
export function rawLink(l: Link): Record<string, unknown> {
  const info: Record<string, unknown> | undefined = l.kind
    ? { info_kind: l.kind, ...(l.vxlan ? { info_data: { id: l.vxlan.id, local: l.vxlan.local, port: l.vxlan.port, learning: l.vxlan.learning, proxy: l.vxlan.proxy } } : {}) }
    : undefined;
  return {
    ifindex: l.ifindex,
    ifname: l.name,
    flags: l.up ? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] : ['BROADCAST', 'MULTICAST'],
    mtu: l.mtu,
    operstate: l.operstate,
    address: l.address,
    ...(l.master ? { master: l.master } : {}),
    ...(l.alias ? { ifalias: l.alias } : {}),
    ...(info ? { linkinfo: info } : {}),
  };
}
