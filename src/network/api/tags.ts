import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { TaggedTable, Tags } from '../ml2/tags.js';
import type { AuthStrategy } from './auth.js';
import { withRelated } from './controller.js';
import type { ResourceService } from '../model/resource-service.js';
import { authorizeAction } from './policy.js';
import { Errors } from '../model/errors.js';
import { collectionOf, type ResourceDef } from '../model/resource.js';
import { V } from '../model/validators.js';

/** The standard-attr-tag extension: /v2.0/{collection}/{id}/tags[/{tag}] for any resource; the writes are the plugin's. */
export function registerTags(app: FastifyInstance, tagStore: Tags, def: ResourceDef, svc: ResourceService, auth: AuthStrategy): void {
  const base = `/v2.0/${collectionOf(def)}/:id/tags`;
  const table = def.table as TaggedTable;

  const checkTag = (tag: string) => {
    const msg = V.tag()(tag);
    if (msg) throw Errors.badRequest(`Invalid input for tags. Reason: ${msg}.`);
  };
  const current = (id: string) => tagStore.list(id);
  /** The resource, when the caller may see it, and the tag rule allows the action (get/update/delete_<plural>_tags). */
  const reach = async (headers: IncomingHttpHeaders, id: string, action: 'get' | 'update' | 'delete') => {
    const who = await auth.authenticate(headers);
    const obj = await svc.get(who, id);
    await withRelated(svc, who, obj, (related) => authorizeAction(def, who, `${action}_${def.plural}_tags`, obj, related));
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
    await tagStore.replace(table, req.params.id, tags as string[]);
    return { tags: (tags as string[]).sort() };
  });

  app.put<{ Params: { id: string; tag: string } }>(`${base}/:tag`, async (req, reply) => {
    await reach(req.headers, req.params.id, 'update');
    checkTag(req.params.tag);
    await tagStore.add(table, req.params.id, req.params.tag);
    reply.code(201);
    return reply.send();
  });

  app.delete<{ Params: { id: string } }>(base, async (req, reply) => {
    await reach(req.headers, req.params.id, 'delete');
    await tagStore.clear(table, req.params.id);
    reply.code(204);
    return reply.send();
  });

  app.delete<{ Params: { id: string; tag: string } }>(`${base}/:tag`, async (req, reply) => {
    await reach(req.headers, req.params.id, 'delete');
    if (!(await tagStore.remove(table, req.params.id, req.params.tag))) throw Errors.tagNotFound(req.params.tag, def.plural, req.params.id);
    reply.code(204);
    return reply.send();
  });
}
