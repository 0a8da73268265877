// Links: `ip -json -d link show` read into typed records, and the `ip link` commands that
// make, change and remove them. Builders return Commands; the async helpers run them.
import type { Command, Runner } from './runner.js';

export interface VxlanInfo {
  id: number;
  local: string | null;
  port: number;
  learning: boolean;
  proxy: boolean;
}

export interface Link {
  ifindex: number;
  name: string;
  /** linkinfo.info_kind: 'bridge', 'vxlan', 'veth', 'vlan', … ('' for a plain device) */
  kind: string;
  master: string | null;
  mtu: number;
  address: string;
  operstate: string;
  /** administratively up (the UP flag) */
  up: boolean;
  /** ifalias: cloudlet marks what it makes here */
  alias: string | null;
  /** a veth's peer: its ifindex, and whether it lives in another namespace */
  peerIfindex: number | null;
  peerElsewhere: boolean;
  vxlan: VxlanInfo | null;
  /** a vlan subinterface's id */
  vlanId: number | null;
}

interface RawLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  address?: string;
  operstate?: string;
  master?: string;
  ifalias?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

function vxlanInfo(data: Record<string, unknown> | undefined): VxlanInfo | null {
  if (!data) return null;
  return {
    id: Number(data.id),
    local: typeof data.local === 'string' ? data.local : null,
    port: Number(data.port ?? 0),
    learning: data.learning === true,
    proxy: data.proxy === true,
  };
}

export function parseLinks(json: string): Link[] {
  const raw = (json.trim() ? JSON.parse(json) : []) as RawLink[];
  return raw.map((l) => {
    const kind = l.linkinfo?.info_kind ?? '';
    return {
      ifindex: l.ifindex,
      name: l.ifname,
      kind,
      master: l.master ?? null,
      mtu: l.mtu,
      address: (l.address ?? '').toLowerCase(),
      operstate: l.operstate ?? 'UNKNOWN',
      up: (l.flags ?? []).includes('UP'),
      alias: l.ifalias ?? null,
      peerIfindex: l.link_index ?? null,
      peerElsewhere: l.link_netnsid !== undefined,
      vxlan: kind === 'vxlan' ? vxlanInfo(l.linkinfo?.info_data) : null,
      vlanId: kind === 'vlan' && l.linkinfo?.info_data ? Number(l.linkinfo.info_data.id) : null,
    };
  });
}

/** `ip [-n NS] -json -d link show [dev NAME]`; a missing device answers exit 1 */
export const showLinksCommand = (opts: { netns?: string; dev?: string } = {}): Command => ({
  argv: ['ip', ...(opts.netns ? ['-n', opts.netns] : []), '-json', '-d', 'link', 'show', ...(opts.dev ? ['dev', opts.dev] : [])],
  okCodes: opts.dev ? [0, 1] : [0],
});

export async function listLinks(runner: Runner, netns?: string): Promise<Link[]> {
  return parseLinks((await runner.run(showLinksCommand({ netns }))).stdout);
}

/** the links of a named namespace, or null when there is no such namespace */
export async function listLinksIn(runner: Runner, netns: string): Promise<Link[] | null> {
  const r = await runner.run({ ...showLinksCommand({ netns }), okCodes: [0, 1, 255] });
  if (r.code !== 0) {
    if (/cannot open network namespace|no such file/i.test(r.stderr)) return null;
    throw new Error(`ip -n ${netns} link show: exit ${r.code}: ${r.stderr.trim()}`);
  }
  return parseLinks(r.stdout);
}

/** one link by name, or null when there is none (in `netns` if given, by `ip -n`) */
export async function getLink(runner: Runner, name: string, netns?: string): Promise<Link | null> {
  const r = await runner.run(showLinksCommand({ netns, dev: name }));
  return r.code === 0 ? (parseLinks(r.stdout)[0] ?? null) : null;
}

export type NewLink =
  | { kind: 'bridge' }
  | { kind: 'vxlan'; vni: number; local: string; dstport: number; learning: boolean; proxy: boolean }
  | { kind: 'vlan'; parent: string; vlanId: number };

function typeArgs(spec: NewLink): string[] {
  switch (spec.kind) {
    case 'bridge':
      return ['type', 'bridge'];
    case 'vxlan':
      return ['type', 'vxlan', 'id', String(spec.vni), 'local', spec.local, 'dstport', String(spec.dstport), spec.learning ? 'learning' : 'nolearning', ...(spec.proxy ? ['proxy'] : [])];
    case 'vlan':
      return ['type', 'vlan', 'id', String(spec.vlanId)];
  }
}

/** `ip link add [link PARENT] NAME [mtu M] type …` */
export function addLinkCommand(name: string, spec: NewLink, mtu?: number): Command {
  const parent = spec.kind === 'vlan' ? ['link', spec.parent] : [];
  return { argv: ['ip', 'link', 'add', ...parent, name, ...(mtu ? ['mtu', String(mtu)] : []), ...typeArgs(spec)] };
}

export interface LinkChange {
  master?: string;
  nomaster?: boolean;
  up?: boolean;
  mtu?: number;
  address?: string;
  alias?: string;
  /** move into this named namespace */
  netns?: string;
  /** rename (the link must be down) */
  name?: string;
}

/** `ip [-n NS] link set NAME …`, the changes in one command */
export function setLinkCommand(name: string, change: LinkChange, inNetns?: string): Command {
  const args: string[] = [];
  if (change.nomaster) args.push('nomaster');
  if (change.master !== undefined) args.push('master', change.master);
  if (change.mtu !== undefined) args.push('mtu', String(change.mtu));
  if (change.address !== undefined) args.push('address', change.address);
  if (change.alias !== undefined) args.push('alias', change.alias);
  if (change.netns !== undefined) args.push('netns', change.netns);
  if (change.name !== undefined) args.push('name', change.name);
  if (change.up !== undefined) args.push(change.up ? 'up' : 'down');
  return { argv: ['ip', ...(inNetns ? ['-n', inNetns] : []), 'link', 'set', 'dev', name, ...args] };
}

export const delLinkCommand = (name: string): Command => ({ argv: ['ip', 'link', 'del', 'dev', name] });

/**
 * `ip link add HOST type veth peer name PEER [netns NS] [address MAC] [mtu M]`: both ends in
 * one netlink request, so a failure leaves neither behind.
 */
export function addVethCommand(host: string, peer: { name: string; netns?: string; address?: string; mtu?: number }, mtu?: number): Command {
  const peerArgs = ['name', peer.name];
  if (peer.netns) peerArgs.push('netns', peer.netns);
  if (peer.address) peerArgs.push('address', peer.address);
  if (peer.mtu) peerArgs.push('mtu', String(peer.mtu));
  return { argv: ['ip', 'link', 'add', host, ...(mtu ? ['mtu', String(mtu)] : []), 'type', 'veth', 'peer', ...peerArgs] };
}

/**
 * Make a link that carries `alias` from its first moment under `name`: the kernel ignores
 * an alias given to `ip link add` (IFLA_IFALIAS is not read at creation; 6.18 still drops
 * it), so the link is made under a temporary name, marked, then renamed. A kill between the
 * steps leaves a `cl-tmp-…` link (see temporaryName, isTemporaryName), never an unmarked
 * link under the real name.
 */
export function addMarkedLinkCommands(name: string, spec: NewLink, alias: string, mtu?: number): Command[] {
  const tmp = temporaryName(name);
  return [addLinkCommand(tmp, spec, mtu), setLinkCommand(tmp, { alias }), setLinkCommand(tmp, { name })];
}

const TMP_PREFIX = 'cl-tmp-';
/** a short stable hash of the final name: a leftover of an attempt killed half-way is found (and deleted) before the next */
export function temporaryName(name: string): string {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return TMP_PREFIX + h.toString(16).padStart(8, '0');
}

/** a name temporaryName gives: a link by such a name is a create that never finished */
export const isTemporaryName = (name: string): boolean => /^cl-tmp-[0-9a-f]{8}$/.test(name);

/** the Linux name limit: IFNAMSIZ - 1 */
export const MAX_IFNAME = 15;

export async function runAll(runner: Runner, cmds: readonly Command[]): Promise<void> {
  for (const c of cmds) await runner.run(c);
}

/**
 * Whether the kernel makes 802.1Q subinterfaces: asks for one on `lo`, which a kernel with
 * 8021q refuses otherwise (loopback cannot carry VLANs), so nothing is ever made. Returns
 * the reason when it cannot.
 */
export async function probeVlan(runner: Runner): Promise<{ supported: true } | { supported: false; reason: string }> {
  const name = 'cl-vlan-probe';
  const r = await runner.run({ argv: ['ip', 'link', 'add', 'link', 'lo', 'name', name, 'type', 'vlan', 'id', '1'], okCodes: [0, 1, 2, 255] });
  if (r.code === 0) await runner.run({ ...delLinkCommand(name), okCodes: [0, 1, 2] });
  const err = r.stderr.trim();
  if (/unknown device type/i.test(err)) return { supported: false, reason: `the kernel has no 802.1Q VLAN support (ip link add … type vlan: ${err})` };
  return { supported: true };
}
