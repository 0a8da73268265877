import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkAgainst, ConfigProblem, declared, defaultsOf, isField, merge, option, suggest, type Field, type Infer, type Shape } from './config-schema.js';

type Plain = Record<string, unknown>;

const { string, integer, port, boolean, strings, oneOf, nullable } = option;

/** ML2 options, named as in Neutron's ml2_conf.ini. */
const ml2 = {
  type_drivers: strings(['local', 'flat', 'vlan', 'vxlan', 'gre']),
  tenant_network_types: strings(['vxlan']),
  mechanism_drivers: strings(['logger', 'linuxbridge']),
  flat_networks: strings(['*']),
  /** "physnet1:100:199" or "physnet2" (provider-only physnet) */
  network_vlan_ranges: strings(['physnet1:100:199']),
  /** "1:1000" */
  vni_ranges: strings(['1:1000']),
  tunnel_id_ranges: strings(['1:1000']),
  /** underlay MTU, like Neutron's global_physnet_mtu */
  global_physnet_mtu: integer(1500, 0),
  path_mtu: integer(0, 0),
};

/**
 * Per-project quota defaults, named as in neutron.conf's [quotas]; a negative value is unlimited.
 * default_quota is the default of any quota resource whose own option is null (empty in the YAML file).
 */
const quotas = {
  default_quota: integer(-1),
  quota_network: nullable(integer(0), 100),
  quota_subnet: nullable(integer(0), 100),
  quota_port: nullable(integer(0), 500),
  quota_security_group: nullable(integer(0), 10),
  quota_security_group_rule: nullable(integer(0), 100),
  quota_rbac_policy: nullable(integer(0), 10),
  quota_router: nullable(integer(0), 10),
  quota_floatingip: nullable(integer(0), 50),
};

/** The identity service (Keystone v3), options named as in keystone.conf where one exists. */
const identity = {
  host: string('127.0.0.1'),
  /** 35357, Keystone's registered port: 5000, its usual public port, belongs to the registry here */
  port: port(35357),
  /** seconds a token lives ([token] expiration) */
  token_expiration: integer(3600, 1),
  /** the region of every catalog endpoint */
  region: string('RegionOne'),
  /** the address clients use for the services (catalog URLs); default http://<host>:<port> of each service */
  public_host: string(''),
  /** bcrypt cost for stored passwords (keystone: [identity] password_hash_rounds, bcrypt 12) */
  password_hash_rounds: integer(12, 4, 31),
};

/** Agent liveness and DHCP scheduling, named as in neutron.conf's [DEFAULT]. */
const agents = {
  /** change log entries kept for agents to catch up from; one further behind fetches its state again */
  change_log_keep: integer(100_000, 1),
  /** seconds without a heartbeat after which an agent is down (alive: false) */
  agent_down_time: integer(75, 1),
  /** DHCP agents each network with a DHCP-enabled subnet is scheduled to */
  dhcp_agents_per_network: integer(1, 1),
  /** networks of DHCP agents dead for twice agent_down_time move to alive ones */
  allow_automatic_dhcp_failover: boolean(true),
};

/** cloudlet's configuration (cloudlet.yaml, CLOUDLET_* variables, flags): the one declaration of its options */
export const CONFIG = {
  data_dir: string(() => join(homedir(), '.local', 'share', 'cloudlet')),
  /** postgres://… selects PostgreSQL; empty means SQLite under data_dir */
  database_url: string(''),
  /** pino's levels */
  log_level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
  identity,
  network: {
    host: string('127.0.0.1'),
    port: port(9696),
    /** keystone: X-Auth-Token checked against the identity service; noauth: every caller is an admin (development only) */
    auth_strategy: oneOf(['keystone', 'noauth'], 'keystone'),
    /** the largest request body accepted, bytes (Neutron: max_request_body_size) */
    max_request_body_size: integer(114688, 1),
    base_mac: string('fa:16:3e:00:00:00'),
    /** bytes of serialized GET answers kept while the change log's revision is unchanged (0 turns it off) */
    read_cache_bytes: integer(8 * 1024 * 1024, 0),
    ml2,
    quotas,
    agents,
  },
} as const satisfies Shape;

export type Config = Infer<typeof CONFIG>;
export type Ml2Config = Infer<typeof ml2>;
export type QuotaConfig = Infer<typeof quotas>;
export type IdentityConfig = Infer<typeof identity>;
export type AgentsConfig = Infer<typeof agents>;

export const defaultConfig = (): Config => defaultsOf(CONFIG);

/** CLOUDLET_* variables of cloudlet's that are not options */
const NOT_OPTIONS = new Set(['CLOUDLET_CONFIG', 'CLOUDLET_BOOTSTRAP_PASSWORD', 'CLOUDLET_ENTRY', 'CLOUDLET_PID']);

const variable = (path: string[]): string => `CLOUDLET_${path.join('__').toUpperCase()}`;

/**
 * CLOUDLET_A__B__C overrides a.b.c; a single underscore stays part of the key,
 * so CLOUDLET_NETWORK__ML2__VNI_RANGES maps to network.ml2.vni_ranges.
 * A name with __ must name an option; one without is an option's when it is close
 * to a top-level one (CLOUDLET_DATA_DIRR), else another program's (CLOUDLET_TEST_…).
 */
export function envOverrides(env: NodeJS.ProcessEnv): Plain {
  const out: Plain = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CLOUDLET_') || raw === undefined || NOT_OPTIONS.has(name)) continue;
    const path = name.slice('CLOUDLET_'.length).toLowerCase().split('__');
    const decl = declared(CONFIG, path);
    const problem = (text: string) => new ConfigError(name, text);
    if (decl === undefined) {
      if (path.length === 1 && suggest(CONFIG, [], path[0]) === undefined) continue;
      const at = path.findIndex((_, i) => declared(CONFIG, path.slice(0, i + 1)) === undefined);
      if (at > 0 && isField(declared(CONFIG, path.slice(0, at))!)) throw problem(`${path.slice(0, at).join('.')} is an option, not a section`);
      const meant = suggest(CONFIG, path.slice(0, at), path[at]);
      // the variable meant: the misspelt word (or the section misplaced) put right, the rest as written
      const fixed = meant && [...(meant.length === 1 ? [...path.slice(0, at), meant[0]] : meant), ...path.slice(at + 1)];
      const known = fixed && declared(CONFIG, fixed);
      const hint = known && isField(known) ? ` (did you mean ${variable(fixed)}?)` : meant ? ` (did you mean ${meant.join('.')}?)` : '';
      throw problem(`${path.slice(0, at + 1).join('.')}: unknown key${hint}`);
    }
    if (!isField(decl)) throw problem(`${path.join('.')} is a section: set its options as ${name}__OPTION`);
    const value = decl.fromText(raw);
    if (!decl.check(value)) throw problem(`expected ${decl.expected}, got ${JSON.stringify(raw)}`);
    let node = out;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Plain;
    node[path[path.length - 1]] = value;
  }
  return out;
}

/** a configuration error: one line naming where (file, variable, flag) and what */
export class ConfigError extends Error {
  constructor(source: string, text: string) {
    super(`config ${source}: ${text}`);
  }
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** command-line flags: the last word */
  overrides?: { data_dir?: string; port?: number; database_url?: string };
}

const FLAGS = { data_dir: ['--data-dir', ['data_dir']], port: ['--port', ['network', 'port']], database_url: ['--database-url', ['database_url']] } as const;

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Defaults, then the YAML file, then CLOUDLET_* variables, then flags; each checked against CONFIG. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let cfg = defaultConfig() as unknown as Plain;
  const explicit = opts.file ?? env.CLOUDLET_CONFIG;
  const file = explicit ?? '/etc/cloudlet/cloudlet.yaml';
  if (existsSync(file)) {
    const doc = readYaml(file);
    try {
      checkAgainst(CONFIG, doc);
    } catch (err) {
      if (err instanceof ConfigProblem) throw new ConfigError(file, err.message);
      throw err;
    }
    if (doc) cfg = merge(cfg, doc as Plain);
  } else if (explicit) {
    // a file named on purpose must exist; only the default location may be absent
    throw new Error(`configuration file ${explicit} does not exist`);
  }
  cfg = merge(cfg, envOverrides(env));
  const out = cfg as unknown as Config;
  for (const [key, [flag, path]] of Object.entries(FLAGS)) {
    const value = opts.overrides?.[key as keyof typeof FLAGS];
    if (value === undefined || value === '') continue;
    const decl = declared(CONFIG, [...path]) as Field<unknown>;
    if (!decl.check(value)) throw new ConfigError(flag, `expected ${decl.expected}, got ${JSON.stringify(value)}`);
    let node = cfg;
    for (const p of path.slice(0, -1)) node = node[p] as Plain;
    node[path[path.length - 1]] = value;
  }
  // ~/… as the README writes it, and as a shell would expand it
  out.data_dir = resolve(out.data_dir.replace(/^~(?=\/|$)/, homedir()));
  return out;
}
