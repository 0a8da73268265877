// Group commit on SQLite: concurrent transactions share one COMMIT, a failing
// one is rolled back alone, and none is answered before another connection
// can read what it wrote (it is committed, not merely done).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { migrate, openDatabase } from '../../src/common/db/index.js';
import { GroupCommitter } from '../../src/common/db/group-commit.js';
import { migrations, type Schema } from '../../src/schema.js';

test('grouped transactions commit together, fail alone, and are answered only once durable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-gc-'));
  const database = await openDatabase<Schema>({ data_dir: dir, database_url: '' });
  await migrate(database, migrations);
  const other = new SQLite(join(dir, 'cloudlet.sqlite'), { readonly: true });
  const seenByOther = (id: string) => other.prepare('SELECT count(*) AS n FROM tags WHERE resource_id = ?').get(id) as { n: number };
  try {
    const gc = new GroupCommitter(database.db);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => gc.run(async (tx) => {
      await tx.insertInto('tags').values({ resource_id: `r${i}`, tag: 'a' }).execute();
      await tx.insertInto('tags').values({ resource_id: `r${i}`, tag: 'b' }).execute();
      if (i % 5 === 0) throw new Error(`job ${i} fails after writing`);
      return i;
    }).then((v) => {
      // the moment a job is answered, a separate connection already reads its rows
      assert.equal(seenByOther(`r${i}`).n, 2, `job ${i} answered before its commit was visible`);
      return v;
    })));
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(ok.length, 40);
    assert.equal(failed.length, 10);
    for (const f of failed) assert.match(String((f as PromiseRejectedResult).reason), /fails after writing/);
    const rows = await database.db.selectFrom('tags').select('resource_id').execute();
    assert.equal(rows.length, 80, 'only the successful jobs left rows');
    assert.ok(rows.every((r) => Number(r.resource_id.slice(1)) % 5 !== 0), 'a failed job left a row');
    // a unique violation inside one job is that job's error only
    const dup = await Promise.allSettled([
      gc.run((tx) => tx.insertInto('tags').values({ resource_id: 'r1', tag: 'a' }).execute()),
      gc.run((tx) => tx.insertInto('tags').values({ resource_id: 'z', tag: 'a' }).execute()),
    ]);
    assert.equal(dup[0].status, 'rejected');
    assert.equal(dup[1].status, 'fulfilled');
  } finally {
    other.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
