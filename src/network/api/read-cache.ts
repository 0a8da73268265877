import { sql } from 'kysely';
import type { Database } from '../../common/db/index.js';

/**
 * Serialized answers to GET requests, valid exactly as long as the database
 * has not changed. On SQLite the version is total_changes() of our own
 * connection (every row written by this process) plus PRAGMA data_version
 * (bumped by commits of any other connection, other processes included), so
 * a hit is byte-identical to what a fresh read would return. PostgreSQL has
 * no such cheap, exact signal across several API servers, so there the cache
 * is off and every read goes to the database.
 */
export class ReadCache {
  private entries = new Map<string, { version: string; body: string }>();
  private bytes = 0;

  constructor(
    private database: Database,
    private maxBytes = 8 * 1024 * 1024,
  ) {}

  get enabled(): boolean {
    return this.database.dialect === 'sqlite' && this.maxBytes > 0;
  }

  async version(): Promise<string> {
    const r = await sql<{ c: number; v: number }>`SELECT total_changes() AS c, (SELECT data_version FROM pragma_data_version) AS v`.execute(this.database.db);
    return `${r.rows[0].c}:${r.rows[0].v}`;
  }

  get(key: string, version: string): string | undefined {
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

  set(key: string, version: string, body: string): void {
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
