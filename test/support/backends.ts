// Database backends for the test suite: SQLite always, PostgreSQL when
// CLOUDLET_TEST_DATABASE_URL names an admin connection (see
// test/support/postgres.sh). Under CI, PostgreSQL is mandatory.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** make a fresh empty database; returns the settings to pass to cloudlet and a cleanup */
  fresh(): Promise<{ databaseUrl: string | undefined; dataDir: string; cleanup(): Promise<void> }>;
}

const ENV = 'CLOUDLET_TEST_DATABASE_URL';

// A test that fails between fresh() and its cleanup (an assertion before a finally is set up, a
// start that throws) must not leave its directory in /tmp: what is still there at exit is removed.
const live = new Set<string>();
process.once('exit', () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
});

async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudlet-test-'));
  live.add(dir);
  return dir;
}

async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dataDir = await tempDataDir();
    return {
      databaseUrl: undefined,
      dataDir,
      cleanup: () => removeDataDir(dataDir),
    };
  },
};

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function postgres(adminUrl: string): Backend {
  return {
    name: 'postgres',
    async fresh() {
      const dbName = `cloudlet_test_${randomBytes(8).toString('hex')}`;
      await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
      const url = new URL(adminUrl);
      url.pathname = `/${dbName}`;
      const dataDir = await tempDataDir();
      return {
        databaseUrl: url.toString(),
        dataDir,
        async cleanup() {
          try {
            await withAdmin(adminUrl, async (c) => {
              // pg's pool.end() resolves once Terminate is sent, not once the server has let the
              // backends go: FORCE would kill one still closing, and its client, already out of the
              // pool, emits the FATAL as an uncaught 'error'. So wait (a while) for them to leave.
              for (let i = 0; i < 100; i++) {
                const r = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [dbName]);
                if (r.rows[0].n === 0) break;
                await new Promise((res) => setTimeout(res, 20));
              }
              await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
            });
          } finally {
            await removeDataDir(dataDir);
          }
        },
      };
    },
  };
}

/** The backends to run each database test against: sqlite first, then postgres if configured. */
export function backends(): Backend[] {
  const url = process.env[ENV];
  if (!url) {
    if (process.env.CI) {
      throw new Error(
        `${ENV} is not set: CI must run the suite against PostgreSQL too; see test/support/postgres.sh`,
      );
    }
    return [sqlite];
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`${ENV} must be a postgres:// URL, got ${JSON.stringify(url)}`);
  }
  return [sqlite, postgres(url)];
}

/** Throw a clear error when `cmd` is not an executable on PATH. */
export function requireTool(cmd: string, pkg: string): void {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${cmd} not found: install Debian package ${pkg} (npm test as root installs it)`);
}
