// `cloudlet identity …`, and the identity service's part of `cloudlet up`.
import { Command } from 'commander';
import type { Config } from '../common/config.js';
import { createLogger, type Logger } from '../common/logging.js';
import type { TokenService } from '../identity/tokens.js';
import { cloudsYamlPath, writeCloudEntry } from './clouds-yaml.js';
import type { RegistryConfig } from '../registry/config.js';
import { registryConfigFrom } from './registry.js';
import { publicUrl } from './urls.js';
import { configFrom, run, stopOnSignals, type ServerFlags } from './serve.js';

export interface RunningIdentity {
  stop(): Promise<void>;
  tokens: TokenService;
  /** e.g. http://127.0.0.1:35357 (the Keystone API is under /v3) */
  url: string;
  /** the admin user's password, only on the run that created it (CLOUDLET_BOOTSTRAP_PASSWORD, else generated) */
  adminPassword?: string;
}

/**
 * Opens the database, migrates, bootstraps (catalog URLs included) and listens. The
 * registry's catalog entry follows its own settings (REGISTRY_HTTP_ADDR, TLS).
 */
export async function serveIdentity(cfg: Config, log: Logger, registry: RegistryConfig = registryConfigFrom({}, cfg.data_dir)): Promise<RunningIdentity> {
  // loaded when served, like the other services
  const { migrate, openDatabase } = await import('../common/db/index.js');
  const { createIdentityServer } = await import('../identity/server.js');
  const { bootstrap } = await import('../identity/bootstrap.js');
  const database = await openDatabase(cfg);
  try {
    await migrate(database);
    const { app, tokens } = await createIdentityServer(cfg, database, log);
    await app.listen({ host: cfg.identity.host, port: cfg.identity.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.identity.port;
    const url = publicUrl(cfg, cfg.identity.host, port);
    const { adminPassword } = await bootstrap(database, cfg, {
      identity: url,
      network: publicUrl(cfg, cfg.network.host, cfg.network.port),
      registry: publicUrl(cfg, registry.host, registry.port, registry.tls ? 'https' : 'http'),
    }, { adminPassword: process.env.CLOUDLET_BOOTSTRAP_PASSWORD });
    log.info({ service: 'identity', url, database: database.dialect, dataDir: cfg.data_dir }, 'identity API listening');
    return {
      url,
      tokens,
      adminPassword,
      async stop() {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/**
 * On the run that created the admin user: the password, once, on the terminal
 * only (never logged; not repeated when it came from CLOUDLET_BOOTSTRAP_PASSWORD);
 * with `clouds`, also the clouds.yaml entry `cloudlet` that makes
 * `openstack --os-cloud cloudlet` work (`cloudlet up` writes it; `identity serve` does not).
 */
export function announceAdmin(running: RunningIdentity, cfg: Config, clouds: boolean): void {
  if (!running.adminPassword) return;
  const shown = process.env.CLOUDLET_BOOTSTRAP_PASSWORD ? '(from CLOUDLET_BOOTSTRAP_PASSWORD)' : running.adminPassword;
  process.stdout.write(`created user admin (domain Default, project admin) with password: ${shown}\n`);
  if (!clouds) return;
  const path = cloudsYamlPath();
  writeCloudEntry(path, 'cloudlet', {
    authUrl: `${running.url}/v3`,
    username: 'admin',
    password: running.adminPassword,
    projectName: 'admin',
    region: cfg.identity.region,
  });
  process.stdout.write(`wrote the cloud "cloudlet" to ${path}: try openstack --os-cloud cloudlet network list\n`);
}

/** cloudlet's configuration with --port applying to the identity service */
function identityConfig(flags: ServerFlags): Config {
  const cfg = configFrom({ ...flags, port: undefined });
  if (flags.port !== undefined) cfg.identity.port = configFrom({ port: flags.port }).network.port;
  return cfg;
}

/** The `identity` command group. */
export function identityCommand(): Command {
  const identity = new Command('identity').description('the Keystone v3-compatible identity service');
  identity
    .command('serve')
    .description('serve the Identity API v3 (default port 35357)')
    .option('-c, --config <file>', 'YAML configuration file (default /etc/cloudlet/cloudlet.yaml, env CLOUDLET_CONFIG)')
    .option('--data-dir <dir>', 'where state is kept (env CLOUDLET_DATA_DIR)')
    .option('--port <n>', 'port to listen on')
    .option('--database-url <url>', 'postgres://… for PostgreSQL; SQLite under the data dir otherwise (env CLOUDLET_DATABASE_URL)')
    .action(
      run(async (flags: ServerFlags) => {
        const cfg = identityConfig(flags);
        const running = await serveIdentity(cfg, createLogger(cfg.log_level));
        announceAdmin(running, cfg, false);
        stopOnSignals([running.stop]);
      }),
    );
  identity
    .command('rotate-keys')
    .description('make a new token signing key and delete the keys no unexpired token can need')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--data-dir <dir>', 'where state is kept (env CLOUDLET_DATA_DIR)')
    .action(
      run(async (flags: ServerFlags) => {
        const cfg = identityConfig(flags);
        const { rotateKeys } = await import('../identity/keys.js');
        const { created, pruned } = rotateKeys(cfg.data_dir, cfg.identity.token_expiration);
        process.stdout.write(`new signing key ${created}\n${pruned.map((k) => `pruned key ${k}\n`).join('')}`);
      }),
    );
  return identity;
}
