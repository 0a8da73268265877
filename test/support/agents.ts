// Agents for the server-side tests: registered through the report endpoint, as real
// agents register, and aged by moving their heartbeat back in the database.
import assert from 'node:assert/strict';
import { AGENT_API, type AgentReport, type AgentType } from '../../src/agent/protocol.js';
import { agentTime } from '../../src/network/agents/agent-def.js';
import { as } from './header-auth.js';
import type { RunningNetwork } from './network-server.js';

export const SERVICE = as('service', 'service');
export const ADMIN = as('admin-project', 'admin');
export const L2: AgentType = 'Linux bridge agent';
export const DHCP: AgentType = 'DHCP agent';

/** What a Linux bridge agent with VXLAN and one flat mapping reports. */
export const l2Configurations = (tunnelIp: string, extra: Record<string, unknown> = {}) => ({
  bridge_mappings: {}, interface_mappings: { physnet1: 'eth1' }, tunneling_ip: tunnelIp, tunnel_types: ['vxlan'],
  l2_population: true, devices: 0, ...extra,
});

/** POSTs a report and answers the agent's id. */
export async function report(net: RunningNetwork, host: string, agentType: AgentType, configurations: Record<string, unknown> = {}, more: Partial<AgentReport> = {}): Promise<string> {
  const body: AgentReport = {
    host, agent_type: agentType, configurations,
    binary: agentType === DHCP ? 'neutron-dhcp-agent' : 'neutron-linuxbridge-agent',
    topic: agentType === DHCP ? 'dhcp_agent' : 'N/A', ...more,
  };
  const r = await net.call('POST', `${AGENT_API}/report`, body, SERVICE);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.agent.id;
}

/** Moves an agent's last heartbeat `seconds` into the past. */
export async function age(net: RunningNetwork, agentId: string, seconds: number): Promise<void> {
  await net.database.db.updateTable('agents').set({ heartbeat_timestamp: agentTime(new Date(Date.now() - seconds * 1000)) })
    .where('id', '=', agentId).execute();
}

/** A network with one DHCP-enabled IPv4 subnet, made by an admin. */
export async function networkWithSubnet(net: RunningNetwork, cidr = '10.0.0.0/24', network: Record<string, unknown> = {}) {
  const n = await net.call('POST', '/v2.0/networks', { network: { name: 'n', ...network } }, ADMIN);
  assert.equal(n.status, 201, JSON.stringify(n.body));
  const s = await net.call('POST', '/v2.0/subnets', { subnet: { network_id: n.body.network.id, cidr, ip_version: 4 } }, ADMIN);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  return { networkId: n.body.network.id as string, subnetId: s.body.subnet.id as string };
}
