// `cloudlet identity …`, and the identity service's part of `cloudlet up`.
import { Command } from 'commander';
import type { Config } from '../config.js';
import type { Logger } from '../common/logging.js';
import type { TokenService } from '../identity/tokens.js';
import type { RegistryConfig } from '../registry/config.js';
import { registryConfigFrom } from './registry.js';
import { publicUrl } from './urls.js';
import { configFrom, run, serveAction, serverOptions, type ServerFlags } from './serve.js';
import type { Schema } from '../schema.js';

export const BOOTSTRAP_PASSWORD_ENV = 'CLOUDLET_BOOTSTRAP_PASSWORD';

export interface RunningIdentity {
  stop(): Promise<void>;
  tokens: TokenService;
  /** e.g. http://127.0.0.1:35357 (the Keystone API is under /v3) */
  url: string;
  /** the admin user's password, only on the run that created it (CLOUDLET_BOOTSTRAP_PASSWORD, else generated) */
  adminPassword?: string;
}

/** the catalog URLs of cloudlet's services, as this configuration serves them */
export function serviceUrls(cfg: Config, identityUrl: string, registry: RegistryConfig): { identity: string; network: string; registry: string } {
  return {
    identity: identityUrl,
    network: publicUrl(cfg, cfg.network.host, cfg.network.port),
    registry: publicUrl(cfg, registry.host, registry.port, registry.tls ? 'https' : 'http'),
  };
}

/**
 * Opens the database, migrates, bootstraps (catalog URLs included) and listens. The
 * registry's catalog entry follows its own settings (REGISTRY_HTTP_ADDR, TLS).
 */
export async function serveIdentity(cfg: Config, log: Logger, registry: RegistryConfig = registryConfigFrom({}, cfg.data_dir)): Promise<RunningIdentity> {
  // loaded when served, like the other services
  const { migrate, openDatabase } = await import('../common/db/index.js');
  const { migrations } = await import('../schema.js');
  const { createIdentityServer } = await import('../identity/server.js');
  const { bootstrap } = await import('../identity/bootstrap.js');
  const database = await openDatabase<Schema>(cfg);
  try {
    await migrate(database, migrations);
    const { app, tokens } = await createIdentityServer(cfg, database, log);
    await app.listen({ host: cfg.identity.host, port: cfg.identity.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.identity.port;
    const url = publicUrl(cfg, cfg.identity.host, port);
    const given = process.env[BOOTSTRAP_PASSWORD_ENV];
    const { adminPassword, created } = await bootstrap(database, cfg, serviceUrls(cfg, url, registry), { adminPassword: given });
    // a later start does not reset the password (a unit file keeping the variable would undo every change made since)
    if (given && !created) log.warn(`${BOOTSTRAP_PASSWORD_ENV} is set, but the admin user exists and keeps its password: run cloudlet identity bootstrap to reset it`);
    log.info({ url, database: database.dialect, dataDir: cfg.data_dir }, 'identity API listening');
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

/** A generated password is printed on a terminal only; one from the environment is shown by name, anywhere. */
export function printablePassword(password: string | undefined): boolean {
  return process.stdout.isTTY === true || (password !== undefined && shownPassword(password) !== password);
}

/** what to show of a password set by this run: never one the operator chose (it would land in terminal logs) */
export function shownPassword(password: string): string {
  return process.env[BOOTSTRAP_PASSWORD_ENV] === password ? `(from ${BOOTSTRAP_PASSWORD_ENV})` : password;
}

/** cloudlet's configuration with --port applying to the identity service */
function identityConfig(flags: ServerFlags): Config {
  return configFrom({ ...flags, port: undefined, identityPort: flags.identityPort ?? flags.port });
}

/** The `identity` command group (main.ts adds `bootstrap`). */
export function identityCommand(): Command {
  const identity = new Command('identity').description('the Keystone v3-compatible identity service');
  serverOptions(identity.command('serve').description('serve the Identity API v3 (default port 35357)'), "the identity API's port (default 35357)").action(
    serveAction('identity', identityConfig, async (cfg, log) => {
      const running = await serveIdentity(cfg, log);
      // once, on a terminal only: a service's stdout elsewhere usually ends in a journal (never logged)
      if (running.adminPassword) {
        process.stdout.write(printablePassword(running.adminPassword)
          ? `created user admin (domain Default, project admin) with password: ${shownPassword(running.adminPassword)}\n`
          : 'created user admin (domain Default, project admin); its password is printed only on a terminal: cloudlet identity bootstrap --password P sets one\n');
      }
      return running;
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
