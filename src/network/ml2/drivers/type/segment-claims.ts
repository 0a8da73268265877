import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../../db/database.js';

export type Take = 'taken' | 'busy' | 'gone';

/** PostgreSQL transactions holding segment claims, which others may be waiting for. */
const claimers = new WeakSet<Tx>();

/**
 * Claims on segmentation ids, on PostgreSQL: transaction-scoped advisory locks keyed by
 * (type and physnet, id), the same on every server. Whoever inserts an allocation holds its
 * claim (an explicit id's too: reserve waits for it), so an allocator can skip an id another
 * transaction is inserting instead of waiting for it, and no insert waits for another's row.
 *
 * Every wait is a lock wait inside PostgreSQL, never a loop here: its deadlock detector then
 * sees every cycle, whatever other locks (rows, quotas) close it, and ends one with 40P01,
 * which the transaction runner retries. The age rule in waitForOne only keeps bulk creates
 * from forming such cycles among themselves. SQLite needs none: it has one writer.
 */
export class SegmentClaims {
  private spaces = new Map<string, number>();

  constructor(private networkType: string) {}

  /** Claims and inserts in one statement, waiting for no one: 'busy' when another transaction holds the claim, 'gone' when the id is committed. */
  async take(tx: Tx, physnet: string, id: number, networkId: string): Promise<Take> {
    const res = await sql<{ claimed: boolean; inserted: number }>`
      WITH claim AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(${this.space(physnet)}::int4, ${lockId(id)}::int4) AS ok),
        ins AS (INSERT INTO segment_allocations (network_type, physical_network, segmentation_id, network_id)
          SELECT ${this.networkType}, ${physnet}, ${id}, ${networkId} FROM claim WHERE ok
          ON CONFLICT DO NOTHING RETURNING 1)
      SELECT (SELECT ok FROM claim) AS claimed, (SELECT count(*) FROM ins)::int AS inserted`.execute(tx);
    const { claimed, inserted } = res.rows[0];
    if (claimed) claimers.add(tx);
    return Number(inserted) === 1 ? 'taken' : claimed ? 'gone' : 'busy';
  }

  /** Waits until this transaction holds the id's claim. */
  async claim(tx: Tx, physnet: string, id: number): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(${this.space(physnet)}::int4, ${lockId(id)}::int4)`.execute(tx);
    claimers.add(tx);
  }

  /**
   * After a search found free ids but all of them claimed by others: the id whose claim this
   * transaction now holds (free if its holder rolled back), 'again' to search again, or 'yield'.
   * A transaction holding no claims waits for one. One holding claims (a bulk create) waits
   * only for a younger transaction's claim and yields when only older ones hold them, as the
   * younger of two bulk creates holding parts of the last ids must (wait-die): bulks never
   * deadlock each other, and the oldest always goes on.
   */
  async waitForOne(tx: Tx, physnet: string, ids: number[]): Promise<number | 'again' | 'yield'> {
    const space = this.space(physnet);
    const busy = new Map([...new Set(ids)].map((id) => [String(lockId(id) >>> 0), id])); // overlapping ranges can show one id twice
    let id = busy.values().next().value as number;
    if (claimers.has(tx)) {
      // PostgreSQL keeps pg_stat_activity as first read in a transaction: holders that began since would look absent
      await sql`SELECT pg_stat_clear_snapshot()`.execute(tx);
      const holders = await sql<{ key: string; younger: boolean | null }>`
        SELECT l.objid::text AS key, (a.xact_start, a.pid) > (now(), pg_backend_pid()) AS younger
        FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ${String(space >>> 0)}::oid AND l.objid = ANY(${[...busy.keys()]}::oid[])`.execute(tx);
      if (holders.rows.length < busy.size) return 'again';
      const younger = holders.rows.find((h) => h.younger === true);
      if (!younger) return 'yield';
      id = busy.get(younger.key)!;
    }
    await this.claim(tx, physnet, id);
    return id;
  }

  /** The first key: this type's and physnet's, from a digest so every server agrees. */
  private space(physnet: string): number {
    let k = this.spaces.get(physnet);
    if (k === undefined) {
      k = createHash('sha256').update(`cloudlet segment ${this.networkType} ${physnet}`).digest().readInt32BE(0);
      this.spaces.set(physnet, k);
    }
    return k;
  }
}

/** The second key: the id shifted into int4 (GRE ids go up to 2^32-1). */
const lockId = (id: number): number => id - 2 ** 31;
