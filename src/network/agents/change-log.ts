import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type { Change } from '../../agent/protocol.js';
import type { Db, Tx } from '../db/database.js';
import type { Dialect } from '../../common/db/index.js';

/** The PostgreSQL channel a committed change is announced on (payload: its revision). */
export const CHANGE_CHANNEL = 'cloudlet_change_log';

export type NewChange = Omit<Change, 'revision'>;

type Body = Record<string, unknown>;

const uniq = (xs: unknown[]): string[] => [...new Set(xs.filter((x): x is string => typeof x === 'string' && x !== ''))];

/**
 * The change a network, subnet or port write means to agents: the networks it concerns
 * (a network's own id, a subnet's or port's network) and, for a port, its binding host
 * before and after.
 */
export function resourceChange(resource: 'network' | 'subnet' | 'port', op: Change['op'], current: Body, original?: Body): NewChange {
  const both = original ? [original, current] : [current];
  return {
    resource,
    op,
    id: current.id as string,
    network_ids: uniq(both.map((b) => (resource === 'network' ? b.id : b.network_id))),
    hosts: resource === 'port' ? uniq(both.map((b) => b['binding:host_id'])) : [],
  };
}

/** A port's change from its row, where binding:host_id is the column binding_host_id. */
export function portRowChange(op: Change['op'], p: { id: string; network_id: string; binding_host_id: string }): NewChange {
  return { resource: 'port', op, id: p.id, network_ids: [p.network_id], hosts: uniq([p.binding_host_id]) };
}

/** A security group's (its rules come and go with it) or a rule's change: no network or host of its own. */
export function sgChange(op: Change['op'], id: string, resource: 'security_group' | 'security_group_rule' = 'security_group'): NewChange {
  return { resource, op, id, network_ids: [], hosts: [] };
}

/**
 * The server-side change log (outbox) agents follow: one entry per change, written in the
 * transaction of the change itself, so an entry exists exactly when its change committed.
 *
 * Revisions are dense and become visible in order. On PostgreSQL a sequence would not do:
 * numbers are taken in start order but committed in any order, so a follower could read 11
 * before 10 commits and never go back for 10. So record() takes a transaction-level advisory
 * lock, then writes max + 1: the next writer gets the lock only once this transaction has
 * committed (PostgreSQL makes a commit visible before it releases the locks), so it reads
 * this revision as the max and writes the next; or rolled back, and the number is reused
 * (no gap). Without the lock two writers would read the same max and the second would fail
 * on the primary key at the first's commit, its whole transaction retried: the lock makes
 * them queue instead, from their first record() to their commit, so callers record last.
 * The lock is taken in its own statement: in READ COMMITTED each statement's snapshot is
 * taken when it starts, and the max must be read after the lock is held. SQLite has one
 * writer, and group commit's savepoints see their predecessors' rows (a rolled-back
 * savepoint's revision is reused the same way).
 */
export class ChangeLog {
  /** 'change' (revision) as soon as an entry is written on SQLite; PostgreSQL uses NOTIFY (delivered at commit) */
  readonly local = new EventEmitter();
  /** transactions already holding the lock: it is re-entrant, but one round trip is enough */
  private locked = new WeakSet<Tx>();

  constructor(private dialect: Dialect) {
    this.local.setMaxListeners(0);
  }

  /** Writes the entry in tx; returns its revision. */
  async record(tx: Tx, change: NewChange): Promise<number> {
    const pg = this.dialect === 'postgres';
    if (pg && !this.locked.has(tx)) {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('cloudlet:change_log', 0))`.execute(tx);
      this.locked.add(tx);
    }
    const insert = sql`INSERT INTO change_log (revision, resource, op, resource_id, network_ids, hosts, created_at)
      SELECT coalesce(max(revision), 0) + 1, ${change.resource}, ${change.op}, ${change.id},
        ${JSON.stringify(change.network_ids)}, ${JSON.stringify(change.hosts)}, ${new Date().toISOString()} FROM change_log
      RETURNING revision`;
    // NOTIFY is sent at commit (and not at all on rollback), to every server process on the database
    const q = pg
      ? sql<{ revision: number }>`WITH ins AS (${insert}) SELECT revision, pg_notify(${CHANGE_CHANNEL}, revision::text) FROM ins`
      : sql<{ revision: number }>`${insert}`;
    const revision = Number((await q.execute(tx)).rows[0].revision);
    if (!pg) this.local.emit('change', revision);
    return revision;
  }

  /** The last revision written (0 when none ever was); every change up to it is visible to db. */
  async currentRevision(db: Db | Tx): Promise<number> {
    const r = await db.selectFrom('change_log').select((eb) => eb.fn.max('revision').as('m')).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  /** The oldest revision still kept (0 when the log is empty). */
  async oldestRevision(db: Db | Tx): Promise<number> {
    const r = await db.selectFrom('change_log').select((eb) => eb.fn.min('revision').as('m')).executeTakeFirst();
    return Number(r?.m ?? 0);
  }

  /** Entries after revision, oldest first, at most limit of them. */
  async since(db: Db | Tx, revision: number, limit: number): Promise<Change[]> {
    const rows = await db.selectFrom('change_log').selectAll().where('revision', '>', revision).orderBy('revision').limit(limit).execute();
    return rows.map((r) => ({
      revision: Number(r.revision),
      resource: r.resource as Change['resource'],
      op: r.op as Change['op'],
      id: r.resource_id,
      network_ids: JSON.parse(r.network_ids) as string[],
      hosts: JSON.parse(r.hosts) as string[],
    }));
  }

  /**
   * Deletes all but the last `keep` revisions (at least the last one stays, so max + 1 never
   * goes back); returns how many went.
   */
  async compact(db: Db, keep: number): Promise<number> {
    const last = await this.currentRevision(db);
    const below = last - Math.max(1, Math.floor(keep));
    if (below < 1) return 0;
    const r = await db.deleteFrom('change_log').where('revision', '<=', below).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
