// Starts cloudlet's identity API in-process on a free loopback port, on a
// fresh, bootstrapped database of the given backend.
import { defaultConfig, type Config } from '../../src/config.js';
import { migrate, openDatabase, type Database } from '../../src/common/db/index.js';
import { createLogger } from '../../src/common/logging.js';
import { bootstrap } from '../../src/identity/bootstrap.js';
import { createIdentityServer, type IdentityServer } from '../../src/identity/server.js';
import type { Backend } from './backends.js';
import { jsonCaller, type Reply } from './json-call.js';
import { migrations, type Schema } from '../../src/schema.js';

export type { Reply } from './json-call.js';

export interface RunningIdentity {
  url: string;
  cfg: Config;
  database: Database<Schema>;
  server: IdentityServer;
  adminPassword: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** a token for `user` (admin by default) scoped to project `project` (admin by default) */
  login(opts?: { user?: string; password?: string; project?: string | null; domain?: string }): Promise<string>;
  /** stops the server, keeps data dir and database (for restart tests) */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startIdentity(
  backend: Backend,
  tune: (cfg: Config) => void = () => {},
  reuse?: { fresh: Awaited<ReturnType<Backend['fresh']>>; adminPassword: string },
): Promise<RunningIdentity & { fresh: Awaited<ReturnType<Backend['fresh']>> }> {
  const fresh = reuse?.fresh ?? (await backend.fresh());
  const cfg = defaultConfig();
  cfg.data_dir = fresh.dataDir;
  cfg.database_url = fresh.databaseUrl ?? '';
  cfg.log_level = process.env.CLOUDLET_TEST_LOG_LEVEL ?? 'silent';
  cfg.identity.port = 0;
  // the lowest bcrypt cost: tests hash many passwords
  cfg.identity.password_hash_rounds = 4;
  tune(cfg);
  const log = createLogger(cfg.log_level);
  let database: Database<Schema> | undefined;
  let server: IdentityServer | undefined;
  let url: string;
  let adminPassword: string | undefined;
  try {
    database = await openDatabase<Schema>(cfg);
    await migrate(database, migrations);
    server = await createIdentityServer(cfg, database, log);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    ({ adminPassword } = await bootstrap(database, cfg, { identity: url, network: 'http://127.0.0.1:9696', registry: 'http://127.0.0.1:5000' }));
  } catch (err) {
    // the caller never gets close(): nothing it made may stay behind
    await server?.app.close();
    await database?.close();
    if (!reuse) await fresh.cleanup();
    throw err;
  }
  const password = reuse?.adminPassword ?? adminPassword!;
  const call: RunningIdentity['call'] = jsonCaller(url);
  const stop = async () => {
    await server!.app.close();
    await database!.close();
  };
  return {
    url,
    cfg,
    database,
    server,
    fresh,
    adminPassword: password,
    call,
    async login(opts = {}) {
      const scope = opts.domain
        ? { domain: { id: opts.domain } }
        : opts.project === null
          ? undefined
          : { project: { name: opts.project ?? 'admin', domain: { id: 'default' } } };
      const r = await call('POST', '/v3/auth/tokens', {
        auth: {
          identity: { methods: ['password'], password: { user: { name: opts.user ?? 'admin', domain: { id: 'default' }, password: opts.password ?? password } } },
          ...(scope ? { scope } : {}),
        },
      });
      if (r.status !== 201) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.headers.get('x-subject-token')!;
    },
    stop,
    async close() {
      await stop();
      await fresh.cleanup();
    },
  };
}
