import { loadConfig, type Config } from '../common/config.js';
import { createLogger } from '../common/logging.js';
import type { TokenValidator } from '../network/api/keystone-auth.js';
import { publicUrl } from './urls.js';

export interface ServerFlags {
  config?: string;
  dataDir?: string;
  port?: string;
  databaseUrl?: string;
}

export function configFrom(flags: ServerFlags): Config {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`--port: not a port number: ${flags.port}`);
  return loadConfig({ file: flags.config, overrides: { data_dir: flags.dataDir, port, database_url: flags.databaseUrl } });
}

/**
 * Starts the network API and returns a function that stops it cleanly. With the
 * keystone strategy (the default), tokens are checked by the identity service's
 * TokenService: the one `cloudlet up` runs, else one over the same data directory
 * (signing keys) and database (revocations).
 */
export async function serveNetwork(cfg: Config, tokens?: TokenValidator): Promise<() => Promise<void>> {
  // loaded when served: `registry serve` should not carry the network service in memory
  const { migrate, openDatabase } = await import('../common/db/index.js');
  const { createNetworkServer } = await import('../network/server.js');
  const { noAuth } = await import('../network/api/auth.js');
  const { keystoneAuth } = await import('../network/api/keystone-auth.js');
  const log = createLogger(cfg.log_level);
  const database = await openDatabase(cfg);
  await migrate(database);
  const strategy: string = cfg.network.auth_strategy;
  if (strategy !== 'keystone' && strategy !== 'noauth') throw new Error(`network.auth_strategy: expected keystone or noauth, got ${JSON.stringify(strategy)}`);
  let auth = noAuth;
  const stops: Array<() => void> = [];
  if (strategy === 'keystone') {
    let validator = tokens;
    if (!validator) {
      const { REVOCATION_REFRESH_MS, TokenService } = await import('../identity/tokens.js');
      const own = await TokenService.open(cfg.data_dir, cfg.identity.token_expiration, database.db);
      stops.push(own.refreshEvery(database.db, REVOCATION_REFRESH_MS, (err) => log.warn({ err }, 'revocation refresh failed')));
      validator = own;
    }
    auth = keystoneAuth(validator, publicUrl(cfg, cfg.identity.host, cfg.identity.port));
  } else {
    log.warn({ service: 'network' }, 'auth_strategy noauth: every request is an admin (development only)');
  }
  const { app } = await createNetworkServer(cfg, database, log, auth);
  await app.listen({ host: cfg.network.host, port: cfg.network.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.network.port;
  log.info(
    { service: 'network', url: `http://${cfg.network.host}:${port}`, database: database.dialect, dataDir: cfg.data_dir, auth: cfg.network.auth_strategy },
    'network API listening',
  );
  return async () => {
    for (const stop of stops) stop();
    await app.close();
    await database.close();
  };
}

/** A command's action: errors end the process with a one-line message, the same for every command. */
export const run =
  <T>(fn: (flags: T) => Promise<void>) =>
  async (flags: T): Promise<void> => {
    try {
      await fn(flags);
    } catch (err) {
      process.stderr.write(`cloudlet: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };

/** Stops the servers on SIGINT/SIGTERM. */
export function stopOnSignals(stops: Array<() => Promise<void>>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const s of stops) await s().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
