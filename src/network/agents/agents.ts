import type { Tx } from '../db/database.js';
import { allowed } from '../../common/policy/engine.js';
import { rules } from '../model/policy-rules.js';
import type { AgentReport } from '../../agent/protocol.js';
import type { ResourceService } from '../model/resource-service.js';
import { Errors } from '../model/errors.js';
import type { ListQuery } from '../model/list-query.js';
import type { Caller } from '../model/caller.js';
import { fromRow, listRows, toRow, type ComputedFilter } from '../db/table.js';
import { newId, type PluginContext } from '../ml2/context.js';
import { agentDef, agentTime } from './agent-def.js';
import type { AgentRow } from './schema.js';
import { DHCP_AGENT, L2_AGENT, type DhcpScheduler } from './scheduler.js';

type Body = Record<string, unknown>;

/** The agents as Neutron's agents_db serves them: rows made by reports, `alive` from the heartbeat. */
export class Agents implements ResourceService {
  constructor(private ctx: PluginContext, private scheduler: DhcpScheduler) {}

  present(row: AgentRow): Body {
    return { ...fromRow(agentDef, row as unknown as Body), alive: row.heartbeat_timestamp >= this.scheduler.aliveSince() };
  }

  private readonly aliveFilter: ComputedFilter = (eb, values) => {
    const since = this.scheduler.aliveSince();
    const conds = [...new Set(values)].map((v) => eb('heartbeat_timestamp', v ? '>=' : '<', since));
    return eb.or(conds);
  };

  async create(): Promise<Body[]> {
    // agents are made by their reports (Neutron has no create_agent); POST is not routed
    throw Errors.methodNotAllowed();
  }

  async row(db: Tx | PluginContext['db'], id: string): Promise<AgentRow> {
    const row = await db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw Errors.notFound('Agent', id);
    return row;
  }

  async get(_caller: Caller, id: string): Promise<Body> {
    return this.present(await this.row(this.ctx.db, id));
  }

  /** As Neutron filters a list by get_agent: a caller it refuses sees an empty list, not 403. */
  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    if (!allowed(rules, 'get_agent', caller, {})) return [];
    const items = await listRows(this.ctx.db, agentDef, q, { computed: { alive: this.aliveFilter } });
    const since = this.scheduler.aliveSince();
    return items.map((a) => ({ ...a, alive: (a.heartbeat_timestamp as string) >= since }));
  }

  async update(_caller: Caller, id: string, changes: Body): Promise<Body> {
    const row = await this.ctx.tx(async (tx) => {
      const before = await this.row(tx, id);
      const set = toRow(agentDef, changes);
      if (Object.keys(set).length === 0) return before;
      await tx.updateTable('agents').set(set as never).where('id', '=', id).execute();
      await this.ctx.changeLog.record(tx, { resource: 'agent', op: 'update', id, network_ids: [], hosts: [before.host] });
      const after = await this.row(tx, id);
      // an agent back in service takes the networks nobody serves
      if (after.agent_type === DHCP_AGENT && after.admin_state_up && !before.admin_state_up) await this.scheduler.scheduleUnhosted(tx);
      return after;
    });
    return this.present(row);
  }

  /** Removes the agent and its DHCP bindings (recorded); its networks go to other agents. */
  async delete(_caller: Caller, id: string): Promise<void> {
    await this.ctx.tx(async (tx) => {
      const agent = await this.row(tx, id);
      const hosted = await tx.selectFrom('network_dhcp_agent_bindings').select('network_id').where('dhcp_agent_id', '=', id).execute();
      for (const b of hosted) await this.scheduler.unbind(tx, b.network_id, agent);
      await tx.deleteFrom('agents').where('id', '=', id).execute();
      await this.ctx.changeLog.record(tx, { resource: 'agent', op: 'delete', id, network_ids: [], hosts: [agent.host] });
      for (const b of hosted) await this.scheduler.scheduleNetwork(tx, b.network_id);
    });
  }

  /**
   * Neutron's create_or_update_agent: the first report of (agent_type, host) makes the row
   * (admin up), every report is a heartbeat, start_flag sets started_at. A DHCP agent that is
   * new, restarted or back from the dead takes the networks still wanting an agent (as
   * Neutron's auto_schedule_networks on an agent's sync; not on every heartbeat, so a network
   * an admin took from the agent stays away until then).
   */
  async report(r: AgentReport): Promise<AgentRow> {
    return this.ctx.tx(async (tx) => {
      const t = agentTime();
      const configurations = JSON.stringify(r.configurations);
      const load = r.agent_type === DHCP_AGENT ? Math.max(0, Math.trunc(Number(r.configurations.networks ?? 0)) || 0) : 0;
      const fields = {
        binary: r.binary, topic: r.topic, configurations, load, heartbeat_timestamp: t,
        ...(r.availability_zone !== undefined ? { availability_zone: r.availability_zone } : {}),
        ...(r.resources_synced !== undefined ? { resources_synced: r.resources_synced ? 1 : 0 } : {}),
      };
      const before = await tx.selectFrom('agents').selectAll().where('agent_type', '=', r.agent_type).where('host', '=', r.host).executeTakeFirst();
      let id: string;
      let fresh = true;
      if (before) {
        id = before.id;
        await tx.updateTable('agents').set({ ...fields, ...(r.start_flag ? { started_at: t } : {}) }).where('id', '=', id).execute();
        // a heartbeat alone changes nothing an agent acts on: the log hears of restarts, revivals and new configurations
        const revived = before.heartbeat_timestamp < this.scheduler.aliveSince();
        fresh = Boolean(r.start_flag) || revived;
        if (fresh || before.configurations !== configurations) {
          // l2population: a new tunnel endpoint is news for the other hosts sharing a network with this one
          const moved = r.agent_type === L2_AGENT && tunnelIp(before.configurations) !== tunnelIp(configurations);
          const network_ids = moved ? await networksBoundTo(tx, r.host) : [];
          await this.ctx.changeLog.record(tx, { resource: 'agent', op: 'update', id, network_ids, hosts: [r.host] });
        }
      } else {
        id = newId();
        // a unique violation (a concurrent first report) retries the transaction, which then updates
        await tx.insertInto('agents').values({
          id, agent_type: r.agent_type, host: r.host, admin_state_up: 1, created_at: t, started_at: t, description: null,
          availability_zone: null, resources_synced: null, ...fields,
        }).execute();
        await this.ctx.changeLog.record(tx, { resource: 'agent', op: 'create', id, network_ids: [], hosts: [r.host] });
      }
      const row = await this.row(tx, id);
      if (fresh && row.agent_type === DHCP_AGENT && row.admin_state_up) await this.scheduler.scheduleUnhosted(tx);
      return row;
    });
  }
}

const tunnelIp = (configurations: string): unknown => {
  try {
    return (JSON.parse(configurations) as { tunneling_ip?: unknown }).tunneling_ip;
  } catch {
    return undefined;
  }
};

/** the networks with a port bound to `host` */
async function networksBoundTo(tx: Tx, host: string): Promise<string[]> {
  const rows = await tx.selectFrom('ports').select('network_id').distinct().where('binding_host_id', '=', host).orderBy('network_id').execute();
  return rows.map((r) => r.network_id);
}
