// The agent configuration file (docs/agents.md): where the network API is, the
// service user's credentials, and each agent's options, named as Neutron's
// ([agent] report_interval, [vxlan] local_ip, [linux_bridge]
// physical_interface_mappings). A fleet of hosts is configured by hand: an
// unknown or misspelt key, or a value of the wrong type, stops with one line naming it.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
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

type Kind = 'string' | 'positive number' | 'mapping of strings';
const SCHEMA: Record<string, Record<string, Kind>> = {
  agent: {
    server: 'string', auth_url: 'string', username: 'string', password: 'string', password_file: 'string', project_name: 'string',
    user_domain_name: 'string', project_domain_name: 'string', region_name: 'string', report_interval: 'positive number', state_dir: 'string',
    availability_zone: 'string',
  },
  l2: { local_ip: 'string', physical_interface_mappings: 'mapping of strings' },
  dhcp: { dnsmasq: 'string', dns_domain: 'string' },
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function check(kind: Kind, v: unknown): boolean {
  if (kind === 'string') return typeof v === 'string' && v !== '';
  if (kind === 'positive number') return typeof v === 'number' && Number.isFinite(v) && v > 0;
  return isMap(v) && Object.values(v).every((x) => typeof x === 'string' && x !== '');
}

/** the sections as written, checked against SCHEMA; `where` names the file in the error */
export function validateAgentConfig(doc: unknown, where: string): Record<string, Record<string, unknown>> {
  if (doc === null || doc === undefined) return {};
  if (!isMap(doc)) throw new Error(`${where}: expected a mapping at the top level`);
  for (const [section, body] of Object.entries(doc)) {
    const keys = SCHEMA[section];
    if (!keys) throw new Error(`${where}: unknown section ${section} (expected ${Object.keys(SCHEMA).join(', ')})`);
    if (body === null) continue;
    if (!isMap(body)) throw new Error(`${where}: ${section}: expected a mapping`);
    for (const [key, value] of Object.entries(body)) {
      const kind = keys[key];
      if (!kind) throw new Error(`${where}: unknown key ${section}.${key} (expected one of ${Object.keys(keys).join(', ')})`);
      if (!check(kind, value)) throw new Error(`${where}: ${section}.${key}: expected a ${kind}, got ${JSON.stringify(value)}`);
    }
  }
  return doc as Record<string, Record<string, unknown>>;
}

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
    throw new Error(`${where}: agent.password_file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const p = text.trim();
  if (!p) throw new Error(`${where}: agent.password_file ${file} is empty`);
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
  const s = validateAgentConfig(doc, where);
  const a = (s.agent ?? {}) as Record<string, string | number | undefined>;
  const l2 = (s.l2 ?? {}) as { local_ip?: string; physical_interface_mappings?: Record<string, string> };
  const dhcp = (s.dhcp ?? {}) as { dnsmasq?: string; dns_domain?: string };
  if (a.server !== undefined) parseServers(a.server as string, `${where}: agent.server`);
  if (a.password !== undefined && a.password_file !== undefined) throw new Error(`${where}: agent.password and agent.password_file: give one`);
  let auth: PasswordAuth | undefined;
  if (a.username !== undefined || a.auth_url !== undefined) {
    const missing = ['auth_url', 'username'].filter((k) => a[k] === undefined);
    if (a.password === undefined && a.password_file === undefined) missing.push('password_file (or password)');
    if (missing.length) throw new Error(`${where}: agent: ${missing.map((k) => `agent.${k}`).join(', ')} missing`);
    auth = {
      authUrl: a.auth_url as string,
      username: a.username as string,
      password: (a.password as string | undefined) ?? readPassword(a.password_file as string, where),
      projectName: (a.project_name as string | undefined) ?? 'service',
      userDomainName: (a.user_domain_name as string | undefined) ?? 'Default',
      projectDomainName: (a.project_domain_name as string | undefined) ?? 'Default',
      regionName: a.region_name as string | undefined,
    };
  }
  return {
    server: a.server as string | undefined,
    auth,
    reportInterval: (a.report_interval as number | undefined) ?? 30,
    availabilityZone: (a.availability_zone as string | undefined) ?? 'nova',
    stateDir: a.state_dir === undefined ? undefined : resolve(a.state_dir as string),
    l2: { localIp: l2.local_ip, physicalInterfaceMappings: l2.physical_interface_mappings ?? {} },
    dhcp: { dnsmasq: dhcp.dnsmasq ?? 'dnsmasq', dnsDomain: dhcp.dns_domain ?? 'openstacklocal' },
  };
}

/** reads and checks the file */
export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`agent configuration ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return agentConfigFrom(doc, file);
}
