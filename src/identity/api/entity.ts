// One declaration per Keystone entity (domains, projects, users, roles,
// regions, services, endpoints) and the generic CRUD routes that serve any
// of them: validation, policy, filters, links, errors. What differs between
// entities (checks against other rows, password hashing, what a deletion
// revokes) lives in the declaration's hooks.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import { isUniqueViolation } from '../../common/db/index.js';
import type { Db, Tx } from '../db/database.js';
import type { Target } from '../../common/policy/engine.js';
import { Errors, KeystoneError } from '../errors.js';
import type { RevocationMatch } from '../revocation.js';
import type { ValidatedToken } from '../tokens.js';
import { baseUrl, enforce, queryBool, queryOf, type Ctx } from './context.js';
import { unwrap, validate, type Body, type Fields } from './validate.js';

export type Row = Record<string, any>;

export interface Entity {
  singular: string;
  plural: string;
  /** the collection's path when it is not /v3/<plural> (extensions: /v3/OS-OAUTH1/consumers) */
  path?: string;
  table: string;
  /** the name in "Could not find <kind>: <id>." */
  kind: string;
  fields: Fields;
  /** Keystone keeps unknown attributes of this entity (in the `extra` column) */
  extra: boolean;
  /** query filters: attribute → column type */
  filters: Record<string, 'string' | 'boolean'>;
  /** policy rule names, e.g. identity:get_project */
  rules: { get: string; list: string; create: string; update: string; delete: string };
  /** the policy target of a stored row */
  target(row: Row): Target;
  /** the row shown to clients, without links */
  show(row: Row): Body;
  /** validated values → the new row's columns (checks against other rows go here); id and extra are added */
  create(h: Hooks, values: Body, token: ValidatedToken): Promise<Row>;
  /** validated values → changed columns; revocations the change causes */
  update?(h: Hooks, row: Row, values: Body): Promise<{ set: Row; revoke?: RevocationMatch[] }>;
  /** deletes what depends on the row; revocations the deletion causes */
  remove?(h: Hooks, row: Row): Promise<RevocationMatch[]>;
  /** slow work on the validated values before the transaction (password hashing), checks that need no row */
  prepare?(ctx: Ctx, values: Body): Promise<void>;
  /** writes the attributes kept in other tables (project tags), after the row's insert or update, in its transaction */
  store?(h: Hooks, row: Row, values: Body): Promise<void>;
  /** reads those attributes into rows about to be shown */
  load?(db: Db | Tx, rows: Row[]): Promise<void>;
  /** list filters that are not a column's value (project tags): narrows the list query */
  narrow?(query: SelectQueryBuilder<any, any, any>, q: Record<string, string>): SelectQueryBuilder<any, any, any>;
  /** attributes the creation's answer alone shows (a generated secret), from the values prepare made */
  reveal?(values: Body): Body;
  /** the id of a new row when the body does not choose (regions may) */
  newId?(item: Body): string;
  /** PUT /v3/<plural>/:id creates a row with that id (Keystone: regions) */
  putCreates?: boolean;
}

export interface Hooks {
  tx: Tx;
  ctx: Ctx;
}

/** A plain value → its column: booleans as 0/1, lists and maps as JSON. */
export function toColumns(fields: Fields, values: Body): Row {
  const row: Row = {};
  for (const [k, v] of Object.entries(values)) {
    const f = fields[k];
    row[k] = f?.type === 'boolean' ? (v ? 1 : 0) : f?.type === 'object' || f?.type === 'array' ? JSON.stringify(v) : v;
  }
  return row;
}

export const newId = (): string => randomUUID().replace(/-/g, '');

export const extraOf = (row: Row): Body => (row.extra ? (JSON.parse(row.extra) as Body) : {});

export async function getRow(tx: Tx | Ctx['database']['db'], e: Pick<Entity, 'table' | 'kind'>, id: string): Promise<Row> {
  const row = await (tx as Tx).selectFrom(e.table as 'domains').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw Errors.notFound(e.kind, id);
  return row as Row;
}

/** Database refusals as Keystone answers them: duplicates conflict, dangling references are bad requests. */
export function dbError(e: Entity, err: unknown): unknown {
  if (err instanceof KeystoneError) return err;
  if (isUniqueViolation(err)) return Errors.conflict(e.singular, `Duplicate entry found with name or id`);
  const code = (err as { code?: string } | null)?.code;
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return Errors.conflict(e.singular, 'it is still referenced or references something that does not exist');
  return err;
}

const pathOf = (e: Entity): string => e.path ?? `/v3/${e.plural}`;

export function present(e: Entity, row: Row, req: FastifyRequest): Body {
  return { ...extraOf(row), ...e.show(row), links: { self: `${baseUrl(req)}${pathOf(e)}/${row.id}` } };
}

/** Rows shown in a list: what the entity loads beside them (tags), then each presented. */
export async function presentAll(e: Entity, db: Db | Tx, rows: Row[], req: FastifyRequest): Promise<Body[]> {
  await e.load?.(db, rows);
  return rows.map((r) => present(e, r, req));
}

/** GET/POST /v3/<plural>, GET/PATCH/DELETE /v3/<plural>/:id */
export function registerEntity(app: FastifyInstance, ctx: Ctx, e: Entity): void {
  const db = ctx.database.db;
  type P = { Params: { id: string } };

  app.get(pathOf(e), async (req) => {
    const q = queryOf(req);
    const filters: Body = {};
    for (const [name, kind] of Object.entries(e.filters)) {
      if (q[name] !== undefined) filters[name] = kind === 'boolean' ? (queryBool(name, q[name]) ? 1 : 0) : q[name];
    }
    await enforce(ctx, req, e.rules.list, filters);
    let query = db.selectFrom(e.table as 'domains').selectAll();
    for (const [k, v] of Object.entries(filters)) query = query.where(k as 'id', '=', v as string);
    if (e.narrow) query = e.narrow(query, q) as typeof query;
    const rows = (await query.orderBy('id').execute()) as Row[];
    return { [e.plural]: await presentAll(e, db, rows, req), links: { self: `${baseUrl(req)}${pathOf(e)}`, previous: null, next: null } };
  });

  app.get<P>(`${pathOf(e)}/:id`, async (req) => {
    const row = await db.selectFrom(e.table as 'domains').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    // the rule decides before existence is revealed, where the rule does not depend on the row
    await enforce(ctx, req, e.rules.get, row ? e.target(row) : { id: req.params.id });
    if (!row) throw Errors.notFound(e.kind, req.params.id);
    await e.load?.(db, [row]);
    return { [e.singular]: present(e, row, req) };
  });

  /** POST, or PUT with the id in the path */
  const create = async (req: FastifyRequest, reply: FastifyReply, pathId?: string) => {
    const token = await enforce(ctx, req, e.rules.create);
    const item = unwrap(req.body, e.singular);
    if (pathId !== undefined && 'id' in item && item.id !== pathId) throw Errors.validation(`Conflicting ${e.kind} IDs specified: ${JSON.stringify(pathId)} v. ${JSON.stringify(item.id)}`);
    if (pathId !== undefined) item.id = pathId;
    const { values, extra } = validate(e.fields, item, 'create', e.extra);
    await e.prepare?.(ctx, values);
    const id = e.newId ? e.newId(item) : newId();
    let row: Row;
    try {
      row = await db.transaction().execute(async (tx) => {
        const cols = await e.create({ tx, ctx }, values, token);
        const full = { id, ...cols, ...(e.extra ? { extra: JSON.stringify(extra) } : {}) };
        await tx.insertInto(e.table as 'domains').values(full as never).execute();
        await e.store?.({ tx, ctx }, full, values);
        await e.load?.(tx, [full]);
        return full;
      });
    } catch (err) {
      throw dbError(e, err);
    }
    reply.code(201);
    return { [e.singular]: { ...present(e, row, req), ...e.reveal?.(values) } };
  };
  app.post(pathOf(e), (req, reply) => create(req, reply));
  if (e.putCreates) app.put<P>(`${pathOf(e)}/:id`, (req, reply) => create(req, reply, req.params.id));

  app.patch<P>(`${pathOf(e)}/:id`, async (req) => {
    const before = await db.selectFrom(e.table as 'domains').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    await enforce(ctx, req, e.rules.update, before ? e.target(before) : { id: req.params.id });
    if (!before) throw Errors.notFound(e.kind, req.params.id);
    const item = unwrap(req.body, e.singular);
    if ('id' in item && item.id !== req.params.id) throw Errors.validation(`Cannot change the id of ${e.kind}`);
    delete item.id;
    const { values, extra } = validate(e.fields, item, 'update', e.extra);
    await e.prepare?.(ctx, values);
    let events;
    let row: Row;
    try {
      [row, events] = await db.transaction().execute(async (tx) => {
        const current = await getRow(tx, e, req.params.id);
        const { set, revoke } = e.update ? await e.update({ tx, ctx }, current, values) : { set: toColumns(e.fields, values), revoke: [] };
        if (e.extra && Object.keys(extra).length) set.extra = JSON.stringify({ ...extraOf(current), ...extra });
        if (Object.keys(set).length) await tx.updateTable(e.table as 'domains').set(set).where('id', '=', current.id).execute();
        const after = { ...current, ...set };
        await e.store?.({ tx, ctx }, after, values);
        await e.load?.(tx, [after]);
        return [after, await ctx.tokens.record(tx, revoke ?? [])] as const;
      });
    } catch (err) {
      throw dbError(e, err);
    }
    ctx.tokens.remember(events);
    return { [e.singular]: present(e, row, req) };
  });

  app.delete<P>(`${pathOf(e)}/:id`, async (req, reply) => {
    const before = await db.selectFrom(e.table as 'domains').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    await enforce(ctx, req, e.rules.delete, before ? e.target(before) : { id: req.params.id });
    if (!before) throw Errors.notFound(e.kind, req.params.id);
    let events;
    try {
      events = await db.transaction().execute(async (tx) => {
        const current = await getRow(tx, e, req.params.id);
        const revoke = e.remove ? await e.remove({ tx, ctx }, current) : [];
        await tx.deleteFrom(e.table as 'domains').where('id', '=', current.id).execute();
        return ctx.tokens.record(tx, revoke);
      });
    } catch (err) {
      throw dbError(e, err);
    }
    ctx.tokens.remember(events);
    reply.code(204).send();
  });
}
