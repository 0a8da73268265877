import type { BindingContext, HostAgent, MechanismDriverFactory, Segment } from '../../types.js';

export const LINUXBRIDGE_AGENT = 'Linux bridge agent';
const VIF_DETAILS = { port_filter: true, connectivity: 'l2' };

const mapped = (conf: Record<string, unknown>, physnet: string | null): boolean => {
  if (!physnet) return false;
  const has = (m: unknown) => typeof m === 'object' && m !== null && Object.hasOwn(m, physnet);
  return has(conf.interface_mappings) || has(conf.bridge_mappings);
};

/** an agent's physical interface mapped for `physnet` that its host does not have (the agent's missing_interfaces) */
const missing = (conf: Record<string, unknown>, physnet: string | null): string | undefined => {
  const m = conf.missing_interfaces;
  const iface = physnet && typeof m === 'object' && m !== null && Object.hasOwn(m, physnet) ? (m as Record<string, unknown>)[physnet] : undefined;
  return typeof iface === 'string' ? `interface ${iface} of physical network ${physnet} does not exist on the host` : undefined;
};

/** Why the agent cannot carry the segment, or undefined when it can (Neutron's check_segment_for_agent). */
export function segmentRefusal(agent: HostAgent, seg: Segment): string | undefined {
  const conf = agent.configurations;
  switch (seg.network_type) {
    case 'local':
      return undefined;
    case 'flat':
      return mapped(conf, seg.physical_network) ? missing(conf, seg.physical_network) : `physical network ${seg.physical_network} is not in its interface_mappings`;
    case 'vlan':
      if (typeof conf.vlan_unsupported_reason === 'string' && conf.vlan_unsupported_reason) return `no VLANs: ${conf.vlan_unsupported_reason}`;
      return mapped(conf, seg.physical_network) ? missing(conf, seg.physical_network) : `physical network ${seg.physical_network} is not in its interface_mappings`;
    default: {
      const tunnels = Array.isArray(conf.tunnel_types) ? conf.tunnel_types : [];
      return tunnels.includes(seg.network_type) ? undefined : `${seg.network_type} is not in its tunnel_types`;
    }
  }
}

/**
 * Neutron's linuxbridge mechanism driver (an AgentMechanismDriverBase): binds a normal
 * port when an alive, admin-up Linux bridge agent on the port's host can carry one of the
 * network's segments; vif_type bridge.
 */
export const linuxbridgeMechanismDriver: MechanismDriverFactory = ({ log }) => ({
  name: 'linuxbridge',
  async bind_port(ctx: BindingContext) {
    const vnic = ctx.current['binding:vnic_type'] ?? 'normal';
    if (vnic !== 'normal') return;
    const agents = await ctx.hostAgents(LINUXBRIDGE_AGENT);
    if (agents.length === 0) log.warn({ port: ctx.current.id, host: ctx.host }, 'no Linux bridge agent on the host');
    for (const agent of agents) {
      if (!agent.alive || !agent.admin_state_up) {
        log.warn({ port: ctx.current.id, host: ctx.host, alive: agent.alive, admin_state_up: agent.admin_state_up }, 'Linux bridge agent is down or disabled');
        continue;
      }
      for (const seg of ctx.segments) {
        const refusal = segmentRefusal(agent, seg);
        if (!refusal) {
          ctx.setBinding(seg, 'bridge', { ...VIF_DETAILS });
          return;
        }
        log.warn({ port: ctx.current.id, host: ctx.host, network_type: seg.network_type }, `Linux bridge agent cannot bind: ${refusal}`);
      }
    }
  },
});
