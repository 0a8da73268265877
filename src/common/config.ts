import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** ML2 options, named as in Neutron's ml2_conf.ini. */
export interface Ml2Config {
  type_drivers: string[];
  tenant_network_types: string[];
  mechanism_drivers: string[];
  flat_networks: string[];
  /** "physnet1:100:199" or "physnet2" (provider-only physnet) */
  network_vlan_ranges: string[];
  /** "1:1000" */
  vni_ranges: string[];
  tunnel_id_ranges: string[];
  /** underlay MTU, like Neutron's global_physnet_mtu */
  global_physnet_mtu: number;
  path_mtu: number;
}

/**
 * Per-project quota defaults, named as in neutron.conf's [quotas]; a negative value is unlimited.
 * default_quota is the default of any quota resource without an option of its own.
 */
export interface QuotaConfig {
  default_quota: number;
  quota_network: number;
  quota_subnet: number;
  quota_port: number;
  quota_security_group: number;
  quota_security_group_rule: number;
  quota_rbac_policy: number;
  quota_router: number;
  quota_floatingip: number;
}

/** The identity service (Keystone v3), options named as in keystone.conf where one exists. */
export interface IdentityConfig {
  host: string;
  /** 35357, Keystone's registered port: 5000, its usual public port, belongs to the registry here */
  port: number;
  /** seconds a token lives ([token] expiration) */
  token_expiration: number;
  /** the region of every catalog endpoint */
  region: string;
  /** the address clients use for the services (catalog URLs); default http://<host>:<port> of each service */
  public_host: string;
  /** bcrypt cost for stored passwords (keystone: [identity] password_hash_rounds, bcrypt 12) */
  password_hash_rounds: number;
}

/** Agent liveness and DHCP scheduling, named as in neutron.conf's [DEFAULT]. */
export interface AgentsConfig {
  /** seconds without a heartbeat after which an agent is down (alive: false) */
  agent_down_time: number;
  /** DHCP agents each network with a DHCP-enabled subnet is scheduled to */
  dhcp_agents_per_network: number;
  /** networks of DHCP agents dead for twice agent_down_time move to alive ones */
  allow_automatic_dhcp_failover: boolean;
  /** change log entries kept for agents to catch up from; one further behind fetches its state again */
  change_log_keep: number;
}

export interface Config {
  data_dir: string;
  /** postgres://… selects PostgreSQL; empty means SQLite under data_dir */
  database_url: string;
  log_level: string;
  identity: IdentityConfig;
  network: {
    host: string;
    port: number;
    /** keystone: X-Auth-Token checked against the identity service; noauth: every caller is an admin (development only) */
    auth_strategy: 'keystone' | 'noauth';
    /** the largest request body accepted, bytes (Neutron: max_request_body_size) */
    max_request_body_size: number;
    base_mac: string;
    /** bytes of serialized GET answers kept while the change log's revision is unchanged (0 turns it off) */
    read_cache_bytes: number;
    ml2: Ml2Config;
    quotas: QuotaConfig;
    agents: AgentsConfig;
  };
}

export function defaultConfig(): Config {
  return {
    data_dir: join(homedir(), '.local', 'share', 'cloudlet'),
    database_url: '',
    log_level: 'info',
    identity: {
      host: '127.0.0.1',
      port: 35357,
      token_expiration: 3600,
      region: 'RegionOne',
      public_host: '',
      password_hash_rounds: 12,
    },
    network: {
      host: '127.0.0.1',
      port: 9696,
      auth_strategy: 'keystone',
      max_request_body_size: 114688,
      base_mac: 'fa:16:3e:00:00:00',
      read_cache_bytes: 8 * 1024 * 1024,
      ml2: {
        type_drivers: ['local', 'flat', 'vlan', 'vxlan', 'gre'],
        tenant_network_types: ['vxlan'],
        mechanism_drivers: ['logger', 'linuxbridge'],
        flat_networks: ['*'],
        network_vlan_ranges: ['physnet1:100:199'],
        vni_ranges: ['1:1000'],
        tunnel_id_ranges: ['1:1000'],
        global_physnet_mtu: 1500,
        path_mtu: 0,
      },
      quotas: {
        default_quota: -1,
        quota_network: 100,
        quota_subnet: 100,
        quota_port: 500,
        quota_security_group: 10,
        quota_security_group_rule: 100,
        quota_rbac_policy: 10,
        quota_router: 10,
        quota_floatingip: 50,
      },
      agents: {
        change_log_keep: 100_000,
        agent_down_time: 75,
        dhcp_agents_per_network: 1,
        allow_automatic_dhcp_failover: true,
      },
    },
  };
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlain(v) && isPlain(base[k]) ? merge(base[k] as Plain, v) : v;
  }
  return out;
}

/** Coerce an environment string to the type of the default it replaces. */
function coerce(sample: unknown, raw: string): unknown {
  if (typeof sample === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (typeof sample === 'boolean') return /^(1|true|yes|on)$/i.test(raw);
  if (Array.isArray(sample)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  return raw;
}

/**
 * CLOUDLET_A__B__C overrides a.b.c; a single underscore stays part of the key,
 * so CLOUDLET_NETWORK__ML2__VNI_RANGES maps to network.ml2.vni_ranges.
 * CLOUDLET_DATA_DIR, CLOUDLET_DATABASE_URL and CLOUDLET_LOG_LEVEL are top-level.
 */
export function envOverrides(env: NodeJS.ProcessEnv, defaults: Config): Plain {
  const out: Plain = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CLOUDLET_') || raw === undefined || name === 'CLOUDLET_CONFIG') continue;
    const path = name.slice('CLOUDLET_'.length).toLowerCase().split('__');
    let sample: unknown = defaults;
    for (const p of path) sample = isPlain(sample) ? sample[p] : undefined;
    if (sample === undefined || isPlain(sample)) continue;
    let node = out;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Plain;
    node[path[path.length - 1]] = coerce(sample, raw);
  }
  return out;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** command-line flags: the last word */
  overrides?: { data_dir?: string; port?: number; database_url?: string };
}

/** Defaults, then the YAML file, then CLOUDLET_* variables, then flags. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const defaults = defaultConfig();
  let cfg = defaults as unknown as Plain;
  const explicit = opts.file ?? env.CLOUDLET_CONFIG;
  const file = explicit ?? '/etc/cloudlet/cloudlet.yaml';
  if (existsSync(file)) {
    const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (doc !== null && !isPlain(doc)) throw new Error(`${file}: expected a mapping at the top level`);
    if (doc) cfg = merge(cfg, doc);
  } else if (explicit) {
    // a file named on purpose must exist; only the default location may be absent
    throw new Error(`configuration file ${explicit} does not exist`);
  }
  cfg = merge(cfg, envOverrides(env, defaults));
  const out = cfg as unknown as Config;
  const o = opts.overrides ?? {};
  if (o.data_dir) out.data_dir = o.data_dir;
  if (o.database_url) out.database_url = o.database_url;
  if (o.port !== undefined) out.network.port = o.port;
  out.data_dir = resolve(out.data_dir);
  return out;
}
