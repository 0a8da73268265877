import { PostgresAdapter, sql } from 'kysely';
import type { Tx } from '../../../db/database.js';
import { SegmentClaims } from './segment-claims.js';

/** Busy ids remembered per search: enough to find a younger claim among them. */
const MAX_BUSY = 64;

/**
 * Exact allocation of segmentation ids: only allocated ids are stored (one row
 * each, primary key on type+physnet+id), and the lowest free id of a range is
 * found with one indexed gap query, so released ids are reused and nothing is
 * pre-populated for 16M VNIs. A per-range hint (the lowest id that may be
 * free, as far as this process knows) keeps the gap query from walking every
 * allocated id; the part of the range below it is searched last, so ids
 * released by another server are reused too.
 *
 * Concurrency (PostgreSQL; SQLite has one writer): the gap query cannot see
 * ids that running transactions have inserted but not committed, and an
 * insert of such an id would wait for that transaction. So an allocator
 * claims an id without waiting (segment-claims.ts): an id claimed elsewhere
 * is skipped, and the search goes on from a random point above it, the ids
 * jumped over last. Every id is looked at once per search, so no retry is
 * bounded by a count; only when all free ids are claimed by others does the
 * allocator wait for one of those claims, and search again. The answer is
 * null (503) only when the search finds no free id, or, for a bulk create
 * holding claims already, when only older transactions hold the free ones.
 */
export class SegmentPool {
  private hints = new Map<string, number>();
  private claims: SegmentClaims;

  constructor(
    readonly networkType: string,
  ) {
    this.claims = new SegmentClaims(networkType);
  }

  /** An explicit id (a provider network): false when it is in use. Waits for a transaction inserting it, as Neutron's does. */
  async reserve(tx: Tx, physnet: string | null, id: number, networkId: string): Promise<boolean> {
    if (tx.getExecutor().adapter instanceof PostgresAdapter) await this.claims.claim(tx, physnet ?? '', id);
    return this.insert(tx, physnet ?? '', id, networkId);
  }

  async release(tx: Tx, physnet: string | null, id: number): Promise<void> {
    for (const [key, hint] of this.hints) {
      const [p, lo, hi] = key.split('\0');
      if (p === (physnet ?? '') && id >= Number(lo) && id <= Number(hi) && id < hint) this.hints.set(key, id);
    }
    await tx
      .deleteFrom('segment_allocations')
      .where('network_type', '=', this.networkType)
      .where('physical_network', '=', physnet ?? '')
      .where('segmentation_id', '=', id)
      .execute();
  }

  async isAllocated(tx: Tx, physnet: string | null, id: number): Promise<boolean> {
    const row = await tx
      .selectFrom('segment_allocations')
      .select('segmentation_id')
      .where('network_type', '=', this.networkType)
      .where('physical_network', '=', physnet ?? '')
      .where('segmentation_id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The lowest id of [lo, hi] no committed row holds, or null. */
  private async firstFree(tx: Tx, physnet: string, lo: number, hi: number): Promise<number | null> {
    if (!(await this.isAllocated(tx, physnet, lo))) return lo;
    const row = await sql<{ c: number }>`
      SELECT a.segmentation_id + 1 AS c FROM segment_allocations a
      WHERE a.network_type = ${this.networkType} AND a.physical_network = ${physnet}
        AND a.segmentation_id >= ${lo} AND a.segmentation_id < ${hi}
        AND NOT EXISTS (SELECT 1 FROM segment_allocations b
          WHERE b.network_type = a.network_type AND b.physical_network = a.physical_network
            AND b.segmentation_id = a.segmentation_id + 1)
      ORDER BY a.segmentation_id LIMIT 1`.execute(tx);
    return row.rows.length ? Number(row.rows[0].c) : null;
  }

  /** A free id of the ranges, or null when none is free; with wait false, also null when all free ids are being claimed. */
  async allocate(tx: Tx, physnet: string | null, ranges: Array<[number, number]>, networkId: string, wait = true): Promise<number | null> {
    const p = physnet ?? '';
    const pg = tx.getExecutor().adapter instanceof PostgresAdapter;
    for (;;) {
      const busy: number[] = [];
      for (const [lo, hi] of ranges) {
        const key = `${p}\0${lo}\0${hi}`;
        const hint = Math.min(Math.max(this.hints.get(key) ?? lo, lo), hi);
        // intervals still to search, each id in exactly one: above the hint first
        const todo: Array<[number, number]> = hint > lo ? [[hint, hi], [lo, hint - 1]] : [[lo, hi]];
        let jumped = false;
        for (let part = todo.shift(); part; part = todo.shift()) {
          const to = part[1];
          for (let at = part[0]; at <= to; ) {
            const c = await this.firstFree(tx, p, at, to);
            if (c === null) break;
            const took = pg ? await this.claims.take(tx, p, c, networkId) : (await this.insert(tx, p, c, networkId)) ? 'taken' : 'gone';
            if (took === 'taken') {
              // the hint is the lowest id taken: if its transaction rolls back, it is found free again
              if (!jumped) this.hints.set(key, c);
              return c;
            }
            at = c + 1;
            if (took === 'busy') {
              if (busy.length < MAX_BUSY) busy.push(c);
              // others are taking the lowest free ids: go on from a random point above, the ids jumped over last
              const r = at + Math.floor(Math.random() * (to - at + 1));
              if (r > at) todo.push([at, r - 1]);
              at = r;
              jumped = true;
            }
          }
        }
      }
      if (busy.length === 0 || !wait) return null;
      // every free id is claimed by other transactions: wait for one of them to end; if it rolled back, the id is ours
      const held = await this.claims.waitForOne(tx, p, busy);
      if (held === 'yield') return null;
      if (held !== 'again' && (await this.insert(tx, p, held, networkId))) return held;
    }
  }

  private async insert(tx: Tx, physnet: string, id: number, networkId: string): Promise<boolean> {
    const res = await tx
      .insertInto('segment_allocations')
      .values({ network_type: this.networkType, physical_network: physnet, segmentation_id: id, network_id: networkId })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}

/** "1:1000" → [1, 1000], checked against the type's limits. */
export function parseRange(spec: string, min: number, max: number, what: string): [number, number] {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new Error(`invalid ${what} range "${spec}": expected MIN:MAX`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < min || hi > max || lo > hi) throw new Error(`invalid ${what} range "${spec}": must be within ${min}:${max}`);
  return [lo, hi];
}
