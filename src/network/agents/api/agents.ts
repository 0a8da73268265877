// Neutron's agent and dhcp_agent_scheduler extensions: /v2.0/agents[/{id}] through the
// generic controller, and the scheduler's dhcp-networks / dhcp-agents sub-resources.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthStrategy } from '../../api/auth.js';
import { registerResource } from '../../api/controller.js';
import { hiddenAttributes } from '../../api/policy.js';
import type { ListQuery } from '../../model/list-query.js';
import { present } from '../../api/body.js';
import type { Caller } from '../../model/caller.js';
import { networkDef } from '../../model/resources/network.js';
import type { Ml2Plugin } from '../../ml2/plugin.js';
import { agentDef } from '../agent-def.js';
import type { Agents } from '../agents.js';
import { AgentErrors } from '../errors.js';
import { DHCP_AGENT, type DhcpScheduler } from '../scheduler.js';
import { enforceRule, objectBody, stringField } from './guard.js';
import { reserveDhcpPorts } from './dhcp-port.js';

type AgentRequest = FastifyRequest<{ Params: { id: string } }>;

const byIds = (ids: string[]): ListQuery => ({
  filters: new Map([['id', ids]]), tags: { all: [], any: [], notAll: [], notAny: [] }, sorts: [], pageReverse: false,
});

export interface AgentsApiDeps {
  plugin: Ml2Plugin;
  agents: Agents;
  scheduler: DhcpScheduler;
  auth: AuthStrategy;
}

export function registerAgentsApi(app: FastifyInstance, { plugin, agents, scheduler, auth }: AgentsApiDeps): void {
  // no read cache: `alive` changes with the clock, not with the database
  registerResource(app, agentDef, agents, { auth, noCreate: true });
  const ctx = plugin.ctx;

  const networksShown = async (caller: Caller, ids: string[]) => {
    if (ids.length === 0) return [];
    const items = await plugin.networks.list(caller, byIds(ids));
    return items.map((n) => present(networkDef, n, hiddenAttributes(networkDef, caller, n), undefined));
  };

  app.get('/v2.0/agents/:id/dhcp-networks', async (req: AgentRequest) => {
    const caller = await enforceRule(auth, req, 'get_dhcp-networks');
    await agents.row(ctx.db, req.params.id);
    const ids = (await ctx.db.selectFrom('network_dhcp_agent_bindings').select('network_id').where('dhcp_agent_id', '=', req.params.id).execute())
      .map((b) => b.network_id);
    return { networks: await networksShown(caller, ids) };
  });

  app.post('/v2.0/agents/:id/dhcp-networks', async (req: AgentRequest, reply) => {
    const caller = await enforceRule(auth, req, 'create_dhcp-network');
    const networkId = stringField(objectBody(req.body, 'network_id'), 'network_id');
    // as Neutron's add_network_to_dhcp_agent: the network, then the agent
    await plugin.networks.get(caller, networkId);
    await ctx.tx(async (tx) => {
      const agent = await agents.row(tx, req.params.id);
      if (agent.agent_type !== DHCP_AGENT || !agent.admin_state_up) throw AgentErrors.invalidDhcpAgent(agent.id);
      if (!(await scheduler.bind(tx, networkId, agent))) throw AgentErrors.networkHosted(networkId, agent.id);
    });
    // Neutron answers the plugin's None
    return reply.code(201).type('application/json').send('null');
  });

  app.delete('/v2.0/agents/:id/dhcp-networks/:networkId', async (req: FastifyRequest<{ Params: { id: string; networkId: string } }>, reply) => {
    const caller = await enforceRule(auth, req, 'delete_dhcp-network');
    const { id, networkId } = req.params;
    const agent = await ctx.tx(async (tx) => {
      const agent = await agents.row(tx, id);
      if (!(await scheduler.unbind(tx, networkId, agent))) throw AgentErrors.networkNotHosted(networkId, id);
      return agent;
    });
    // as Neutron: the agent's DHCP port is kept, reserved, so a later agent reuses its address
    await reserveDhcpPorts(plugin, caller, networkId, agent.host);
    return reply.code(204).send();
  });

  app.get('/v2.0/networks/:id/dhcp-agents', async (req: AgentRequest) => {
    const caller = await enforceRule(auth, req, 'get_dhcp-agents');
    const rows = await ctx.db.selectFrom('agents as a').innerJoin('network_dhcp_agent_bindings as b', 'b.dhcp_agent_id', 'a.id')
      .selectAll('a').where('b.network_id', '=', req.params.id).orderBy('a.id').execute();
    return { agents: rows.map((r) => present(agentDef, agents.present(r), hiddenAttributes(agentDef, caller, agents.present(r)), undefined)) };
  });
}
