// A migration that fails half-way leaves nothing behind, on both databases:
// PostgreSQL runs Kysely's migrations in a transaction, and cloudlet's migrate()
// makes SQLite's (DDL included) all-or-nothing too. A table rebuild such as
// 0007's (copy, drop, rename) must not lose rows to a crash in its middle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { migrate, openDatabase } from '../../src/common/db/index.js';
import { backends } from '../support/backends.js';

for (const backend of backends()) {
  test(`a failing migration changes nothing, on ${backend.name}`, async () => {
    const fresh = await backend.fresh();
    const database = await openDatabase({ data_dir: fresh.dataDir, database_url: fresh.databaseUrl ?? '' });
    try {
      await migrate(database, {
        '0001_keep': { up: async (db: Kysely<any>) => { await db.schema.createTable('kept').addColumn('id', 'integer').execute(); await db.insertInto('kept').values({ id: 1 }).execute(); } },
      });
      const rebuildThenFail = {
        up: async (db: Kysely<any>) => {
          await db.schema.createTable('kept_new').addColumn('id', 'integer').execute();
          await db.insertInto('kept_new').expression(db.selectFrom('kept').select('id')).execute();
          await db.schema.dropTable('kept').execute();
          throw new Error('power cut');
        },
      };
      await assert.rejects(migrate(database, { '0001_keep': { up: async () => {} }, '0002_rebuild': rebuildThenFail }), /0002_rebuild failed: Error: power cut/);
      const rows = await sql<{ id: number }>`select id from kept`.execute(database.db);
      assert.deepEqual(rows.rows.map((r) => Number(r.id)), [1], 'the dropped table is back with its rows');
      await assert.rejects(sql`select id from kept_new`.execute(database.db), 'the half-made table is gone');
    } finally {
      await database.close();
      await fresh.cleanup();
    }
  });
}
