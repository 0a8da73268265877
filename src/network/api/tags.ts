import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../common/db/index.js';
import type { Schema } from '../../common/db/schema.js';
import type { AuthStrategy } from './auth.js';
import { withRelated, type ResourceService } from './controller.js';
import { authorizeAction } from './policy.js';
import { Errors } from './errors.js';
import { collectionOf, type ResourceDef } from './resource.js';
import { V } from './validators.js';

const MAX_TAGS = 50;

/** The standard-attr-tag extension: /v2.0/{collection}/{id}/tags[/{tag}] for any resource. */
export function registerTags(app: FastifyInstance, db: Db, def: ResourceDef, svc: ResourceService, auth: AuthStrategy): void {
  const base = `/v2.0/${collectionOf(def)}/:id/tags`;
  const table = def.table as keyof Schema;

  const checkTag = (tag: string) => {
    const msg = V.tag()(tag);
    if (msg) throw Errors.badRequest(`Invalid input for tags. Reason: ${msg}.`);
  };
  const current = async (id: string) =>
    (await db.selectFrom('tags').select('tag').where('resource_id', '=', id).execute()).map((r) => r.tag).sort();
  // a tag change is a change of the resource: its revision moves on
  /** The resource, when the caller may see it, and the tag rule allows the action (get/update/delete_<plural>_tags). */
  const reach = async (headers: IncomingHttpHeaders, id: string, action: 'get' | 'update' | 'delete') => {
    const who = await auth.authenticate(headers);
    const obj = await svc.get(who, id);
    await withRelated(svc, who, obj, (related) => authorizeAction(def, who, `${action}_${def.plural}_tags`, obj, related));
  };
  const bump = async (id: string) => {
    await db.updateTable(table as 'networks').set((eb) => ({ revision_number: eb('revision_number', '+', 1) })).where('id', '=', id).execute();
  };

  app.get<{ Params: { id: string } }>(base, async (req) => {
    await reach(req.headers, req.params.id, 'get');
    return { tags: await current(req.params.id) };
  });

  app.get<{ Params: { id: string; tag: string } }>(`${base}/:tag`, async (req, reply) => {
    await reach(req.headers, req.params.id, 'get');
    if (!(await current(req.params.id)).includes(req.params.tag)) throw Errors.tagNotFound(req.params.tag, def.plural, req.params.id);
    reply.code(204);
    return reply.send();
  });

  app.put<{ Params: { id: string } }>(base, async (req) => {
    await reach(req.headers, req.params.id, 'update');
    const body = req.body as { tags?: unknown } | null;
    if (!body || typeof body !== 'object' || !Array.isArray(body.tags)) throw Errors.badRequest("Invalid input for tags. Reason: 'tags' is a required list.");
    const tags = [...new Set(body.tags as unknown[])];
    for (const t of tags) {
      if (typeof t !== 'string') throw Errors.badRequest(`Invalid input for tags. Reason: '${JSON.stringify(t)}' is not a valid string.`);
      checkTag(t);
    }
    if (tags.length > MAX_TAGS) throw Errors.badRequest(`Invalid input for tags. Reason: Number of tags exceeds ${MAX_TAGS}.`);
    const id = req.params.id;
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
      if (tags.length) await tx.insertInto('tags').values((tags as string[]).map((tag) => ({ resource_id: id, tag }))).execute();
    });
    await bump(id);
    return { tags: (tags as string[]).sort() };
  });

  app.put<{ Params: { id: string; tag: string } }>(`${base}/:tag`, async (req, reply) => {
    await reach(req.headers, req.params.id, 'update');
    checkTag(req.params.tag);
    const have = await current(req.params.id);
    if (!have.includes(req.params.tag)) {
      if (have.length >= MAX_TAGS) throw Errors.badRequest(`Invalid input for tags. Reason: Number of tags exceeds ${MAX_TAGS}.`);
      await db.insertInto('tags').values({ resource_id: req.params.id, tag: req.params.tag }).onConflict((oc) => oc.doNothing()).execute();
      await bump(req.params.id);
    }
    reply.code(201);
    return reply.send();
  });

  app.delete<{ Params: { id: string } }>(base, async (req, reply) => {
    await reach(req.headers, req.params.id, 'delete');
    await db.deleteFrom('tags').where('resource_id', '=', req.params.id).execute();
    await bump(req.params.id);
    reply.code(204);
    return reply.send();
  });

  app.delete<{ Params: { id: string; tag: string } }>(`${base}/:tag`, async (req, reply) => {
    await reach(req.headers, req.params.id, 'delete');
    const res = await db.deleteFrom('tags').where('resource_id', '=', req.params.id).where('tag', '=', req.params.tag).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw Errors.tagNotFound(req.params.tag, def.plural, req.params.id);
    await bump(req.params.id);
    reply.code(204);
    return reply.send();
  });
}
