// The agents `cloudlet up` runs beside the services, for its own host: an L2 and
// a DHCP agent in the same process, as the service user (its password from
// <data dir>/agent-password, made by bootstrap), talking to the network API over
// HTTP like any agent. Where the host cannot run one (not root, no ip, no
// dnsmasq), one line says what was skipped and why.
import type { AgentRuntime } from '../agent/run.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logging.js';

export interface LocalAgents {
  /** one line for the banner: what runs, what was skipped and why */
  summary: string;
  stop(): Promise<void>;
}

/**
 * `localIp`: the L2 agent's VXLAN endpoint, the address `up` listens on (--bind): in a
 * lab that is the host's underlay address; on one machine 127.0.0.1, where VXLAN
 * networks get their bridge and device although no other host shares them.
 */
export async function startLocalAgents(cfg: Config, host: string, localIp: string, urls: { identity: string; network: string }, log: (service: string) => Logger): Promise<LocalAgents> {
  const { agentConfigFrom } = await import('../agent/config.js');
  const { missingFor, startAgent } = await import('../agent/agents.js');
  const { AgentClient } = await import('../agent/client.js');
  const { KeystoneSession } = await import('../common/keystone-session.js');
  const { AGENT_USER, agentPasswordFile, readAgentPassword, SERVICE_PROJECT } = await import('../identity/service-user.js');
  const { join } = await import('node:path');
  const agentCfg = agentConfigFrom(undefined, 'cloudlet up');
  agentCfg.stateDir = join(cfg.data_dir, 'agents');
  agentCfg.l2.localIp = localIp;
  const running: AgentRuntime[] = [];
  const started: string[] = [];
  const skipped: string[] = [];
  const password = readAgentPassword(agentPasswordFile(cfg.data_dir));
  for (const kind of ['l2', 'dhcp'] as const) {
    const name = kind === 'l2' ? 'L2' : 'DHCP';
    const why = password === undefined ? `${agentPasswordFile(cfg.data_dir)} is missing` : missingFor(kind, agentCfg);
    if (why) {
      skipped.push(`${name} agent (${why})`);
      continue;
    }
    const session = new KeystoneSession({ authUrl: `${urls.identity}/v3`, username: AGENT_USER, password: password!, projectName: SERVICE_PROJECT, userDomainName: 'Default', projectDomainName: 'Default' });
    running.push(startAgent(kind, host, agentCfg, new AgentClient(session, urls.network), log(`${kind}-agent`)));
    started.push(name);
  }
  const parts = [
    ...(started.length ? [`${started.join(' and ')} agent${started.length > 1 ? 's' : ''} for host ${host}`] : []),
    ...(skipped.length ? [`skipped ${skipped.join(', ')}; the APIs work without them`] : []),
  ];
  return {
    summary: parts.join('; '),
    async stop() {
      await Promise.allSettled(running.map((r) => r.stop()));
    },
  };
}
