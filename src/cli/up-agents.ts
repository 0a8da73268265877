// The agents `cloudlet up` runs beside the services, for its own host: an L2 and
// a DHCP agent in the same process, as the service user (its password from
// <data dir>/agent-password, made by bootstrap), talking to the network API over
// HTTP like any agent. Where the host cannot run one (not root, no ip, no
// dnsmasq), one line says what was skipped and why.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { AgentRuntime } from '../agent/run.js';
import type { Config } from '../config.js';
import type { Logger } from '../common/logging.js';

export interface LocalAgents {
  /** one line for the banner: what runs, what was skipped and why */
  summary: string;
  stop(): Promise<void>;
}

/** "the L2 and DHCP agents: not root", or each with its own reason */
function skippedLine(skipped: Array<{ name: string; why: string }>): string {
  if (skipped.length > 1 && skipped.every((s) => s.why === skipped[0].why)) return `the ${skipped.map((s) => s.name).join(' and ')} agents: ${skipped[0].why}`;
  return skipped.map((s) => `the ${s.name} agent: ${s.why}`).join('; ');
}

/** `url` at the address the service listens on: the catalog's public_host may be one only clients elsewhere reach (a lab's forwarder) */
export function listenUrl(url: string, listenHost: string): string {
  const u = new URL(url);
  u.hostname = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return u.origin;
}

/** the address to reach a service listening on `host` from this machine: a wildcard is reached at loopback */
export const reachable = (host: string): string => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);

/**
 * The agents reach the services where they listen (cfg's hosts, --bind). The L2 agent's
 * VXLAN endpoint is the network API's address: in a lab the host's underlay address; on
 * one machine 127.0.0.1, where VXLAN networks get their bridge and device although no
 * other host shares them.
 */
export async function startLocalAgents(cfg: Config, { host, stateDir }: { host: string; stateDir?: string }, urls: { identity: string; network: string }, log: (service: string) => Logger): Promise<LocalAgents> {
  const { agentConfigFrom } = await import('../agent/config.js');
  const { missingFor, startAgent } = await import('../agent/agents.js');
  const { AgentClient } = await import('../agent/client.js');
  const { KeystoneSession } = await import('../common/keystone-session.js');
  const { AGENT_USER, agentPasswordFile, readAgentPassword, SERVICE_PROJECT } = await import('../identity/service-user.js');
  const agentCfg = agentConfigFrom(undefined, 'cloudlet up');
  // default: outside the data directory (0700, secrets), where dnsmasq can read as nobody
  agentCfg.stateDir = stateDir === undefined ? undefined : resolve(stateDir);
  // heartbeats at least twice within the server's agent_down_time, as Neutron advises: a
  // shorter agent_down_time in cloudlet.yaml must not make up's own agents flap dead
  agentCfg.reportInterval = Math.min(agentCfg.reportInterval, Math.max(1, Math.floor(cfg.network.agents.agent_down_time / 2)));
  const networkHost = reachable(cfg.network.host);
  agentCfg.l2.localIp = isIP(networkHost) && networkHost !== '::1' ? networkHost : '127.0.0.1';
  const identityUrl = listenUrl(urls.identity, reachable(cfg.identity.host));
  const networkUrl = listenUrl(urls.network, networkHost);
  const running: AgentRuntime[] = [];
  const started: string[] = [];
  const skipped: Array<{ name: string; why: string }> = [];
  const password = readAgentPassword(agentPasswordFile(cfg.data_dir));
  for (const kind of ['l2', 'dhcp'] as const) {
    const name = kind === 'l2' ? 'L2' : 'DHCP';
    const why = password === undefined ? `${agentPasswordFile(cfg.data_dir)} is missing` : missingFor(kind, agentCfg);
    if (why) {
      skipped.push({ name, why });
      continue;
    }
    const session = new KeystoneSession({ authUrl: `${identityUrl}/v3`, username: AGENT_USER, password: password!, projectName: SERVICE_PROJECT, userDomainName: 'Default', projectDomainName: 'Default' });
    running.push(startAgent(kind, host, agentCfg, new AgentClient(session, networkUrl), log(`${kind}-agent`)));
    started.push(name);
  }
  const parts = [
    ...(started.length ? [`${started.join(' and ')} agent${started.length > 1 ? 's' : ''} for host ${host}`] : []),
    ...(skipped.length ? [`skipped ${skippedLine(skipped)}; the APIs work without them`] : []),
  ];
  return {
    summary: parts.join('; '),
    async stop() {
      await Promise.allSettled(running.map((r) => r.stop()));
    },
  };
}
