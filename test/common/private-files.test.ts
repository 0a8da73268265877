// Secrets on disk are readable by their owner only, whatever the umask: the
// data directory 0700, the SQLite database and its -wal/-shm files, signing and
// credential keys 0600; a start-up check names anything others can reach, as
// ssh's "UNPROTECTED PRIVATE KEY FILE" does, without changing its mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { checkSecretFiles, secretPaths } from '../../src/cli/secret-files.js';
import { defaultConfig } from '../../src/config.js';
import { migrate, openDatabase } from '../../src/common/db/index.js';
import { makePrivateDir, makePrivateFile, warnTooOpen } from '../../src/common/private-files.js';
import { credentialKeys } from '../../src/identity/credential-keys.js';
import { ensureKeys, keyDir } from '../../src/identity/keys.js';
import { backends } from '../support/backends.js';
import { migrations } from '../../src/schema.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

/** runs `fn` under umask 000, the worst case: every mode must come from cloudlet, not the umask */
async function openUmask<T>(fn: () => Promise<T> | T): Promise<T> {
  const old = process.umask(0);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

/** a logger whose entries are kept for the assertions */
function recordingLogger(): { log: pino.Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      entries.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), entries };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-modes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('makePrivateDir and makePrivateFile: 0700 and 0600 under umask 000; existing ones are left as they are', async (t) => {
  const base = tempDir(t);
  await openUmask(() => {
    makePrivateDir(join(base, 'a', 'data'));
    makePrivateFile(join(base, 'a', 'data', 'secret'));
  });
  assert.equal(mode(join(base, 'a', 'data')), 0o700);
  assert.equal(mode(join(base, 'a', 'data', 'secret')), 0o600);
  chmodSync(join(base, 'a', 'data', 'secret'), 0o640);
  makePrivateFile(join(base, 'a', 'data', 'secret'));
  assert.equal(mode(join(base, 'a', 'data', 'secret')), 0o640, 'not changed: the operator may have meant it');
});

for (const backend of backends()) {
  test(`a new data directory: 0700, the database, its -wal/-shm and the keys 0600, under umask 000 (${backend.name})`, async (t) => {
    const fresh = await backend.fresh();
    t.after(() => fresh.cleanup());
    const cfg = defaultConfig();
    cfg.data_dir = join(fresh.dataDir, 'data');
    cfg.database_url = fresh.databaseUrl ?? '';
    const database = await openUmask(() => openDatabase(cfg));
    try {
      await migrate(database, migrations);
      await openUmask(() => {
        ensureKeys(cfg.data_dir);
        credentialKeys(cfg.data_dir).seal('x', 'id');
      });
      // the key modules make the data directory themselves when PostgreSQL holds the state
      assert.equal(mode(cfg.data_dir), 0o700);
      const paths = secretPaths(cfg);
      if (backend.name === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) {
          const file = join(cfg.data_dir, `cloudlet.sqlite${suffix}`);
          assert.ok(existsSync(file), `${file} exists while the database is open`);
          assert.ok(paths.includes(file));
          assert.equal(mode(file), 0o600, file);
        }
      }
      assert.ok(paths.some((p) => p.startsWith(keyDir(cfg.data_dir)) && p.endsWith('.pem')));
      assert.ok(paths.some((p) => p.endsWith('.key')));
      for (const p of paths) assert.equal(mode(p) & 0o077, 0, p);
      const { log, entries } = recordingLogger();
      checkSecretFiles(cfg, log);
      assert.deepEqual(entries, [], 'nothing to warn about');
    } finally {
      await database.close();
    }
  });
}

test('pre-existing files others can read are named in a warning with their mode, and left as they are', async (t) => {
  const cfg = defaultConfig();
  cfg.data_dir = tempDir(t);
  chmodSync(cfg.data_dir, 0o755);
  const db = join(cfg.data_dir, 'cloudlet.sqlite');
  writeFileSync(db, '', { mode: 0o644 });
  chmodSync(db, 0o644);
  ensureKeys(cfg.data_dir);
  const [, pem] = secretPaths(cfg).filter((p) => p.endsWith('.pem') || p === keyDir(cfg.data_dir));
  chmodSync(pem!, 0o640);
  const clouds = join(cfg.data_dir, 'clouds.yaml');
  writeFileSync(clouds, 'clouds: {}\n');
  chmodSync(clouds, 0o604);
  const { log, entries } = recordingLogger();
  checkSecretFiles(cfg, log, [clouds, undefined, join(cfg.data_dir, 'missing')]);
  const named = entries.map((e) => [e.file, e.mode, e.level]);
  assert.deepEqual(named, [
    [cfg.data_dir, '0755', 40],
    [db, '0644', 40],
    [pem, '0640', 40],
    [clouds, '0604', 40],
  ]);
  assert.match(String(entries[1]!.msg), /UNPROTECTED PRIVATE FILE: .*cloudlet\.sqlite \(mode 0644\).*chmod 600 /);
  assert.match(String(entries[0]!.msg), /UNPROTECTED PRIVATE DIRECTORY: .*chmod 700 /);
  assert.equal(mode(db), 0o644, 'warned about, not changed');
  assert.equal(mode(cfg.data_dir), 0o755);
  assert.deepEqual(warnTooOpen([], log), []);
});
