// Neighbour entries: `ip -json neigh show` read into typed entries, and the permanent
// entries the L2 agent writes on a VXLAN device with `proxy` on, from which the kernel
// answers ARP and neighbour solicitations locally (Neutron's arp_responder).
import type { Command, Runner } from './runner.js';

export interface NeighEntry {
  ip: string;
  dev: string;
  mac: string | null;
  /** NUD states, upper case: PERMANENT, REACHABLE, STALE, FAILED… */
  state: string[];
}

interface RawNeigh {
  dst: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

export function parseNeigh(json: string, dev = ''): NeighEntry[] {
  const raw = (json.trim() ? JSON.parse(json) : []) as RawNeigh[];
  return raw.map((n) => ({ ip: n.dst, dev: n.dev ?? dev, mac: n.lladdr?.toLowerCase() ?? null, state: n.state ?? [] }));
}

/** `ip -json neigh show [dev DEV] [nud permanent]` (both address families) */
export const showNeighCommand = (opts: { dev?: string; permanentOnly?: boolean } = {}): Command => ({
  argv: ['ip', '-json', 'neigh', 'show', ...(opts.dev ? ['dev', opts.dev] : []), ...(opts.permanentOnly ? ['nud', 'permanent'] : [])],
});

export async function listNeigh(runner: Runner, opts: { dev?: string; permanentOnly?: boolean } = {}): Promise<NeighEntry[]> {
  return parseNeigh((await runner.run(showNeighCommand(opts))).stdout, opts.dev);
}

export const neighReplaceCommand = (ip: string, mac: string, dev: string): Command => ({ argv: ['ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', dev, 'nud', 'permanent'] });

export const neighDelCommand = (ip: string, dev: string): Command => ({ argv: ['ip', 'neigh', 'del', ip, 'dev', dev] });
