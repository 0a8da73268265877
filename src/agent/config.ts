// The agent configuration file (docs/agents.md): where the network API is, the
// service user's credentials, and each agent's options, named as Neutron's
// ([agent] report_interval, [vxlan] local_ip, [linux_bridge]
// physical_interface_mappings). A fleet of hosts is configured by hand: an
// unknown or misspelt key, or a value of the wrong type, stops with one line naming it.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, documentOver, readYaml } from '../common/config.js';
import { option, type Shape } from '../common/config-schema.js';
import type { PasswordAuth } from '../common/keystone-session.js';
import { parseServers } from './client.js';

export interface AgentConfig {
  /** the network API (several, comma-separated: servers of one database, tried in turn); absent: the catalog's network endpoint */
  server?: string;
  /** credentials from the file; absent: clouds.yaml / OS_* */
  auth?: PasswordAuth;
  /** seconds between heartbeats */
  reportInterval: number;
  /** Neutron's [AGENT] availability_zone (default nova) */
  availabilityZone: string;
  /** where agents keep their files (dnsmasq's per network), as the operator set it; absent: defaultStateDir */
  stateDir?: string;
  l2: { localIp?: string; physicalInterfaceMappings: Record<string, string> };
  dhcp: { dnsmasq: string; dnsDomain: string };
}

const { nonEmpty, positive, mapping, optional } = option;
/** a key with no default: absent unless given, and not empty when given */
const given = optional(nonEmpty(''));

/** the file's declaration (config-schema, as cloudlet.yaml's): the keys, their types and defaults */
export const AGENT_CONFIG = {
  agent: {
    server: given,
    auth_url: given,
    username: given,
    password: given,
    password_file: given,
    project_name: nonEmpty('service'),
    user_domain_name: nonEmpty('Default'),
    project_domain_name: nonEmpty('Default'),
    region_name: given,
    report_interval: positive(30),
    state_dir: given,
    availability_zone: nonEmpty('nova'),
  },
  l2: { local_ip: given, physical_interface_mappings: mapping({}) },
  dhcp: { dnsmasq: nonEmpty('dnsmasq'), dns_domain: nonEmpty('openstacklocal') },
} as const satisfies Shape;

/** physnet1:eth1,physnet2:eth2 (Neutron's physical_interface_mappings) */
export function parseMappings(text: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:\s]+):([^:\s]+)$/.exec(item);
    if (!m) throw new Error(`${flag}: expected PHYSNET:INTERFACE[,…], got ${JSON.stringify(item)}`);
    if (out[m[1]]) throw new Error(`${flag}: ${m[1]} is mapped twice`);
    out[m[1]] = m[2];
  }
  return out;
}

function readPassword(file: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(where, `agent.password_file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const p = text.trim();
  if (!p) throw new ConfigError(where, `agent.password_file ${file} is empty`);
  return p;
}

/**
 * The agents' state directory when none is configured. As root (agents need it), Neutron's
 * way: /var/lib/cloudlet/agents/<host> (as /var/lib/neutron/dhcp), 0755 with 0644 files,
 * which dnsmasq reads after dropping to nobody; the data directory stays 0700 for its
 * secrets, and a root home is closed to nobody. One directory a host, so several hosts'
 * agents on one machine keep apart. Otherwise (tests of the planning) <data dir>/agents.
 */
export function defaultStateDir(host: string, env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0): string {
  if (isRoot) return join('/var/lib/cloudlet/agents', encodeURIComponent(host));
  return join(resolve(env.CLOUDLET_DATA_DIR || join(env.HOME || homedir(), '.local', 'share', 'cloudlet')), 'agents');
}

/** the configuration from `doc` (parsed YAML); no file: defaults */
export function agentConfigFrom(doc: unknown, where: string): AgentConfig {
  const { agent: a, l2, dhcp } = documentOver(AGENT_CONFIG, doc, where);
  const problem = (text: string) => new ConfigError(where, text);
  if (a.server !== undefined) parseServers(a.server, `config ${where}: agent.server`);
  if (a.password !== undefined && a.password_file !== undefined) throw problem('agent.password and agent.password_file: give one');
  let auth: PasswordAuth | undefined;
  if (a.username !== undefined || a.auth_url !== undefined) {
    const missing = (['auth_url', 'username'] as const).filter((k) => a[k] === undefined) as string[];
    if (a.password === undefined && a.password_file === undefined) missing.push('password_file (or password)');
    if (missing.length) throw problem(`agent: ${missing.map((k) => `agent.${k}`).join(', ')} missing`);
    auth = {
      authUrl: a.auth_url!,
      username: a.username!,
      password: a.password ?? readPassword(a.password_file!, where),
      projectName: a.project_name,
      userDomainName: a.user_domain_name,
      projectDomainName: a.project_domain_name,
      regionName: a.region_name,
    };
  }
  return {
    server: a.server,
    auth,
    reportInterval: a.report_interval,
    availabilityZone: a.availability_zone,
    stateDir: a.state_dir === undefined ? undefined : resolve(a.state_dir),
    l2: { localIp: l2.local_ip, physicalInterfaceMappings: l2.physical_interface_mappings },
    dhcp: { dnsmasq: dhcp.dnsmasq, dnsDomain: dhcp.dns_domain },
  };
}

/** reads and checks the file */
export function loadAgentConfig(file: string): AgentConfig {
  if (!existsSync(file)) throw new Error(`agent configuration ${file}: no such file`);
  return agentConfigFrom(readYaml(file), file);
}
