// Named network namespaces and what the DHCP agent keeps inside one: a veth pair with
// one end moved in, its addresses and default routes. Builders return Commands (plain
// data, for planners and their tests); the read functions run them through a Runner and
// parse `ip -json`. Every read carries `-json`, every change does not: tests tell a
// no-op reconcile by that.
import type { Command, Runner } from './runner.js';

export interface NsAddress {
  /** address/prefix, e.g. 10.0.0.2/24 */
  cidr: string;
  family: 4 | 6;
  scope: string;
}

export interface NsLink {
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
  /** administratively up (IFF_UP) */
  up: boolean;
  addresses: NsAddress[];
}

export interface NsRoute {
  family: 4 | 6;
  gateway: string;
  dev: string;
}

// --- commands -------------------------------------------------------------------------

export const netnsListCmd = (): Command => ({ argv: ['ip', '-json', 'netns', 'list'] });
export const netnsAddCmd = (ns: string): Command => ({ argv: ['ip', 'netns', 'add', ns] });
export const netnsDelCmd = (ns: string): Command => ({ argv: ['ip', 'netns', 'del', ns] });

/** a command run inside `ns` (ip netns exec) */
export const nsExec = (ns: string, argv: readonly [string, ...string[]], extra: Omit<Command, 'argv' | 'netns'> = {}): Command => ({ ...extra, argv, netns: ns });

/** a sysctl of the namespace's own (net.* is per namespace) */
export const nsSysctlCmd = (ns: string, key: string, value: string | number): Command => nsExec(ns, ['sysctl', '-q', '-w', `${key}=${value}`]);

/** links and their addresses inside `ns` */
export const nsAddrShowCmd = (ns: string): Command => ({ argv: ['ip', '-json', '-n', ns, 'addr', 'show'] });
/**
 * The same reads for many namespaces: xargs runs `ip -n NAME …` for each name read from
 * stdin, one after another, so their outputs come in order, one JSON line each. Two
 * programs from node instead of one per namespace: a node process forks the slower the
 * larger it is (about 30 ms at 150 MiB on a busy host), and `ip -all netns exec` copies the
 * mount table for every namespace.
 */
export const manyNsAddrShowCmd = (names: readonly string[]): Command => ({ argv: ['xargs', '-r', '-I{}', 'ip', '-json', '-n', '{}', 'addr', 'show'], input: names.map((n) => `${n}\n`).join(''), okCodes: [0, 123, 124, 125] });
export const manyNsDefaultRoutesCmd = (names: readonly string[]): Command => ({ argv: ['xargs', '-r', '-I{}', 'ip', '-json', '-n', '{}', 'route', 'show', 'default', 'table', 'all'], input: names.map((n) => `${n}\n`).join(''), okCodes: [0, 123, 124, 125] });
/** links with addresses, then default routes of both families, inside `ns`: one process (`ip -batch`), one JSON array a line */
export const nsStateCmd = (ns: string): Command => ({ argv: ['ip', '-json', '-n', ns, '-batch', '-'], input: 'addr show\nroute show default table all\n' });
/** veth links of the current namespace (the host side of namespace pairs) */
export const hostVethShowCmd = (): Command => ({ argv: ['ip', '-json', 'link', 'show', 'type', 'veth'] });

/** a veth pair: `hostEnd` stays here, `nsEnd` is made directly inside `ns` */
export const vethIntoNsCmd = (hostEnd: string, nsEnd: string, ns: string): Command => ({
  argv: ['ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', ns],
});
export const hostLinkSetCmd = (dev: string, opts: { mtu?: number; up?: boolean }): Command => ({
  argv: ['ip', 'link', 'set', 'dev', dev, ...linkSetArgs(opts)],
});
export const hostLinkDelCmd = (dev: string): Command => ({ argv: ['ip', 'link', 'del', 'dev', dev] });
export const nsLinkSetCmd = (ns: string, dev: string, opts: { mac?: string; mtu?: number; up?: boolean }): Command => ({
  argv: ['ip', '-n', ns, 'link', 'set', 'dev', dev, ...linkSetArgs(opts)],
});
export const nsLinkDelCmd = (ns: string, dev: string): Command => ({ argv: ['ip', '-n', ns, 'link', 'del', 'dev', dev] });

function linkSetArgs(opts: { mac?: string; mtu?: number; up?: boolean }): string[] {
  const args: string[] = [];
  if (opts.mac !== undefined) args.push('address', opts.mac);
  if (opts.mtu !== undefined) args.push('mtu', String(opts.mtu));
  if (opts.up !== undefined) args.push(opts.up ? 'up' : 'down');
  return args;
}

/** IPv6 addresses are added without DAD: ours is the only holder, and DAD delays binding */
export const nsAddrAddCmd = (ns: string, dev: string, cidr: string): Command => ({
  argv: ['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : [])],
});
export const nsAddrDelCmd = (ns: string, dev: string, cidr: string): Command => ({ argv: ['ip', '-n', ns, 'addr', 'del', cidr, 'dev', dev] });
export const nsDefaultRouteReplaceCmd = (ns: string, family: 4 | 6, gateway: string, dev: string): Command => ({
  argv: ['ip', `-${family}`, '-n', ns, 'route', 'replace', 'default', 'via', gateway, 'dev', dev],
});
export const nsDefaultRouteDelCmd = (ns: string, family: 4 | 6): Command => ({ argv: ['ip', `-${family}`, '-n', ns, 'route', 'del', 'default'] });

// --- reads ----------------------------------------------------------------------------

const parseJson = <T>(stdout: string): T[] => (stdout.trim() === '' ? [] : (JSON.parse(stdout) as T[]));

export async function listNamespaces(runner: Runner): Promise<string[]> {
  const { stdout } = await runner.run(netnsListCmd());
  return parseJson<{ name: string }>(stdout).map((n) => n.name);
}

export async function namespaceExists(runner: Runner, ns: string): Promise<boolean> {
  return (await listNamespaces(runner)).includes(ns);
}

export async function addNamespace(runner: Runner, ns: string): Promise<void> {
  await runner.run(netnsAddCmd(ns));
}

export async function deleteNamespace(runner: Runner, ns: string): Promise<void> {
  await runner.run(netnsDelCmd(ns));
}

interface IpLinkJson {
  ifname: string;
  ifindex: number;
  address?: string;
  mtu: number;
  flags?: string[];
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

const toLink = (l: IpLinkJson): NsLink => ({
  name: l.ifname,
  ifindex: l.ifindex,
  mac: l.address ?? '',
  mtu: l.mtu,
  up: (l.flags ?? []).includes('UP'),
  addresses: (l.addr_info ?? []).map((a) => ({ cidr: `${a.local}/${a.prefixlen}`, family: a.family === 'inet6' ? 6 : 4, scope: a.scope })),
});

/** the links inside `ns` with their addresses */
export async function namespaceLinks(runner: Runner, ns: string): Promise<NsLink[]> {
  const { stdout } = await runner.run(nsAddrShowCmd(ns));
  return parseJson<IpLinkJson>(stdout).map(toLink);
}

/** veth links in the runner's own namespace (addresses not read) */
export async function hostVeths(runner: Runner): Promise<NsLink[]> {
  const { stdout } = await runner.run(hostVethShowCmd());
  return parseJson<IpLinkJson>(stdout).map(toLink);
}

/** the links inside `ns` with their addresses, and its default routes */
export async function namespaceState(runner: Runner, ns: string): Promise<NsState> {
  const { stdout } = await runner.run(nsStateCmd(ns));
  const [addrs = '', routes = ''] = stdout.split('\n').filter((l) => l.trim() !== '');
  return { links: parseJson<IpLinkJson>(addrs).map(toLink), routes: toRoutes(routes) };
}

/** a veth pair with `nsEnd` inside `ns`, both ends up, the namespace end with `mac` */
export async function addVethIntoNamespace(runner: Runner, hostEnd: string, nsEnd: string, ns: string, opts: { mac: string; mtu: number }): Promise<void> {
  await runner.run(vethIntoNsCmd(hostEnd, nsEnd, ns));
  await runner.run(nsLinkSetCmd(ns, nsEnd, { mac: opts.mac, mtu: opts.mtu, up: true }));
  await runner.run(hostLinkSetCmd(hostEnd, { mtu: opts.mtu, up: true }));
}

export interface NsState {
  links: NsLink[];
  routes: NsRoute[];
}

const toRoutes = (json: string): NsRoute[] =>
  parseJson<{ gateway?: string; dev?: string }>(json)
    .filter((r) => r.gateway)
    .map((r) => ({ family: r.gateway!.includes(':') ? 6 : 4, gateway: r.gateway!, dev: r.dev ?? '' }));

/**
 * The links, addresses and default routes of each of `names`, in two reads. All or nothing:
 * when one namespace could not be read (gone meanwhile) the map is empty, and the caller
 * reads the ones it needs one by one.
 */
export async function namespacesState(runner: Runner, names: readonly string[]): Promise<Map<string, NsState>> {
  const out = new Map<string, NsState>();
  if (names.length === 0) return out;
  const [addrs, routes] = await Promise.all([runner.run(manyNsAddrShowCmd(names)), runner.run(manyNsDefaultRoutesCmd(names))]);
  const lines = (stdout: string) => stdout.split('\n').filter((l) => l.trim() !== '');
  const a = lines(addrs.stdout);
  const r = lines(routes.stdout);
  if (addrs.code !== 0 || routes.code !== 0 || a.length !== names.length || r.length !== names.length) return out;
  names.forEach((ns, i) => out.set(ns, { links: parseJson<IpLinkJson>(a[i]!).map(toLink), routes: toRoutes(r[i]!) }));
  return out;
}
