import { sql } from 'kysely';
import type { Tx } from '../../../../common/db/index.js';

/**
 * Exact allocation of segmentation ids: only allocated ids are stored (one row
 * each, primary key on type+physnet+id), and the lowest free id of a range is
 * found with one indexed gap query, so released ids are reused and nothing is
 * pre-populated for 16M VNIs. Concurrent allocators race on the primary key;
 * the loser retries with the next gap. A per-range hint (the lowest id that
 * may be free, as far as this process knows) keeps the gap query from
 * walking every allocated id; when nothing is free above the hint the whole
 * range is searched again, so ids released by another server are reused too.
 */
export class SegmentPool {
  private hints = new Map<string, number>();

  constructor(
    readonly networkType: string,
  ) {}

  async reserve(tx: Tx, physnet: string | null, id: number, networkId: string): Promise<boolean> {
    const res = await tx
      .insertInto('segment_allocations')
      .values({ network_type: this.networkType, physical_network: physnet ?? '', segmentation_id: id, network_id: networkId })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
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

  async allocate(tx: Tx, physnet: string | null, ranges: Array<[number, number]>, networkId: string): Promise<number | null> {
    for (const [lo, hi] of ranges) {
      const key = `${physnet ?? ''}\0${lo}\0${hi}`;
      for (const from of [...new Set([this.hints.get(key) ?? lo, lo])]) {
        for (let attempt = 0; attempt < 20; attempt++) {
          const candidate = await this.firstFree(tx, physnet ?? '', from, hi);
          if (candidate === null) break;
          if (await this.reserve(tx, physnet, candidate, networkId)) {
            // the hint is the id just taken: if its transaction rolls back, it is found free again
            this.hints.set(key, candidate);
            return candidate;
          }
        }
      }
    }
    return null;
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
