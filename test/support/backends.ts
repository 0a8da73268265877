// Database backends for the test suite: SQLite always, PostgreSQL when
// CLOUDLET_TEST_DATABASE_URL names an admin connection (see
// test/support/postgres.sh). Under CI, PostgreSQL is mandatory.
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
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

function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cloudlet-test-'));
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dataDir = await tempDataDir();
    return {
      databaseUrl: undefined,
      dataDir,
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
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
            await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
          } finally {
            await rm(dataDir, { recursive: true, force: true });
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
