import { loadConfig, type Config } from '../common/config.js';
import { createLogger } from '../common/logging.js';

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

/** Starts the network API and returns a function that stops it cleanly. */
export async function serveNetwork(cfg: Config): Promise<() => Promise<void>> {
  // loaded when served: `registry serve` should not carry the network service in memory
  const { migrate, openDatabase } = await import('../common/db/index.js');
  const { createNetworkServer } = await import('../network/server.js');
  const log = createLogger(cfg.log_level);
  const database = await openDatabase(cfg);
  await migrate(database);
  const { app } = await createNetworkServer(cfg, database, log);
  await app.listen({ host: cfg.network.host, port: cfg.network.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.network.port;
  log.info({ service: 'network', url: `http://${cfg.network.host}:${port}`, database: database.dialect, dataDir: cfg.data_dir }, 'network API listening');
  return async () => {
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
