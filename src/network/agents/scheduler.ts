import type { Tx } from '../db/database.js';
import type { AgentType } from '../../agent/protocol.js';
import type { PluginContext } from '../ml2/context.js';
import { agentTime } from './agent-def.js';

export const DHCP_AGENT: AgentType = 'DHCP agent';
export const L2_AGENT: AgentType = 'Linux bridge agent';

interface Hosting {
  id: string;
  host: string;
}

/**
 * Neutron's DHCP agent scheduler: a network with a DHCP-enabled subnet is given to up to
 * dhcp_agents_per_network alive, admin-up DHCP agents, the least busy first; networks of
 * agents dead for twice agent_down_time move to alive ones (allow_automatic_dhcp_failover).
 * Every binding change is recorded in the change log, in the transaction that makes it.
 */
export class DhcpScheduler {
  private timer?: NodeJS.Timeout;
  /** called, after the commit, for each network failover took from a dead agent's host */
  onFailover?: (networkId: string, host: string) => Promise<void>;

  constructor(private ctx: PluginContext) {}

  private get cfg() {
    return this.ctx.cfg.network.agents;
  }

  /** heartbeats at or after this are alive */
  aliveSince(factor = 1): string {
    return agentTime(new Date(Date.now() - factor * this.cfg.agent_down_time * 1000));
  }

  async bind(tx: Tx, networkId: string, agent: Hosting): Promise<boolean> {
    const res = await tx.insertInto('network_dhcp_agent_bindings').values({ network_id: networkId, dhcp_agent_id: agent.id })
      .onConflict((oc) => oc.columns(['network_id', 'dhcp_agent_id']).doNothing()).executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await this.ctx.changeLog.record(tx, { resource: 'dhcp_binding', op: 'create', id: agent.id, network_ids: [networkId], hosts: [agent.host] });
    return true;
  }

  async unbind(tx: Tx, networkId: string, agent: Hosting): Promise<boolean> {
    const res = await tx.deleteFrom('network_dhcp_agent_bindings')
      .where('network_id', '=', networkId).where('dhcp_agent_id', '=', agent.id).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) return false;
    await this.ctx.changeLog.record(tx, { resource: 'dhcp_binding', op: 'delete', id: agent.id, network_ids: [networkId], hosts: [agent.host] });
    return true;
  }

  /** Alive, admin-up DHCP agents, those hosting the fewest networks first (then the fewest reported). */
  private async eligible(tx: Tx): Promise<Array<Hosting & { hosted: number }>> {
    const rows = await tx.selectFrom('agents as a')
      .leftJoin('network_dhcp_agent_bindings as b', 'b.dhcp_agent_id', 'a.id')
      .select((eb) => ['a.id', 'a.host', 'a.load', eb.fn.count<number>('b.network_id').as('hosted')])
      .where('a.agent_type', '=', DHCP_AGENT).where('a.admin_state_up', '=', 1)
      .where('a.heartbeat_timestamp', '>=', this.aliveSince())
      .groupBy(['a.id', 'a.host', 'a.load'])
      .execute();
    return rows.map((r) => ({ id: r.id, host: r.host, hosted: Number(r.hosted), load: r.load }))
      .sort((x, y) => x.hosted - y.hosted || x.load - y.load || x.id.localeCompare(y.id));
  }

  /** Gives the network DHCP agents up to dhcp_agents_per_network, when it has a DHCP-enabled subnet. */
  async scheduleNetwork(tx: Tx, networkId: string): Promise<void> {
    const dhcp = await tx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1).executeTakeFirst();
    if (!dhcp) return;
    const hosting = (await tx.selectFrom('network_dhcp_agent_bindings').select('dhcp_agent_id').where('network_id', '=', networkId).execute())
      .map((b) => b.dhcp_agent_id);
    const wanted = this.cfg.dhcp_agents_per_network - hosting.length;
    if (wanted <= 0) return;
    const candidates = (await this.eligible(tx)).filter((a) => !hosting.includes(a.id)).slice(0, wanted);
    for (const agent of candidates) await this.bind(tx, networkId, agent);
  }

  /** Schedules every network with a DHCP-enabled subnet and fewer agents than wanted (an agent came up). */
  async scheduleUnhosted(tx: Tx): Promise<void> {
    const rows = await tx.selectFrom('subnets as s')
      .select('s.network_id').distinct()
      .where('s.enable_dhcp', '=', 1)
      .where((eb) => eb(
        eb.selectFrom('network_dhcp_agent_bindings as b').select(eb.fn.countAll<number>().as('n')).whereRef('b.network_id', '=', 's.network_id'),
        '<', this.cfg.dhcp_agents_per_network,
      ))
      .execute();
    for (const r of rows) await this.scheduleNetwork(tx, r.network_id);
  }

  /**
   * Neutron's remove_networks_from_down_agents: the networks of admin-up DHCP agents silent for
   * twice agent_down_time go to alive ones; nothing moves while no DHCP agent is alive (then the
   * server, not the agents, is likely the one that was away). Answers the networks it moved.
   */
  async failover(): Promise<string[]> {
    const removed = await this.ctx.tx(async (tx) => {
      const dead = await tx.selectFrom('network_dhcp_agent_bindings as b')
        .innerJoin('agents as a', 'a.id', 'b.dhcp_agent_id')
        .select(['b.network_id', 'a.id', 'a.host'])
        .where('a.admin_state_up', '=', 1).where('a.heartbeat_timestamp', '<', this.aliveSince(2))
        .execute();
      if (dead.length === 0 || (await this.eligible(tx)).length === 0) return [];
      for (const b of dead) await this.unbind(tx, b.network_id, b);
      for (const networkId of new Set(dead.map((b) => b.network_id))) await this.scheduleNetwork(tx, networkId);
      return dead;
    });
    for (const b of removed) {
      try {
        await this.onFailover?.(b.network_id, b.host);
      } catch (err) {
        this.ctx.log.error({ network: b.network_id, host: b.host, err: (err as Error).message }, 'could not reserve the DHCP port of a dead agent');
      }
    }
    return [...new Set(removed.map((b) => b.network_id))];
  }

  /** Checks for dead agents every agent_down_time / 2 seconds, as Neutron's periodic check. */
  start(): void {
    if (!this.cfg.allow_automatic_dhcp_failover || this.timer) return;
    const every = Math.max(1, this.cfg.agent_down_time / 2) * 1000;
    this.timer = setInterval(() => {
      this.failover().catch((err: Error) => this.ctx.log.error({ err: err.message }, 'DHCP failover check failed'));
    }, every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
