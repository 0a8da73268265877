import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { backends, requireTool } from './backends.js';

for (const backend of backends()) {
  test(`${backend.name}: fresh() makes an empty database and cleanup() removes it`, async () => {
    const db = await backend.fresh();
    assert.ok(statSync(db.dataDir).isDirectory());
    if (backend.name === 'sqlite') {
      assert.equal(db.databaseUrl, undefined);
    } else {
      assert.ok(db.databaseUrl);
      const dbName = new URL(db.databaseUrl).pathname.slice(1);
      assert.match(dbName, /^cloudlet_test_[0-9a-f]+$/);
      const client = new pg.Client({ connectionString: db.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ db: string; n: number }>(
          `SELECT current_database() AS db,
                  (SELECT count(*)::int FROM information_schema.tables WHERE table_schema = 'public') AS n`,
        );
        assert.deepEqual(rows[0], { db: dbName, n: 0 });
      } finally {
        await client.end();
      }
      await db.cleanup();
      const admin = new pg.Client({ connectionString: process.env.CLOUDLET_TEST_DATABASE_URL });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
        assert.equal(rowCount, 0, `${dbName} still exists after cleanup`);
      } finally {
        await admin.end();
      }
    }
    await db.cleanup(); // idempotent
    assert.equal(existsSync(db.dataDir), false);
  });
}

test('backends() refuses to run without PostgreSQL under CI', () => {
  const saved = { ci: process.env.CI, url: process.env.CLOUDLET_TEST_DATABASE_URL };
  try {
    process.env.CI = 'true';
    delete process.env.CLOUDLET_TEST_DATABASE_URL;
    assert.throws(backends, /CLOUDLET_TEST_DATABASE_URL is not set/);
  } finally {
    for (const [k, v] of [['CI', saved.ci], ['CLOUDLET_TEST_DATABASE_URL', saved.url]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('requireTool() names the Debian package when a command is missing', () => {
  requireTool('sh', 'dash');
  assert.throws(
    () => requireTool('cloudlet-no-such-tool', 'cloudlet-pkg'),
    { message: 'cloudlet-no-such-tool not found: install Debian package cloudlet-pkg (npm test as root installs it)' },
  );
});
