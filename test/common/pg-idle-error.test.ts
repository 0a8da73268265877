// A PostgreSQL server that ends cloudlet's idle connections (a restart, a failover,
// pg_terminate_backend) must not end cloudlet: the next query gets a new connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openDatabase } from '../../src/common/db/index.js';
import { backends } from '../support/backends.js';

const postgres = backends().find((b) => b.name === 'postgres');

test('postgres: idle connections ended by the server do not end the process; the next query reconnects', { skip: !postgres && 'needs PostgreSQL (CLOUDLET_TEST_DATABASE_URL; CI sets it)' }, async () => {
  const fresh = await postgres!.fresh();
  const database = await openDatabase({ data_dir: fresh.dataDir, database_url: fresh.databaseUrl! });
  const admin = new pg.Client({ connectionString: process.env.CLOUDLET_TEST_DATABASE_URL });
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    await admin.connect();
    const one = async () => (await database.db.selectNoFrom((eb) => eb.lit(1).as('x')).execute())[0];
    assert.deepEqual(await one(), { x: 1 });
    const dbName = new URL(fresh.databaseUrl!).pathname.slice(1);
    const killed = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1', [dbName]);
    assert.ok(killed.rows.length >= 1, 'the pool held a connection to end');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(uncaught.map((e) => e.message), []);
    assert.deepEqual(await one(), { x: 1 });
  } finally {
    process.off('uncaughtException', onUncaught);
    await admin.end();
    await database.close();
    await fresh.cleanup();
  }
});
