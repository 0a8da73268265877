// Starts cloudlet's network API in-process on a free loopback port, on a
// fresh database of the given backend; tests talk to it over real HTTP.
import { defaultConfig, type Config } from '../../src/config.js';
import { migrate, openDatabase, type Database } from '../../src/common/db/index.js';
import { createLogger } from '../../src/common/logging.js';
import type { AuthStrategy } from '../../src/network/api/auth.js';
import { createNetworkServer, type NetworkServer } from '../../src/network/server.js';
import type { Backend } from './backends.js';
import { jsonCaller } from './json-call.js';
import { migrations, type Schema } from '../../src/schema.js';

export interface RunningNetwork {
  url: string;
  cfg: Config;
  database: Database<Schema>;
  server: NetworkServer;
  /** JSON request helper: returns status, parsed body and headers */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startNetwork(backend: Backend, tune: (cfg: Config) => void = () => {}, auth?: AuthStrategy): Promise<RunningNetwork> {
  const fresh = await backend.fresh();
  const cfg = defaultConfig();
  cfg.data_dir = fresh.dataDir;
  cfg.database_url = fresh.databaseUrl ?? '';
  cfg.log_level = process.env.CLOUDLET_TEST_LOG_LEVEL ?? 'silent';
  cfg.network.port = 0;
  tune(cfg);
  const log = createLogger(cfg.log_level);
  let database: Database<Schema> | undefined;
  let server: NetworkServer;
  try {
    database = await openDatabase<Schema>(cfg);
    await migrate(database, migrations);
    server = await createNetworkServer(cfg, database, log, auth);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    // the caller never gets close(): nothing it made may stay behind
    await database?.close();
    await fresh.cleanup();
    throw err;
  }
  const addr = server.app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    cfg,
    database,
    server,
    call: jsonCaller(url),
    async close() {
      await server.app.close();
      await database.close();
      await fresh.cleanup();
    },
  };
}

export interface SiblingNetwork {
  url: string;
  database: Database<Schema>;
  call: RunningNetwork['call'];
  /** stops it; the database stays (it is the first server's) */
  close(): Promise<void>;
}

/** Another server process on the first one's database, as a second API server would be: its own pool, caches and listeners. */
export async function startSibling(first: RunningNetwork, auth?: AuthStrategy): Promise<SiblingNetwork> {
  const cfg = structuredClone(first.cfg);
  const database = await openDatabase<Schema>(cfg);
  let server: NetworkServer;
  try {
    server = await createNetworkServer(cfg, database, createLogger(cfg.log_level), auth);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await database.close();
    throw err;
  }
  const addr = server.app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    database,
    call: jsonCaller(url),
    async close() {
      await server.app.close();
      await database.close();
    },
  };
}
