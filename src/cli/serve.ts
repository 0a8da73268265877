import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import type { Logger } from '../common/logging.js';
import { loggerFor, run, stopOnSignals } from './process.js';
import type { TokenValidator } from '../network/api/keystone-auth.js';
import { checkSecretFiles } from './secret-files.js';
import { publicUrl } from './urls.js';
import type { Schema } from '../schema.js';

// where they lived before: the commands that import them from here keep working
export { loggerFor, run, stopOnSignals };

export interface ServerFlags {
  config?: string;
  dataDir?: string;
  /** the network API's (`up`, `network serve`), the identity API's (`identity serve`) */
  port?: string;
  identityPort?: string;
  networkPort?: string;
  registryPort?: string;
  databaseUrl?: string;
  logFormat?: string;
}

/** the options every server command takes; `port` says whose port --port sets */
export function serverOptions(cmd: Command, port: string): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration file (default /etc/cloudlet/cloudlet.yaml, env CLOUDLET_CONFIG)')
    .option('--data-dir <dir>', 'where state is kept (env CLOUDLET_DATA_DIR)')
    .option('--port <n>', port)
    .option('--database-url <url>', 'postgres://… for PostgreSQL; SQLite under the data dir otherwise (env CLOUDLET_DATABASE_URL)')
    .option('--log-format <format>', 'text (readable lines), json (one object a line) or auto: text on a terminal, json otherwise', 'auto');
}

export function portNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`${flag}: not a port number: ${text}`);
  return port;
}

/** the configuration with the flags applied: --port and --network-port set the network API's port, --identity-port the identity API's */
export function configFrom(flags: ServerFlags): Config {
  const port = portNumber('--port', flags.port);
  const networkPort = portNumber('--network-port', flags.networkPort);
  if (port !== undefined && networkPort !== undefined && port !== networkPort) throw new Error('--port and --network-port name the same port: give one');
  const cfg = loadConfig({ file: flags.config, overrides: { data_dir: flags.dataDir, port: networkPort ?? port, database_url: flags.databaseUrl } });
  const identityPort = portNumber('--identity-port', flags.identityPort);
  if (identityPort !== undefined) cfg.identity.port = identityPort;
  return cfg;
}

/**
 * Starts the network API and returns a function that stops it cleanly. With the
 * keystone strategy (the default), tokens are checked by the identity service's
 * TokenService: the one `cloudlet up` runs, else one over the same data directory
 * (signing keys) and database (revocations).
 */
export async function serveNetwork(cfg: Config, log: Logger, tokens?: TokenValidator): Promise<{ url: string; stop(): Promise<void> }> {
  // loaded when served: `registry serve` should not carry the network service in memory
  const { migrate, openDatabase } = await import('../common/db/index.js');
  const { migrations } = await import('../schema.js');
  const { createNetworkServer } = await import('../network/server.js');
  const { noAuth } = await import('../network/api/auth.js');
  const { keystoneAuth } = await import('../network/api/keystone-auth.js');
  const database = await openDatabase<Schema>(cfg);
  await migrate(database, migrations);
  let auth = noAuth;
  const stops: Array<() => void> = [];
  if (cfg.network.auth_strategy === 'keystone') {
    let validator = tokens;
    if (!validator) {
      const { REVOCATION_REFRESH_MS, TokenService } = await import('../identity/tokens.js');
      const own = await TokenService.open(cfg.data_dir, cfg.identity.token_expiration, database.db);
      stops.push(own.refreshEvery(database.db, REVOCATION_REFRESH_MS, (err) => log.warn({ err }, 'revocation refresh failed')));
      validator = own;
    }
    auth = keystoneAuth(validator, publicUrl(cfg, cfg.identity.host, cfg.identity.port));
  } else {
    log.warn('auth_strategy noauth: every request is an admin (development only)');
  }
  const { app } = await createNetworkServer(cfg, database, log, auth);
  await app.listen({ host: cfg.network.host, port: cfg.network.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.network.port;
  const url = publicUrl(cfg, cfg.network.host, port);
  log.info({ url, database: database.dialect, dataDir: cfg.data_dir, auth: cfg.network.auth_strategy }, 'network API listening');
  return {
    url,
    async stop() {
      for (const stop of stops) stop();
      // a connection still busy after a grace (an agent's kept-alive request) is cut, as a server's shutdown timeout
      const force = setTimeout(() => app.server.closeAllConnections(), 2000);
      await app.close();
      clearTimeout(force);
      await database.close();
    },
  };
}

/** A `serve` command's action: one service with its logger, the check of the secrets' modes, stopped by a signal. */
export const serveAction = (service: string, config: (flags: ServerFlags) => Config, start: (cfg: Config, log: Logger) => Promise<{ stop(): Promise<void> }>) =>
  run(async (flags: ServerFlags) => {
    const cfg = config(flags);
    const log = loggerFor(flags, cfg.log_level, service);
    const running = await start(cfg, log);
    checkSecretFiles(cfg, log);
    stopOnSignals([running.stop]);
  });

