import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteAdapter, SqliteDialect, type DialectAdapter, type Migration } from 'kysely';
import { makePrivateDir, makePrivateFile } from '../private-files.js';
import { sqliteFile, type DatabaseLocation } from './sqlite-file.js';

export type Dialect = 'sqlite' | 'postgres';

/** One database shared by the services; S is the schema its opener sees (each service its own tables). */
export interface Database<S> {
  db: Kysely<S>;
  dialect: Dialect;
  /**
   * PostgreSQL only: the first column of the first row of a parameterless read, on a connection of
   * its own where the statement is prepared once (named `name`): a hot read that neither waits
   * behind the pool's queries nor is parsed and planned again each time.
   */
  readValue?(name: string, text: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openDatabase<S>(cfg: DatabaseLocation): Promise<Database<S>> {
  if (cfg.database_url.startsWith('postgres://') || cfg.database_url.startsWith('postgresql://')) {
    // loaded only when used: the embedded default should not pay for it in memory
    const { default: pg } = await import('pg');
    // bigint columns come back as strings by default; ours hold small counters
    pg.types.setTypeParser(20, (v) => Number(v));
    const newPool = (max: number): InstanceType<typeof pg.Pool> => {
      const pool = new pg.Pool({ connectionString: cfg.database_url, max });
      // an idle connection the server ends (restart, failover, pg_terminate_backend) is dropped
      // from the pool, and the next query opens a new one; unhandled, its 'error' would end the process
      pool.on('error', () => {});
      return pool;
    };
    const db = new Kysely<S>({ dialect: new PostgresDialect({ pool: newPool(10) }) });
    // opened on first use; a pool of one, so a lost connection is replaced like the others
    let side: InstanceType<typeof pg.Pool> | undefined;
    const readValue = async (name: string, text: string): Promise<unknown> => {
      side ??= newPool(1);
      const r = await side.query({ name, text, rowMode: 'array' });
      return (r.rows[0] as unknown[] | undefined)?.[0];
    };
    const close = async (): Promise<void> => {
      await Promise.all([db.destroy(), side?.end()]);
    };
    return { db, dialect: 'postgres', readValue, close };
  }
  if (cfg.database_url && !cfg.database_url.startsWith('sqlite:')) {
    throw new Error(`unsupported database_url scheme: ${cfg.database_url.split(':')[0]}`);
  }
  makePrivateDir(cfg.data_dir);
  const file = sqliteFile(cfg)!;
  // it holds password hashes: 0600 from the start (SQLite gives its -wal and -shm files the database's mode)
  if (file !== ':memory:') makePrivateFile(file);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // every commit is fsync'd, as InnoDB's default flush_log_at_trx_commit=1 does for Neutron
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  const db = new Kysely<S>({ dialect: new TransactionalDdlSqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; with better-sqlite3 preparing costs as
 * much as running a small query, so prepared statements are kept by SQL
 * text (bounded, oldest dropped first).
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          let st = cache.get(sql);
          if (!st) {
            st = prepare(sql);
            if (cache.size >= max) cache.delete(cache.keys().next().value as string);
            cache.set(sql, st);
          }
          return st;
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * SQLite's DDL is transactional, but Kysely's SQLite adapter says it is not, so its migrator would
 * run SQLite's migrations, and record them, outside any transaction. Saying so makes each run of
 * pending migrations all-or-nothing, with their records, as on PostgreSQL: a crash inside 0007's
 * table rebuild (copy, drop, rename) can neither lose rows nor leave a migration done but unrecorded.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Runs the versioned migrations (all pending ones in one transaction), in name order; safe to
 * call at every start and from several servers. all holds every migration the database has
 * ever run (the services' lists, put together by the caller).
 */
export async function migrate<S>(database: Database<S>, all: Record<string, Migration>): Promise<void> {
  const provider = { getMigrations: async (): Promise<Record<string, Migration>> => all };
  const migrator = new Migrator({ db: database.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

/** True for a unique or primary-key violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** True for errors that a retry of the whole transaction can cure. */
export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return isUniqueViolation(err) || e?.code === '40001' || e?.code === '40P01' || e?.code === 'SQLITE_BUSY';
}
