// Which changes concern an agent, as plain data: the runtime follows the whole
// change log, and fetches state only for what this host has to act on.
import type { AgentType, Change, HostState } from './protocol.js';

export interface Needed {
  /** refetch everything (the agent's DHCP scheduling changed) */
  full: boolean;
  /** networks to refetch, narrowed */
  networkIds: Set<string>;
}

/**
 * A change concerns this agent when it names this host (a port bound here before or
 * after, this host's agent), or a network this agent serves (another host's port there:
 * l2population), or, for DHCP, any subnet (enabling DHCP on a network scheduled here
 * but not served yet), or another host's L2 agent moving its tunnel endpoint (it names
 * that host's networks). A DHCP scheduling change for this host, or one naming this host
 * without networks, asks for a full snapshot. This host's agent rows changing do not: they
 * are the agents' own reports (a restart, a new `healthy`), and what an agent acts on
 * because of one arrives as its own change (scheduling as dhcp_binding, a rebinding as
 * port); taken as "full", each start cost both agents of a host a second full sync.
 */
export function needed(changes: Change[], host: string, type: AgentType, known: ReadonlySet<string>): Needed {
  const out: Needed = { full: false, networkIds: new Set() };
  for (const c of changes) {
    const here = c.hosts.includes(host);
    if (c.resource === 'agent' && here) continue;
    if (here && (c.resource === 'dhcp_binding' || c.network_ids.length === 0)) {
      out.full = true;
      continue;
    }
    if (here || c.network_ids.some((id) => known.has(id)) || (type === 'DHCP agent' && c.resource === 'subnet')) {
      for (const id of c.network_ids) out.networkIds.add(id);
    }
  }
  return out;
}

/** the networks this agent serves after applying `state` (all of them, or the ones asked for) */
export function served(known: ReadonlySet<string>, state: HostState, asked?: Iterable<string>): Set<string> {
  const present = new Set(state.networks.map((n) => n.id));
  if (!asked) return present;
  const out = new Set(known);
  for (const id of asked) {
    if (present.has(id)) out.add(id);
    else out.delete(id);
  }
  return out;
}
