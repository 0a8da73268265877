import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db, Tx } from './database.js';
import type { NetworkSchema } from './schema.js';
import { columnOf, compiled, notFoundOf, type ResourceDef } from '../model/resource.js';
import type { ListQuery } from '../model/list-query.js';

type Row = Record<string, unknown>;
type Body = Record<string, unknown>;
type AnyEb = ExpressionBuilder<any, any>;

/** The storage mapping derived from a declaration: booleans as 0/1, lists and maps as JSON text. */
export function toRow(def: ResourceDef, obj: Body): Row {
  const row: Row = {};
  for (const { name, col, kind } of compiled(def).columns) {
    if (!(name in obj)) continue;
    const v = obj[name];
    row[col] = kind === 'boolean' ? (v ? 1 : 0) : kind === 'list' || kind === 'dict' ? JSON.stringify(v) : v;
  }
  return row;
}

export function fromRow(def: ResourceDef, row: Row): Body {
  const obj: Body = {};
  for (const { name, col, kind } of compiled(def).columns) {
    const v = row[col];
    if (v === undefined) continue;
    obj[name] = kind === 'boolean' ? (v === null ? null : Boolean(v)) : (kind === 'list' || kind === 'dict') && typeof v === 'string' ? JSON.parse(v) : v;
  }
  if ('tenant_id' in def.attributes) obj.tenant_id = obj.project_id;
  return obj;
}

/** A filter on an attribute that no column holds: a condition on the resource's id. */
export type ComputedFilter = (eb: AnyEb, values: unknown[]) => Expression<SqlBool>;

export interface ListOptions {
  computed?: Record<string, ComputedFilter>;
  /** visibility of rows to the caller, e.g. own project or shared */
  scope?: (eb: AnyEb) => Expression<SqlBool>;
}

function storageValue(def: ResourceDef, name: string, v: unknown): unknown {
  const kind = def.attributes[name].kind;
  // compared as bigint: a value beyond the column's range matches nothing, where PostgreSQL would refuse an integer parameter
  if (kind === 'integer') return sql`cast(${v} as bigint)`;
  return kind === 'boolean' ? (v ? 1 : 0) : v;
}

/** Lists rows with filters, tags, sorting and keyset pagination done in SQL. */
export async function listRows(db: Db | Tx, def: ResourceDef, q: ListQuery, opts: ListOptions = {}): Promise<Body[]> {
  const table = def.table as keyof NetworkSchema;
  const where = (eb: AnyEb): Expression<SqlBool> => {
    const conds: Expression<SqlBool>[] = [];
    for (const [name, values] of q.filters) {
      const custom = opts.computed?.[name];
      if (custom) {
        conds.push(custom(eb, values));
        continue;
      }
      const col = columnOf(name, def.attributes[name === 'tenant_id' ? 'project_id' : name]) ?? name;
      conds.push(eb(eb.ref(name === 'tenant_id' ? 'project_id' : col), 'in', values.map((v) => storageValue(def, name, v))));
    }
    const tagged = (tags: string[], all: boolean) =>
      eb.selectFrom('tags').select('resource_id').where('tag', 'in', tags).groupBy('resource_id')
        .$if(all, (qb) => qb.having(sql`count(*)`, '=', tags.length));
    if (q.tags.all.length) conds.push(eb('id', 'in', tagged(q.tags.all, true)));
    if (q.tags.any.length) conds.push(eb('id', 'in', tagged(q.tags.any, false)));
    if (q.tags.notAll.length) conds.push(eb('id', 'not in', tagged(q.tags.notAll, true)));
    if (q.tags.notAny.length) conds.push(eb('id', 'not in', tagged(q.tags.notAny, false)));
    if (opts.scope) conds.push(opts.scope(eb));
    return eb.and(conds);
  };

  // id always ends the ordering so that the keyset (marker) is total
  const sorts: Array<[string, 'asc' | 'desc']> = q.sorts.map(([k, d]) => [columnOf(k, def.attributes[k]) ?? k, d]);
  if (!sorts.some(([c]) => c === 'id')) sorts.push(['id', 'asc']);
  const effective = sorts.map(([c, d]) => [c, q.pageReverse ? (d === 'asc' ? 'desc' : 'asc') : d] as [string, 'asc' | 'desc']);

  // the marker is read in the caller's scope, as Neutron's _get_marker_obj: a row it cannot
  // see is NotFound, or its sort values would leak through the page that follows it
  let marker: Row | undefined;
  if (q.marker) {
    const scope = opts.scope;
    marker = await db.selectFrom(table).selectAll().where('id', '=', q.marker)
      .$if(scope !== undefined, (qb) => qb.where((eb: AnyEb) => scope!(eb))).executeTakeFirst() as Row | undefined;
    if (!marker) throw notFoundOf(def, q.marker);
  }

  let query = db.selectFrom(table).selectAll().where(where);
  if (marker) {
    const m = marker;
    query = query.where((eb: AnyEb) =>
      eb.or(effective.map(([col, dir], i) =>
        eb.and([
          ...effective.slice(0, i).map(([c]) => eb(eb.ref(c), '=', m[c] as never)),
          eb(eb.ref(col), dir === 'asc' ? '>' : '<', m[col] as never),
        ]),
      )),
    );
  }
  for (const [col, dir] of effective) query = query.orderBy(sql.ref(col), dir);
  if (q.limit) query = query.limit(q.limit);
  const rows = (await query.execute()) as Row[];
  if (q.pageReverse) rows.reverse();
  return rows.map((r) => fromRow(def, r));
}
