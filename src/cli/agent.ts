// `cloudlet agent l2|dhcp --host NAME`: one agent of a host, following the
// network server as the service user (credentials from --config, else clouds.yaml
// / OS_*); `cloudlet agent list`: the agents and whether each is alive.
import { hostname } from 'node:os';
import { Command } from 'commander';
import { agentConfigFrom, loadAgentConfig, parseMappings, type AgentConfig } from '../agent/config.js';
import { AgentClient, parseServers } from '../agent/client.js';
import { missingFor, startAgent, type AgentKind } from '../agent/agents.js';
import { KeystoneSession } from '../common/keystone-session.js';
import { osCredentials } from './os-credentials.js';
import { networkClient } from './network-client.js';
import { loggerFor, run, stopOnSignals } from './process.js';

interface AgentFlags {
  host?: string;
  config?: string;
  server?: string;
  osCloud?: string;
  localIp?: string;
  physicalInterfaceMappings?: string;
  stateDir?: string;
  dnsmasq?: string;
  dnsDomain?: string;
  logFormat?: string;
  logLevel?: string;
}

/** the configuration: the file (or defaults), then the flags */
export function agentConfig(flags: AgentFlags): AgentConfig {
  const cfg = flags.config ? loadAgentConfig(flags.config) : agentConfigFrom(undefined, 'defaults');
  if (flags.server) cfg.server = parseServers(flags.server, '--server').join(',');
  if (flags.localIp) cfg.l2.localIp = flags.localIp;
  if (flags.physicalInterfaceMappings) cfg.l2.physicalInterfaceMappings = parseMappings(flags.physicalInterfaceMappings, '--physical-interface-mappings');
  if (flags.stateDir) cfg.stateDir = flags.stateDir;
  if (flags.dnsmasq) cfg.dhcp.dnsmasq = flags.dnsmasq;
  if (flags.dnsDomain) cfg.dhcp.dnsDomain = flags.dnsDomain;
  return cfg;
}

/** clouds.yaml / OS_* when the config file has no credentials; the error names the file's way too */
function agentCredentials(osCloud: string | undefined) {
  try {
    return osCredentials({ osCloud });
  } catch (err) {
    throw new Error(`${(err as Error).message}; or agent.auth_url, agent.username and agent.password_file in --config FILE (docs/agents.md)`);
  }
}

const TITLES: Record<AgentKind, string> = { l2: 'L2 agent (Linux bridge, VXLAN with l2population)', dhcp: 'DHCP agent (one dnsmasq per network)' };

function agentVerb(kind: AgentKind): Command {
  const cmd = new Command(kind)
    .description(`run the ${TITLES[kind]} of one host until SIGTERM/SIGINT (which leave the wiring as it is)`)
    .option('--host <name>', "the host this agent serves (binding:host_id of its ports); default this machine's hostname")
    .option('-c, --config <file>', 'agent configuration (YAML, docs/agents.md): server, credentials, options')
    .option('--server <url>', "the network API, or several of one database comma-separated, tried in turn (default: the config's agent.server, else the catalog's network endpoint)")
    .option('--os-cloud <name>', 'credentials from this clouds.yaml entry when the config has none (env OS_CLOUD; OS_* as the openstack client)')
    .option('--state-dir <dir>', "where the agent keeps its files (default the config's agent.state_dir, else /var/lib/cloudlet/agents/<host>)");
  if (kind === 'l2') {
    cmd.option('--local-ip <ip>', "this host's VXLAN endpoint (Neutron's [vxlan] local_ip)")
      .option('--physical-interface-mappings <list>', "physnet1:eth1[,…] (Neutron's [linux_bridge] physical_interface_mappings)");
  } else {
    cmd.option('--dnsmasq <program>', "dnsmasq's path or name on PATH (default the config's dhcp.dnsmasq, else dnsmasq)")
      .option('--dns-domain <domain>', "dnsmasq's --domain (default the config's dhcp.dns_domain, else openstacklocal)");
  }
  return cmd
    .option('--log-level <level>', 'info, debug, warn …', 'info')
    .option('--log-format <format>', 'text, json or auto', 'auto')
    .action(
      run(async (flags: AgentFlags) => {
        const cfg = agentConfig(flags);
        const host = flags.host ?? hostname();
        const why = missingFor(kind, cfg);
        if (why) throw new Error(`the ${kind === 'l2' ? 'L2' : 'DHCP'} agent cannot run here: ${why}`);
        const session = new KeystoneSession(cfg.auth ?? agentCredentials(flags.osCloud));
        const log = loggerFor(flags, flags.logLevel ?? 'info', `${kind}-agent`);
        const server = cfg.server ?? (await session.endpoint('network'));
        const runtime = startAgent(kind, host, cfg, new AgentClient(session, server), log);
        log.info({ host, server }, `${kind === 'l2' ? 'L2' : 'DHCP'} agent started`);
        stopOnSignals([() => runtime.stop()], (line) => log.info(`agent ${line}`));
      }),
    );
}

interface AgentRow {
  id: string;
  agent_type: string;
  host: string;
  availability_zone: string | null;
  alive: boolean;
  admin_state_up: boolean;
  binary: string;
}

/** a table like `openstack network agent list` */
export function agentTable(agents: AgentRow[]): string {
  const rows = [['ID', 'Agent Type', 'Host', 'Availability Zone', 'Alive', 'State', 'Binary']];
  for (const a of agents) rows.push([a.id, a.agent_type, a.host, a.availability_zone ?? '', a.alive ? ':-)' : 'XXX', a.admin_state_up ? 'UP' : 'DOWN', a.binary]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

export function agentCommand(): Command {
  const agent = new Command('agent').description("the data plane's agents of a host");
  agent.addCommand(agentVerb('l2'));
  agent.addCommand(agentVerb('dhcp'));
  agent
    .command('list')
    .description('the agents the network server knows, and whether each is alive (as openstack network agent list)')
    .option('--os-cloud <name>', 'credentials from this clouds.yaml entry (env OS_CLOUD; OS_* as the openstack client)')
    .option('--host <name>', 'only the agents of this host')
    .action(
      run(async (flags: { osCloud?: string; host?: string }) => {
        const api = networkClient(flags);
        const q = flags.host ? `?host=${encodeURIComponent(flags.host)}` : '';
        const { agents } = await api.call<{ agents: AgentRow[] }>('GET', `/v2.0/agents${q}`);
        process.stdout.write(agentTable(agents));
      }),
    );
  return agent;
}
