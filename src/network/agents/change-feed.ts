import { sql } from 'kysely';
import type pg from 'pg';
import type { Database } from '../db/database.js';
import type { Logger } from '../../common/logging.js';
import { CHANGE_CHANNEL, type ChangeLog } from './change-log.js';

/** How often a waiter looks again with no wake-up at all: a lost notification costs at most this. */
const SAFETY_POLL_MS = 10_000;
/** SQLite: how often the commits of other connections (other processes) are looked for while someone waits. */
const SQLITE_POLL_MS = 100;
const RECONNECT_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * Wakes the long polls of one server process when the change log may have grown. On
 * PostgreSQL one dedicated connection LISTENs on the channel record() NOTIFYs at commit, so
 * every server process on the database hears every commit; a dropped connection is made
 * again, and everyone re-reads then (what was announced meanwhile is not lost: waiters read
 * the log itself, the notification only says when). On SQLite, this process's writes are
 * heard in-process and other processes' commits through PRAGMA data_version.
 *
 * Waiting is generation-based: take generation, read the log, then wait(generation), so a
 * change that lands between the read and the wait is not slept through.
 */
export class ChangeFeed {
  private gen = 0;
  private waiters = new Set<() => void>();
  private client?: pg.Client;
  private closed = false;
  private attempt = 0;
  private retry?: NodeJS.Timeout;
  private sqlitePoll?: NodeJS.Timeout;
  private dataVersion = -1;
  private readonly onLocal = () => this.wake();

  constructor(
    private database: Database,
    private changeLog: ChangeLog,
    private databaseUrl: string,
    private log: Logger,
  ) {}

  get generation(): number {
    return this.gen;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    if (this.database.dialect === 'postgres') await this.listen(true);
    else this.changeLog.local.on('change', this.onLocal);
  }

  /** Resolves once the generation moves past `seen`, or after ms (or at close). */
  wait(seen: number, ms: number): Promise<void> {
    if (this.gen !== seen || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, SAFETY_POLL_MS));
      this.waiters.add(done);
      this.pollSqlite();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.sqlitePoll);
    this.changeLog.local.off('change', this.onLocal);
    this.wake();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private wake(): void {
    this.gen++;
    for (const w of [...this.waiters]) w();
  }

  /** initial: a first connection that fails is the caller's error (a bad URL should not start a server) */
  private async listen(initial = false): Promise<void> {
    const { default: pgm } = await import('pg');
    const client = new pgm.Client({ connectionString: this.databaseUrl, application_name: 'cloudlet-change-listener' });
    let lost = false;
    const drop = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      if (this.closed) return;
      this.log.warn({ err: err?.message }, 'change log listener lost its connection; reconnecting');
      this.reconnect();
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (n) => {
      if (n.channel === CHANGE_CHANNEL) this.wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      if (!initial) return drop(err as Error);
      lost = true;
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempt = 0;
    // anything committed while no one listened: everyone reads again
    this.wake();
  }

  private reconnect(): void {
    const delay = RECONNECT_MS[Math.min(this.attempt, RECONNECT_MS.length - 1)];
    this.attempt++;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen().catch(() => {}), delay);
  }

  /** While someone waits on SQLite: a commit by another connection bumps data_version. */
  private pollSqlite(): void {
    if (this.database.dialect !== 'sqlite' || this.sqlitePoll || this.closed) return;
    this.sqlitePoll = setTimeout(async () => {
      try {
        const r = await sql<{ v: number }>`SELECT data_version AS v FROM pragma_data_version`.execute(this.database.db);
        const v = Number(r.rows[0].v);
        if (this.dataVersion !== -1 && v !== this.dataVersion) this.wake();
        this.dataVersion = v;
      } catch {
        // closing: the next wait starts it again
      } finally {
        this.sqlitePoll = undefined;
        if (this.waiters.size && !this.closed) this.pollSqlite();
      }
    }, SQLITE_POLL_MS);
  }
}
