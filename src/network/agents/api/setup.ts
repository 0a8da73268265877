import type { FastifyInstance } from 'fastify';
import type { AuthStrategy } from '../../api/auth.js';
import type { Ml2Plugin } from '../../ml2/plugin.js';
import { Agents } from '../agents.js';
import { registerAgentsApi } from './agents.js';
import { registerAgentEndpoints } from './endpoints.js';
import { DhcpScheduler } from '../scheduler.js';
import { guardDhcpPort, reserveDhcpPorts } from './dhcp-port.js';
import { makeCaller } from '../../model/caller.js';

export interface AgentsService {
  agents: Agents;
  scheduler: DhcpScheduler;
}

/**
 * The server side of the agents: Neutron's agents and DHCP scheduler APIs, the agent
 * endpoints, and automatic DHCP scheduling — a network is scheduled, in the transaction
 * of the change, when a DHCP-enabled subnet appears on it or it changes, and when a DHCP
 * agent starts or comes back (src/network/agents/agents.ts).
 */
export function registerAgents(app: FastifyInstance, plugin: Ml2Plugin, auth: AuthStrategy): AgentsService {
  const scheduler = new DhcpScheduler(plugin.ctx);
  const agents = new Agents(plugin.ctx, scheduler);
  const cb = plugin.callbacks;
  const schedule = (networkOf: (current: Record<string, unknown>) => unknown) =>
    async (p: { current?: Record<string, unknown>; tx?: Parameters<DhcpScheduler['scheduleNetwork']>[0] }) => {
      const networkId = p.current ? networkOf(p.current) : undefined;
      if (p.tx && typeof networkId === 'string') await scheduler.scheduleNetwork(p.tx, networkId);
    };
  cb.subscribe('subnet', 'precommit_create', schedule((s) => (s.enable_dhcp ? s.network_id : undefined)));
  cb.subscribe('subnet', 'precommit_update', schedule((s) => (s.enable_dhcp ? s.network_id : undefined)));
  cb.subscribe('network', 'precommit_update', schedule((n) => n.id));
  cb.subscribe('port', 'precommit_create', (p) => guardDhcpPort(plugin.ctx, p));
  // the bindings go with the network (the foreign key cascades); the log hears of each
  cb.subscribe('network', 'precommit_delete', async (p) => {
    if (!p.tx || !p.current) return;
    const networkId = p.current.id as string;
    const hosting = await p.tx.selectFrom('agents as a').innerJoin('network_dhcp_agent_bindings as b', 'b.dhcp_agent_id', 'a.id')
      .select(['a.id', 'a.host']).where('b.network_id', '=', networkId).execute();
    for (const a of hosting) await scheduler.unbind(p.tx, networkId, a);
  });

  // as Neutron's failover: the dead agent's DHCP port keeps its addresses for the next agent
  const internal = makeCaller({ projectId: 'cloudlet', roles: ['admin'] });
  scheduler.onFailover = (networkId, host) => reserveDhcpPorts(plugin, internal, networkId, host);

  registerAgentsApi(app, { plugin, agents, scheduler, auth });
  registerAgentEndpoints(app, { plugin, agents, auth });
  scheduler.start();
  app.addHook('onClose', async () => scheduler.stop());
  return { agents, scheduler };
}
