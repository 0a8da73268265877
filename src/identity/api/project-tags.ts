// Keystone's project tags: `tags` on projects and domains (Keystone's domains
// are projects, so they take tags too), the /v3/projects/{id}/tags routes and
// the tags, tags-any, not-tags, not-tags-any filters of GET /v3/projects.
// Tags live in project_tags and domain_tags (migration 0006), each removed
// with its project or domain by the database (ON DELETE CASCADE).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { Dialect } from '../../common/db/index.js';
import type { Target } from '../../common/policy/engine.js';
import { Errors } from '../errors.js';
import { baseUrl, enforce, type Ctx } from './context.js';
import type { Row } from './entity.js';
import { invalid, isObject, show } from './validate.js';

/** Keystone's limits (keystone/resource/schema.py): at most 80 tags, each 1..255 characters, neither '/' nor ',' */
export const MAX_TAGS = 80;
const MAX_TAG_LENGTH = 255;

/** where the tags of one kind of owner live */
export interface TagTable {
  owner: 'projects' | 'domains';
  table: 'project_tags' | 'domain_tags';
  column: 'project_id' | 'domain_id';
}

export const PROJECT_TAGS: TagTable = { owner: 'projects', table: 'project_tags', column: 'project_id' };
export const DOMAIN_TAGS: TagTable = { owner: 'domains', table: 'domain_tags', column: 'domain_id' };

/** One tag, as Keystone's JSON schema checks it. Length counts characters (code points), as Python and PostgreSQL do. */
export function checkTag(field: string, v: unknown): string {
  if (typeof v !== 'string') throw invalid(field, `${show(v)} is not of type 'string'`);
  const length = [...v].length;
  if (length < 1) throw invalid(field, `${show(v)} is too short`);
  if (length > MAX_TAG_LENGTH) throw invalid(field, `${show(v)} is too long`);
  if (/[,/]/.test(v)) throw invalid(field, `${show(v)} does not match '^[^,/]*$'`);
  return v;
}

/** A list of tags: an array of valid tags, at most 80, no duplicates (Keystone's uniqueItems: a 400, not a silent merge). */
export function checkTags(v: unknown, field = 'tags'): string[] {
  if (!Array.isArray(v)) throw invalid(field, `${show(v)} is not of type 'array'`);
  v.forEach((t, i) => checkTag(`${field}/${i}`, t));
  if (v.length > MAX_TAGS) throw invalid(field, `${show(v)} is too long`);
  if (new Set(v).size !== v.length) throw invalid(field, `${show(v)} has non-unique elements`);
  return v as string[];
}

/**
 * Keystone strips the tags given to the /tags routes (not those in a project's
 * body); what stripping yields is checked again, so "  " or ["a", " a"] is a
 * 400 rather than an empty tag or a duplicate.
 */
const stripped = (tags: string[], field: string): string[] => checkTags(tags.map((t) => t.trim()), field);

/** Locks the owner row until the transaction ends (PostgreSQL; SQLite runs one write transaction at a time), so the 80-tag limit and read-modify-write hold under concurrent requests. */
async function lockOwner(tx: Tx, dialect: Dialect, t: TagTable, id: string): Promise<boolean> {
  let q = tx.selectFrom(t.owner as 'projects').select('id').where('id', '=', id);
  if (dialect === 'postgres') q = q.forUpdate();
  return (await q.executeTakeFirst()) !== undefined;
}

/** Replaces all the tags of one project or domain (in the caller's transaction). */
export async function replaceTags(tx: Tx, dialect: Dialect, t: TagTable, id: string, tags: string[]): Promise<void> {
  if (!(await lockOwner(tx, dialect, t, id))) throw Errors.notFound(t.owner === 'projects' ? 'project' : 'domain', id);
  await tx.deleteFrom(t.table as 'project_tags').where(t.column as 'project_id', '=', id).execute();
  if (tags.length) await tx.insertInto(t.table as 'project_tags').values(tags.map((name) => ({ [t.column]: id, name })) as never).execute();
}

async function tagsOf(db: Db | Tx, t: TagTable, id: string): Promise<string[]> {
  const rows = await db.selectFrom(t.table as 'project_tags').select('name').where(t.column as 'project_id', '=', id).execute();
  return rows.map((r) => r.name).sort();
}

/** Sets `tags` (sorted, so the order is the same on both databases) on rows about to be shown. */
export async function loadTags(db: Db | Tx, t: TagTable, rows: Row[]): Promise<void> {
  const byId = new Map<string, Row>();
  for (const r of rows) {
    r.tags = [];
    byId.set(r.id as string, r);
  }
  const ids = [...byId.keys()];
  // bounded IN lists: both databases limit the number of bound parameters
  for (let i = 0; i < ids.length; i += 500) {
    const found: Row[] = await db
      .selectFrom(t.table as 'project_tags')
      .select([t.column as 'project_id', 'name'])
      .where(t.column as 'project_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const f of found) (byId.get(f[t.column])!.tags as string[]).push(f.name);
  }
  for (const r of rows) (r.tags as string[]).sort();
}

/**
 * GET /v3/projects?tags=a,b (all of them), tags-any= (one of them), not-tags=
 * (not all of them), not-tags-any= (none of them); given together, all must
 * hold (the api-ref's meaning; Keystone's SQL driver combines some pairs less
 * strictly).
 */
export function narrowByTags(query: SelectQueryBuilder<any, any, any>, q: Record<string, string>): SelectQueryBuilder<any, any, any> {
  const filters = [
    ['tags', 'in', true],
    ['tags-any', 'in', false],
    ['not-tags', 'not in', true],
    ['not-tags-any', 'not in', false],
  ] as const;
  for (const [param, op, all] of filters) {
    const value = q[param];
    if (value === undefined) continue;
    const names = [...new Set(value.split(','))];
    query = query.where((eb) => {
      let tagged = eb.selectFrom('project_tags').select('project_id').where('name', 'in', names);
      // (project_id, name) is the key: a project holds all the names when it holds that many of them
      if (all) tagged = tagged.groupBy('project_id').having((h) => h.fn.countAll(), '=', names.length);
      return eb('id', op, tagged);
    });
  }
  return query;
}

/** the project (or domain: Keystone serves domains on these routes too) named in the path, and its policy target */
async function ownerOf(db: Db, id: string): Promise<{ t: TagTable; target: Target } | undefined> {
  const p = await db.selectFrom('projects').select(['id', 'domain_id']).where('id', '=', id).executeTakeFirst();
  if (p) return { t: PROJECT_TAGS, target: { id, project_id: id, domain_id: p.domain_id } };
  // a domain is a project whose domain_id is None in Keystone: only the rules' admin clause can match it
  const d = await db.selectFrom('domains').select('id').where('id', '=', id).executeTakeFirst();
  return d ? { t: DOMAIN_TAGS, target: { id, project_id: id } } : undefined;
}

/** GET/PUT/DELETE /v3/projects/{id}/tags, GET(HEAD)/PUT/DELETE /v3/projects/{id}/tags/{tag} */
export function registerProjectTags(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  type One = { Params: { id: string } };
  type Each = { Params: { id: string; tag: string } };
  const selfUrl = (req: FastifyRequest, id: string) => `${baseUrl(req)}/v3/projects/${encodeURIComponent(id)}/tags`;

  /** the owner, after the rule has decided (before existence is revealed, as Keystone's target lookup defers it) */
  const authorized = async (req: FastifyRequest, id: string, rule: string) => {
    const owner = await ownerOf(db, id);
    await enforce(ctx, req, rule, owner?.target ?? { id });
    return owner;
  };
  const found = (owner: Awaited<ReturnType<typeof ownerOf>>, id: string) => {
    if (!owner) throw Errors.notFound('project', id);
    return owner;
  };
  /** runs `fn` in a transaction holding the owner's row; 404 when it is gone */
  const locked = <T>(t: TagTable, id: string, fn: (tx: Tx) => Promise<T>) =>
    db.transaction().execute(async (tx) => {
      if (!(await lockOwner(tx, ctx.database.dialect, t, id))) throw Errors.notFound('project', id);
      return fn(tx);
    });

  app.get<One>('/v3/projects/:id/tags', async (req) => {
    const { t } = found(await authorized(req, req.params.id, 'identity:list_project_tags'), req.params.id);
    return { tags: await tagsOf(db, t, req.params.id), links: { self: selfUrl(req, req.params.id) } };
  });

  app.put<One>('/v3/projects/:id/tags', async (req) => {
    const owner = await authorized(req, req.params.id, 'identity:update_project_tags');
    const body = req.body;
    if (!isObject(body)) throw Errors.validation(`${show(body)} is not of type 'object'`);
    const unexpected = Object.keys(body).find((k) => k !== 'tags');
    if (unexpected !== undefined) throw Errors.validation(`Additional properties are not allowed ('${unexpected}' was unexpected)`);
    if (!('tags' in body)) throw Errors.validation("'tags' is a required property");
    const tags = stripped(checkTags(body.tags), 'tags');
    const { t } = found(owner, req.params.id);
    await db.transaction().execute((tx) => replaceTags(tx, ctx.database.dialect, t, req.params.id, tags));
    // Keystone answers the list as given (stripped), not re-read
    return { tags, links: { self: selfUrl(req, req.params.id) } };
  });

  app.delete<One>('/v3/projects/:id/tags', async (req, reply) => {
    const { t } = found(await authorized(req, req.params.id, 'identity:delete_project_tags'), req.params.id);
    await db.transaction().execute((tx) => replaceTags(tx, ctx.database.dialect, t, req.params.id, []));
    reply.code(204).send();
  });

  // GET answers 204 when the project has the tag, 404 when not; Fastify adds HEAD
  app.get<Each>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const { t } = found(await authorized(req, req.params.id, 'identity:get_project_tag'), req.params.id);
    if (!(await tagsOf(db, t, req.params.id)).includes(req.params.tag)) throw Errors.notFound('project tag', req.params.tag);
    reply.code(204).send();
  });

  app.put<Each>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const owner = await authorized(req, req.params.id, 'identity:create_project_tag');
    const [tag] = stripped([checkTag('tag', req.params.tag)], 'tag');
    const { t } = found(owner, req.params.id);
    await locked(t, req.params.id, async (tx) => {
      // Keystone checks the list with the new tag appended: one already there is a 400, as is an 81st
      checkTags([...(await tagsOf(tx, t, req.params.id)), tag]);
      await tx.insertInto(t.table as 'project_tags').values({ [t.column]: req.params.id, name: tag } as never).execute();
    });
    // Keystone's Location leaves out "/projects"; this one is the tag's URL
    reply.code(201).header('location', `${selfUrl(req, req.params.id)}/${encodeURIComponent(tag)}`).send();
  });

  app.delete<Each>('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const { t } = found(await authorized(req, req.params.id, 'identity:delete_project_tag'), req.params.id);
    await locked(t, req.params.id, async (tx) => {
      const gone = await tx
        .deleteFrom(t.table as 'project_tags')
        .where(t.column as 'project_id', '=', req.params.id)
        .where('name', '=', req.params.tag)
        .executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw Errors.notFound('project tag', req.params.tag);
    });
    reply.code(204).send();
  });
}
