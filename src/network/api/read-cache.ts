import { sql } from 'kysely';
import { coalescedRead } from '../../common/db/coalesced-read.js';
import type { Database } from '../db/database.js';

/**
 * Serialized answers to GET requests, valid exactly as long as the database has not changed.
 * The version is the change log's current revision: every committed change of a resource
 * writes an entry in its own transaction, so a revision read before computing an answer
 * moves on with any later change, whichever server process made it. A change acknowledged
 * by any server is committed, so the next read here sees its revision and misses: never an
 * answer older than a change the client already saw. One indexed max() per read; on
 * PostgreSQL, where it is a round trip, concurrent reads share one (coalescedRead: each
 * still gets a revision read after it arrived). On SQLite
 * the version also has total_changes() of our own connection and PRAGMA data_version
 * (commits of any other connection), which cost nothing in the same query and are exact
 * even for writes the log does not carry.
 */
const REVISION_STATEMENT = 'cloudlet_change_log_revision';

export class ReadCache {
  // kept encoded: a hit then writes the bytes as they are, not a string to encode again per request
  private entries = new Map<string, { version: string; body: Buffer }>();
  private bytes = 0;
  // prepared once on a connection of its own where the database offers one: a backward scan of the primary key for one row
  private pgRevision = coalescedRead(async () => {
    const text = 'SELECT max(revision) AS m FROM change_log';
    const { readValue } = this.database;
    const m = readValue ? await readValue(REVISION_STATEMENT, text) : (await sql.raw<{ m: number | null }>(text).execute(this.database.db)).rows[0].m;
    return String(m ?? 0);
  });

  constructor(
    private database: Database,
    private maxBytes = 8 * 1024 * 1024,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  async version(): Promise<string> {
    const db = this.database.db;
    if (this.database.dialect === 'postgres') return this.pgRevision();
    const r = await sql<{ m: number | null; c: number; v: number }>`SELECT (SELECT max(revision) FROM change_log) AS m, total_changes() AS c, (SELECT data_version FROM pragma_data_version) AS v`.execute(db);
    return `${r.rows[0].m ?? 0}:${r.rows[0].c}:${r.rows[0].v}`;
  }

  get(key: string, version: string): Buffer | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.version !== version) {
      this.drop(key);
      return undefined;
    }
    // refresh its place: the map's order is the eviction order
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.body;
  }

  set(key: string, version: string, body: Buffer): void {
    if (body.length > this.maxBytes / 4) return;
    this.drop(key);
    this.entries.set(key, { version, body });
    this.bytes += body.length;
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k);
    }
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.body.length;
    this.entries.delete(key);
  }
}
