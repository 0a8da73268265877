import { sql } from 'kysely';
import type { Database, Tx } from '../db/database.js';
import type { AgentType, HostState, NetworkState, PortState, SubnetState } from '../../agent/protocol.js';
import type { ChangeLog } from './change-log.js';
import { L2_AGENT } from './scheduler.js';

const DNS_DOMAIN = 'openstacklocal';

const json = <T>(s: string | null | undefined, fallback: T): T => {
  try {
    return s ? (JSON.parse(s) as T) : fallback;
  } catch {
    return fallback;
  }
};

/**
 * Runs fn on one snapshot of the database, so the revision read with the data is the one
 * the data reflects: PostgreSQL, a REPEATABLE READ read-only transaction; SQLite, a
 * transaction on its one connection (no write can come between its reads).
 */
export async function inSnapshot<T>(database: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().setIsolationLevel('repeatable read').execute(async (tx) => {
      await sql`SET TRANSACTION READ ONLY`.execute(tx);
      return fn(tx);
    });
  }
  return database.db.transaction().execute(fn);
}

/** The networks an agent of this type on this host serves (see HostState in src/agent/protocol.ts). */
async function networksOf(tx: Tx, host: string, agentType: AgentType, agent: { id: string; admin_state_up: number } | undefined): Promise<string[]> {
  if (agentType === L2_AGENT) {
    const rows = await tx.selectFrom('ports').select('network_id').distinct().where('binding_host_id', '=', host).execute();
    return rows.map((r) => r.network_id);
  }
  // as Neutron's list_active_networks_on_active_dhcp_agent: a disabled agent serves nothing
  if (!agent?.admin_state_up) return [];
  const agentId = agent.id;
  const rows = await tx.selectFrom('network_dhcp_agent_bindings as b')
    .select('b.network_id').distinct()
    .where('b.dhcp_agent_id', '=', agentId)
    .where((eb) => eb.exists(eb.selectFrom('subnets as s').select('s.id').whereRef('s.network_id', '=', 'b.network_id').where('s.enable_dhcp', '=', 1)))
    .execute();
  return rows.map((r) => r.network_id);
}

function portStates(rows: Array<Record<string, any>>, ips: Array<{ port_id: string; subnet_id: string; ip_address: string }>): Map<string, PortState[]> {
  const ipsBy = new Map<string, Array<{ subnet_id: string; ip_address: string }>>();
  for (const a of ips) {
    const list = ipsBy.get(a.port_id) ?? [];
    list.push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
    ipsBy.set(a.port_id, list);
  }
  const by = new Map<string, PortState[]>();
  for (const p of rows) {
    const list = by.get(p.network_id) ?? [];
    list.push({
      id: p.id,
      mac_address: p.mac_address,
      fixed_ips: ipsBy.get(p.id) ?? [],
      device_owner: p.device_owner,
      device_id: p.device_id,
      admin_state_up: Boolean(p.admin_state_up),
      status: p.status,
      host: p.binding_host_id,
      vif_type: p.binding_vif_type,
      dns_name: typeof p.dns_name === 'string' ? p.dns_name : '',
      extra_dhcp_opts: json<Array<{ opt_name: string; opt_value: string; ip_version?: 4 | 6 }>>(p.extra_dhcp_opts, [])
        .map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 })),
    });
    by.set(p.network_id, list);
  }
  return by;
}

async function networkStates(tx: Tx, host: string, ids: string[]): Promise<NetworkState[]> {
  if (ids.length === 0) return [];
  const nets = await tx.selectFrom('networks').selectAll().where('id', 'in', ids).orderBy('id').execute();
  const segs = await tx.selectFrom('network_segments').selectAll().where('network_id', 'in', ids).orderBy('segment_index').execute();
  const subnets = await tx.selectFrom('subnets').selectAll().where('network_id', 'in', ids).orderBy('created_at').orderBy('id').execute();
  const pools = subnets.length
    ? await tx.selectFrom('allocation_pools').selectAll().where('subnet_id', 'in', subnets.map((s) => s.id)).orderBy('position').execute()
    : [];
  const ports = await tx.selectFrom('ports').selectAll().where('network_id', 'in', ids).orderBy('id').execute();
  const ips = await tx.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('network_id', 'in', ids).execute();
  // l2population: the tunnel endpoint of each other host with a port here, from its L2 agent's report
  const hosts = [...new Set(ports.map((p) => p.binding_host_id).filter((h) => h !== '' && h !== host))];
  const l2 = hosts.length
    ? await tx.selectFrom('agents').select(['host', 'configurations']).where('agent_type', '=', L2_AGENT).where('host', 'in', hosts).execute()
    : [];
  const tunnelIp = new Map(l2.map((a) => [a.host, json<Record<string, unknown>>(a.configurations, {}).tunneling_ip]));

  const portsBy = portStates(ports, ips);
  return nets.map((n): NetworkState => {
    const seg = segs.find((s) => s.network_id === n.id);
    const netPorts = portsBy.get(n.id) ?? [];
    const vtepHosts = [...new Set(netPorts.map((p) => p.host).filter((h) => h !== '' && h !== host))].sort();
    return {
      id: n.id,
      name: n.name,
      project_id: n.project_id,
      admin_state_up: Boolean(n.admin_state_up),
      mtu: n.mtu,
      network_type: seg?.network_type ?? 'local',
      physical_network: seg?.physical_network ?? null,
      segmentation_id: seg?.segmentation_id ?? null,
      // networks carry no dns_domain yet (the dns extension): Neutron's default
      dns_domain: DNS_DOMAIN,
      subnets: subnets.filter((s) => s.network_id === n.id).map((s): SubnetState => ({
        id: s.id,
        name: s.name,
        cidr: s.cidr,
        ip_version: s.ip_version === 6 ? 6 : 4,
        gateway_ip: s.gateway_ip,
        enable_dhcp: Boolean(s.enable_dhcp),
        dns_nameservers: json<string[]>(s.dns_nameservers, []),
        host_routes: json<Array<{ destination: string; nexthop: string }>>(s.host_routes, []),
        allocation_pools: pools.filter((p) => p.subnet_id === s.id).map((p) => ({ start: p.first_ip, end: p.last_ip })),
        ipv6_ra_mode: s.ipv6_ra_mode,
        ipv6_address_mode: s.ipv6_address_mode,
      })),
      ports: netPorts,
      vteps: vtepHosts.flatMap((h) => {
        const ip = tunnelIp.get(h);
        return typeof ip === 'string' && ip ? [{ host: h, ip }] : [];
      }),
    };
  });
}

/** The desired state of one agent on one host, with the change log revision it reflects. */
export async function hostState(
  database: Database, changeLog: ChangeLog, host: string, agentType: AgentType, only?: readonly string[],
): Promise<HostState> {
  return inSnapshot(database, async (tx) => {
    const revision = await changeLog.currentRevision(tx);
    const agent = await tx.selectFrom('agents').select(['id', 'admin_state_up']).where('agent_type', '=', agentType).where('host', '=', host).executeTakeFirst();
    let ids = await networksOf(tx, host, agentType, agent);
    if (only && only.length) ids = ids.filter((id) => only.includes(id));
    return { revision, host, agent_id: agent?.id ?? null, networks: await networkStates(tx, host, ids) };
  });
}
