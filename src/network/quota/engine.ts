import { sql } from 'kysely';
import type { QuotaConfig } from '../config.js';
import type { Db, Tx } from '../db/database.js';
import type { Dialect } from '../../common/db/index.js';
import { Errors } from '../model/errors.js';
import { defaultLimits, servedQuotas, type ServedQuota } from './resources.js';

type Body = Record<string, unknown>;

/** Neutron's UNLIMITED_QUOTA */
export const UNLIMITED = -1;

/**
 * Neutron's quota driver over the quotas table: limits (a project's own over the configured
 * defaults), usage (rows counted by project_id, so nothing drifts) and enforcement inside the
 * create transaction. Enforcement locks (project, resource) before counting, so concurrent
 * creates of one project queue and a project at its limit never ends above it: an advisory
 * transaction lock on PostgreSQL; SQLite's single writer serialises them already.
 */
export class Quotas {
  readonly served: ServedQuota[] = servedQuotas();
  readonly defaults: Readonly<Record<string, number>>;
  private readonly tables = new Map(this.served.map((r) => [r.name, r.table]));

  constructor(cfg: QuotaConfig, private dialect: Dialect) {
    this.defaults = defaultLimits(cfg, this.served);
  }

  /** The project's limits: its own rows over the defaults. */
  async limits(db: Db | Tx, projectId: string): Promise<Record<string, number>> {
    const rows = await db.selectFrom('quotas').select(['resource', 'limit']).where('project_id', '=', projectId).execute();
    const out = { ...this.defaults };
    for (const r of rows) if (Object.hasOwn(out, r.resource)) out[r.resource] = r.limit;
    return out;
  }

  private async limitOf(db: Db | Tx, projectId: string, resource: string): Promise<number> {
    const row = await db.selectFrom('quotas').select('limit').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
    return row ? row.limit : this.defaults[resource];
  }

  /** How many of resource the project has. */
  async used(db: Db | Tx, projectId: string, resource: string): Promise<number> {
    const table = this.tables.get(resource);
    if (!table) return 0;
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async limitAndUse(tx: Tx, projectId: string, resource: string): Promise<{ limit: number; used: number }> {
    const table = this.tables.get(resource)!;
    const row = await tx.selectNoFrom((eb) => [
      eb.selectFrom('quotas').select('limit').where('project_id', '=', projectId).where('resource', '=', resource).as('limit'),
      eb.selectFrom(table).select((e) => e.fn.countAll().as('n')).where('project_id', '=', projectId).as('used'),
    ]).executeTakeFirstOrThrow();
    return { limit: row.limit ?? this.defaults[resource], used: Number(row.used) };
  }

  /**
   * Queues, until tx ends, whoever counts this resource of this project (SQLite's one writer does that already).
   * A transaction locking several takes them in QUOTA_RESOURCES order, then by project, or two can deadlock.
   */
  private async lock(tx: Tx, projectId: string, resource: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`quota:${resource}:${projectId}`}, 0))`.execute(tx);
  }

  /**
   * OverQuota (409) unless each project's use of resource, plus `each` per item of that project,
   * stays within its limit; items are grouped by project_id as Neutron's API groups a bulk create.
   */
  async enforce(tx: Tx, resource: string, items: Body[], each = 1): Promise<void> {
    if (!this.tables.has(resource)) return;
    const deltas = new Map<string, number>();
    for (const it of items) {
      const p = it.project_id;
      if (typeof p === 'string' && p) deltas.set(p, (deltas.get(p) ?? 0) + each);
    }
    // one order for every transaction: no two wait on each other
    for (const project of [...deltas.keys()].sort()) {
      if ((await this.limitOf(tx, project, resource)) <= UNLIMITED) continue;
      await this.lock(tx, project, resource);
      // read again under the lock, with the count in the same round trip: a PUT may have changed it meanwhile
      const { limit, used } = await this.limitAndUse(tx, project, resource);
      if (limit > UNLIMITED && used + deltas.get(project)! > limit) throw Errors.overQuota([resource]);
    }
  }

  /**
   * Sets limits; as Neutron since 2025.1, a limit below what the project already uses is
   * refused (400) unless force is set, and -1 (unlimited) is never checked.
   */
  async update(tx: Tx, projectId: string, values: Record<string, number>, force: boolean): Promise<Record<string, number>> {
    // locks and rows in the declaration's order, as every create takes them, whatever order the body lists
    const changes = this.served.filter((r) => Object.hasOwn(values, r.name)).map((r) => [r.name, values[r.name]] as const);
    if (!force) {
      for (const [resource, limit] of changes) {
        if (limit === UNLIMITED) continue;
        await this.lock(tx, projectId, resource);
        const used = await this.used(tx, projectId, resource);
        if (used > limit) {
          throw Errors.badRequest(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`);
        }
      }
    }
    for (const [resource, limit] of changes) {
      await tx.insertInto('quotas').values({ project_id: projectId, resource, limit })
        .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ limit })).execute();
    }
    return this.limits(tx, projectId);
  }

  /** Back to the defaults; TenantQuotaNotFound (404) when the project had none of its own. */
  async reset(tx: Tx, projectId: string): Promise<void> {
    const r = await tx.deleteFrom('quotas').where('project_id', '=', projectId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw Errors.tenantQuotaNotFound(projectId);
  }

  /** Every project with a limit of its own: all its limits, project_id and tenant_id (GET /v2.0/quotas). */
  async listSet(db: Db | Tx): Promise<Body[]> {
    const rows = await db.selectFrom('quotas').selectAll().orderBy('project_id').orderBy('resource').execute();
    const by = new Map<string, Body>();
    for (const r of rows) {
      let q = by.get(r.project_id);
      if (!q) by.set(r.project_id, (q = { ...this.defaults, project_id: r.project_id, tenant_id: r.project_id }));
      if (Object.hasOwn(this.defaults, r.resource)) q[r.resource] = r.limit;
    }
    return [...by.values()];
  }

  /** quota_details: limit, used and reserved (always 0: cloudlet reserves nothing, it counts inside the create). */
  async details(db: Db | Tx, projectId: string): Promise<Record<string, { limit: number; used: number; reserved: number }>> {
    const limits = await this.limits(db, projectId);
    const out: Record<string, { limit: number; used: number; reserved: number }> = {};
    for (const r of this.served) out[r.name] = { limit: limits[r.name], used: await this.used(db, projectId, r.name), reserved: 0 };
    return out;
  }
}
