import type { Tx } from '../db/database.js';
import type { PluginContext } from './context.js';
import type { HostAgent, Segment } from './types.js';

type Body = Record<string, unknown>;

export interface Binding {
  'binding:vif_type': string;
  'binding:vif_details': Record<string, unknown>;
}

/** 'YYYY-MM-DD HH:MM:SS' UTC, the agents table's heartbeat format */
const heartbeatCutoff = (seconds: number): string => new Date(Date.now() - seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');

/**
 * ML2's port binding: no host is `unbound`; with one, the mechanism drivers are asked in order
 * and the first that binds sets vif_type and vif_details; none binding is `binding_failed`.
 */
export async function bindPort(ctx: PluginContext, tx: Tx, port: Body): Promise<Binding> {
  const host = (port['binding:host_id'] ?? '') as string;
  if (!host) return { 'binding:vif_type': 'unbound', 'binding:vif_details': {} };
  const segments: Segment[] = await tx.selectFrom('network_segments').select(['network_type', 'physical_network', 'segmentation_id'])
    .where('network_id', '=', port.network_id as string).orderBy('segment_index').execute();
  const since = heartbeatCutoff(ctx.cfg.network.agents.agent_down_time);
  const hostAgents = async (agentType: string): Promise<HostAgent[]> => {
    const rows = await tx.selectFrom('agents').selectAll().where('agent_type', '=', agentType).where('host', '=', host).execute();
    return rows.map((r) => ({
      id: r.id, agent_type: r.agent_type, host: r.host, alive: r.heartbeat_timestamp >= since,
      admin_state_up: Boolean(r.admin_state_up), configurations: JSON.parse(r.configurations) as Record<string, unknown>,
    }));
  };
  let bound: Binding | undefined;
  await ctx.mech.bindPort({
    current: port, host, segments, hostAgents,
    setBinding: (_seg, vifType, details) => { bound = { 'binding:vif_type': vifType, 'binding:vif_details': details }; },
  });
  if (bound) return bound;
  ctx.log.warn({ port: port.id, host, vnic_type: port['binding:vnic_type'], segments }, 'failed to bind port');
  return { 'binding:vif_type': 'binding_failed', 'binding:vif_details': {} };
}

/** Neutron binds again when the host, profile or vnic type change, and retries a failed binding on any update. */
export function needsRebind(original: Body, changes: Body): boolean {
  const changed = (k: string) => k in changes && JSON.stringify(changes[k]) !== JSON.stringify(original[k]);
  if (changed('binding:host_id') || changed('binding:profile') || changed('binding:vnic_type')) return true;
  return original['binding:vif_type'] === 'binding_failed' && Boolean(original['binding:host_id']);
}
