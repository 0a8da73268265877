// What a fleet's hosts should hold and what their kernels hold, as sorted lines (comparable,
// and readable in a diff): cloudlet's bridges and VXLAN devices, l2population's FDB entries
// and permanent neighbours for the other hosts' ports, computed from the public API.
import assert from 'node:assert/strict';
import { bridgeName, vxlanName } from '../../src/agent/protocol.js';
import { FLOOD_MAC, listFdb } from '../../src/host/linux/fdb.js';
import { listLinks } from '../../src/host/linux/links.js';
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
  const agents = (await api.call('GET', '/v2.0/agents', undefined, auth)).body.agents as Array<{ host: string; configurations: { tunneling_ip?: string } }>;
  const vtep = new Map(agents.map((a) => [a.host, a.configurations.tunneling_ip]));
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
