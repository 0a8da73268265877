// What a fleet's hosts should hold and what their kernels hold, as sorted lines (comparable,
// and readable in a diff): cloudlet's bridges and VXLAN devices, l2population's FDB entries
// and permanent neighbours for the other hosts' ports, computed from the public API; and
// each network's DHCP: which agents serve it, and their dnsmasq hosts files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeName, vxlanName } from '../../src/agent/protocol.js';
import { FLOOD_MAC, listFdb } from '../../src/host/linux/fdb.js';
import { listLinks, type Link } from '../../src/host/linux/links.js';
import { listNeigh } from '../../src/host/linux/neigh.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';
import { ExecRunner } from '../../src/host/linux/runner.js';
import { ADMIN_PASSWORD, Fleet, type FleetServer } from './server-fleet.js';

interface ApiPort {
  id: string;
  network_id: string;
  mac_address: string;
  fixed_ips: Array<{ ip_address: string }>;
  'binding:host_id': string;
}

/** what one host's kernel should hold (or holds), as sorted lines: comparable, and readable in a diff */
export interface HostView {
  bridges: string[];
  vxlans: string[];
  fdb: string[];
  neigh: string[];
}

/** a host's links (a fleet host's namespace) */
export const linksOf = (netns: string): Promise<Link[]> => listLinks(new NetnsRunner(new ExecRunner(), netns));

/** POST that must answer 201: its body */
export async function created(s: FleetServer, path: string, body: unknown, auth: Record<string, string>): Promise<any> {
  const r = await s.call('POST', path, body, auth);
  assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function adminToken(identity: FleetServer): Promise<string> {
  const r = await identity.call('POST', '/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.headers.get('x-subject-token')!;
}

/** what the API says each host should have: the networks with a port bound there, and l2population's entries for the others' ports */
export async function expectedViews(api: FleetServer, auth: Record<string, string>, hosts: string[]): Promise<Map<string, HostView>> {
  const ports = (await api.call('GET', '/v2.0/ports', undefined, auth)).body.ports as ApiPort[];
  const nets = (await api.call('GET', '/v2.0/networks', undefined, auth)).body.networks as Array<{ id: string; 'provider:segmentation_id': number }>;
  const agents = (await api.call('GET', '/v2.0/agents', undefined, auth)).body.agents as Array<{ host: string; agent_type: string; configurations: { tunneling_ip?: string } }>;
  // a host's DHCP agent has no tunnel endpoint: its L2 agent's
  const vtep = new Map(agents.filter((a) => a.agent_type === 'Linux bridge agent').map((a) => [a.host, a.configurations.tunneling_ip]));
  const vni = new Map(nets.map((n) => [n.id, n['provider:segmentation_id']]));
  const out = new Map<string, HostView>();
  for (const host of hosts) {
    const served = [...new Set(ports.filter((p) => p['binding:host_id'] === host).map((p) => p.network_id))];
    const view: HostView = { bridges: [], vxlans: [], fdb: [], neigh: [] };
    for (const net of served) {
      const dev = vxlanName(vni.get(net)!);
      view.bridges.push(bridgeName(net));
      view.vxlans.push(dev);
      const remote = ports.filter((p) => p.network_id === net && p['binding:host_id'] !== '' && p['binding:host_id'] !== host);
      for (const ip of new Set(remote.map((p) => vtep.get(p['binding:host_id'])))) view.fdb.push(`${dev} ${FLOOD_MAC} ${ip}`);
      for (const p of remote) view.fdb.push(`${dev} ${p.mac_address} ${vtep.get(p['binding:host_id'])}`);
      for (const p of remote) for (const f of p.fixed_ips) view.neigh.push(`${dev} ${f.ip_address} ${p.mac_address}`);
    }
    out.set(host, sortView(view));
  }
  return out;
}

const sortView = (v: HostView): HostView => ({ bridges: v.bridges.sort(), vxlans: v.vxlans.sort(), fdb: [...new Set(v.fdb)].sort(), neigh: v.neigh.sort() });

/** what one host's kernel holds: cloudlet's bridges and VXLAN devices, their remote FDB entries and permanent neighbours */
export async function kernelView(netns: string): Promise<HostView> {
  const runner = new NetnsRunner(new ExecRunner(), netns);
  const links = await listLinks(runner);
  const vxlans = links.filter((l) => l.kind === 'vxlan' && /^vxlan-\d+$/.test(l.name)).map((l) => l.name);
  const view: HostView = { bridges: links.filter((l) => l.kind === 'bridge' && l.name.startsWith('brq')).map((l) => l.name), vxlans, fdb: [], neigh: [] };
  for (const dev of vxlans) {
    try {
      for (const e of await listFdb(runner, dev)) if (e.dst !== null) view.fdb.push(`${dev} ${e.mac} ${e.dst}`);
      for (const n of await listNeigh(runner, { dev, permanentOnly: true })) view.neigh.push(`${dev} ${n.ip} ${n.mac}`);
    } catch (err) {
      // an agent at work may delete it between the two reads: a view that matches nothing
      view.fdb.push(`${dev} unreadable: ${(err as Error).message}`);
    }
  }
  return sortView(view);
}

/** polls until `hosts`' kernels hold what the API says; the last difference in the message otherwise */
export async function converged(fleet: Fleet, api: FleetServer, auth: Record<string, string>, hosts: string[], ms: number): Promise<Map<string, HostView>> {
  const end = Date.now() + ms;
  for (;;) {
    const want = await expectedViews(api, auth, hosts);
    const have = new Map<string, HostView>();
    for (const h of hosts) have.set(h, await kernelView(fleet.topology.hosts.find((x) => x.name === h)!.netns));
    const differ = hosts.filter((h) => JSON.stringify(want.get(h)) !== JSON.stringify(have.get(h)));
    if (differ.length === 0) return want;
    if (Date.now() > end) {
      const h = differ[0]!;
      const agent = fleet.agents.find((a) => a.host.name === h)!;
      assert.deepEqual(have.get(h), want.get(h), `${h} did not converge in ${ms} ms (also: ${differ.join(', ')}); its agent's log ends:\n${Fleet.tail(agent.proc)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `MAC IP` per line of a dnsmasq hosts file (`mac,name,ip[,set:…]`, Neutron's format), sorted; null when there is none */
export function hostsFileView(path: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  return text.split('\n').filter(Boolean).map((l) => {
    const f = l.split(',');
    return `${f[0]} ${f[2]?.replace(/^\[|\]$/g, '')}`;
  }).sort();
}

export interface DhcpView {
  /** the hosts of the DHCP agents serving it */
  hosts: string[];
  /** `MAC IP` of every port's address (DHCP ports included) */
  lines: string[];
  /** the DHCP ports: host → address */
  dhcpPorts: string[];
}

/** what the API says each network's DHCP should be: the agents hosting it, every port's MAC → address, its DHCP ports */
export async function expectedDhcp(api: FleetServer, auth: Record<string, string>, networks: string[]): Promise<Map<string, DhcpView>> {
  const out = new Map<string, DhcpView>();
  for (const net of networks) {
    const ports = (await api.call('GET', `/v2.0/ports?network_id=${net}`, undefined, auth)).body.ports as Array<ApiPort & { device_owner: string }>;
    const agents = (await api.call('GET', `/v2.0/networks/${net}/dhcp-agents`, undefined, auth)).body.agents as Array<{ host: string }>;
    const dhcp = ports.filter((p) => p.device_owner === 'network:dhcp');
    out.set(net, {
      hosts: agents.map((a) => a.host).sort(),
      lines: ports.flatMap((p) => p.fixed_ips.map((f) => `${p.mac_address} ${f.ip_address}`)).sort(),
      dhcpPorts: dhcp.map((p) => `${p['binding:host_id']} ${p.fixed_ips.map((f) => f.ip_address).join(' ')}`).sort(),
    });
  }
  return out;
}

/**
 * Polls until every network's DHCP agents (those the API names) each run a dnsmasq for it
 * whose hosts file lists exactly the API's ports, one DHCP port per such agent; the last
 * difference in the message otherwise.
 */
export async function dhcpConverged(fleet: Fleet, api: FleetServer, auth: Record<string, string>, networks: string[], ms: number): Promise<Map<string, DhcpView>> {
  const end = Date.now() + ms;
  for (;;) {
    const want = await expectedDhcp(api, auth, networks);
    const running = fleet.dnsmasqs();
    const wrong: string[] = [];
    for (const [net, v] of want) {
      if (v.hosts.length === 0) wrong.push(`${net}: no DHCP agent hosts it`);
      if (v.dhcpPorts.map((d) => d.split(' ')[0]).join() !== v.hosts.join()) wrong.push(`${net}: DHCP ports ${JSON.stringify(v.dhcpPorts)} for agents on ${v.hosts.join(', ')}`);
      for (const h of v.hosts) {
        const host = fleet.topology.hosts.find((x) => x.name === h)!;
        if (!running.some((d) => d.host === h && d.network === net)) wrong.push(`${net}: no dnsmasq on ${h}`);
        const have = hostsFileView(join(fleet.stateDir(host), net, 'host'));
        if (JSON.stringify(have) !== JSON.stringify(v.lines)) wrong.push(`${net} on ${h}: hosts file ${JSON.stringify(have)}, the API says ${JSON.stringify(v.lines)}`);
      }
    }
    if (wrong.length === 0) return want;
    if (Date.now() > end) {
      const dhcp = fleet.agents.filter((a) => a.kind === 'dhcp').map((a) => `${a.host.name}:\n${Fleet.tail(a.proc)}`).join('\n');
      assert.fail(`DHCP did not converge in ${ms} ms: ${wrong.slice(0, 3).join('; ')}\nthe DHCP agents' logs end:\n${dhcp}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
