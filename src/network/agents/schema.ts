/** Row types of the agents tables (part of NetworkSchema, src/network/db/schema.ts). */

/** Neutron's agents table: one row per (agent_type, host), made and refreshed by the agent's reports. */
export interface AgentRow {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  admin_state_up: number;
  /** Neutron's format, 'YYYY-MM-DD HH:MM:SS' UTC: text order is time order */
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  /** JSON object */
  configurations: string;
  availability_zone: string | null;
  /** 0/1, null until the agent says */
  resources_synced: number | null;
  /** the DHCP scheduler's weight: the networks the agent reports it serves */
  load: number;
}

/** Neutron's networkdhcpagentbindings: which DHCP agents serve a network. */
export interface DhcpAgentBindingRow {
  network_id: string;
  dhcp_agent_id: string;
}

export interface AgentSchema {
  agents: AgentRow;
  network_dhcp_agent_bindings: DhcpAgentBindingRow;
}
