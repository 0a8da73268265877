// cloudlet's configuration (cloudlet.yaml, CLOUDLET_* variables, flags): the whole
// declaration, put together from the services' own sections as src/schema.ts puts
// their migrations together. The loading mechanism is src/common/config.ts.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDeclared, type Declaration, type LoadOptions } from './common/config.js';
import { defaultsOf, option, type Infer, type Shape } from './common/config-schema.js';
import { IDENTITY_CONFIG } from './identity/config.js';
import { NETWORK_CONFIG } from './network/config.js';

/** the one declaration of cloudlet's options */
export const CONFIG = {
  data_dir: option.string(() => join(homedir(), '.local', 'share', 'cloudlet')),
  /** postgres://… selects PostgreSQL; empty means SQLite under data_dir */
  database_url: option.string(''),
  /** pino's levels */
  log_level: option.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
  identity: IDENTITY_CONFIG,
  network: NETWORK_CONFIG,
} as const satisfies Shape;

export type Config = Infer<typeof CONFIG>;

export const defaultConfig = (): Config => defaultsOf(CONFIG);

const FLAGS = { data_dir: ['--data-dir', ['data_dir']], port: ['--port', ['network', 'port']], database_url: ['--database-url', ['database_url']] } as const;

const DECLARATION: Declaration<typeof CONFIG> = {
  shape: CONFIG,
  // CLOUDLET_* variables that are not options
  notOptions: new Set(['CLOUDLET_CONFIG', 'CLOUDLET_BOOTSTRAP_PASSWORD', 'CLOUDLET_ENTRY', 'CLOUDLET_PID']),
  flags: FLAGS,
};

export type ConfigLoadOptions = LoadOptions<keyof typeof FLAGS> & { overrides?: { data_dir?: string; port?: number; database_url?: string } };

/** Defaults, then the YAML file, then CLOUDLET_* variables, then flags; each checked against CONFIG. */
export function loadConfig(opts: ConfigLoadOptions = {}): Config {
  const out = loadDeclared(DECLARATION, opts);
  // ~/… as the README writes it, and as a shell would expand it
  out.data_dir = resolve(out.data_dir.replace(/^~(?=\/|$)/, homedir()));
  return out;
}
