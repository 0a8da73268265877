import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStrategy } from './auth.js';
import { Errors } from '../model/errors.js';
import type { ReadCache } from './read-cache.js';
import { fieldsOf, paginationLinks, parseListQuery } from './query.js';
import type { ListQuery } from '../model/list-query.js';
import { authorizeCreate, authorizeDelete, authorizeProject, authorizeShow, authorizeUpdate, hiddenAttributes } from './policy.js';
import { collectionOf, compiled, type ResourceDef } from '../model/resource.js';
import { prepareCreate, prepareUpdate, present, unwrapBody } from './body.js';
import type { Caller } from '../model/caller.js';
import type { ResourceService } from '../model/resource-service.js';

type Body = Record<string, unknown>;

/** The related fields, only when the rule cannot decide without them. */
export async function withRelated(svc: ResourceService, caller: Caller, obj: Body, check: (related: Body) => void): Promise<void> {
  try {
    check({});
  } catch (e) {
    if (!svc.related) throw e;
    check(await svc.related(caller, obj, true));
  }
}

export interface ControllerDeps {
  auth: AuthStrategy;
  cache?: ReadCache;
  /** filters served by the plugin beyond the declared scalar ones */
  extraFilters?: ReadonlySet<string>;
  /** made elsewhere, not through the API (agents, by their reports): POST answers 405 */
  noCreate?: boolean;
}

export function searchOf(req: FastifyRequest): URLSearchParams {
  const i = req.url.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : req.url.slice(i + 1));
}

export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/** Serves create, list, show, update and delete of any declared resource, Neutron's way. */
export function registerResource(app: FastifyInstance, def: ResourceDef, svc: ResourceService, deps: ControllerDeps): void {
  const base = `/v2.0/${collectionOf(def)}`;
  const caller = (req: FastifyRequest) => deps.auth.authenticate(req.headers);
  // Neutron filters every answer with a body by ?fields=, creates and updates too
  const fields = (req: FastifyRequest) => fieldsOf(searchOf(req));

  app.post(base, async (req, reply: FastifyReply) => {
    const who = await caller(req);
    if (deps.noCreate) throw Errors.methodNotAllowed();
    const body = req.body as unknown;
    const bulk = typeof body === 'object' && body !== null && def.plural in body;
    const raw = unwrapBody(def, body, true);
    const items = raw.map((item) => prepareCreate(def, item, who));
    for (const item of items) authorizeProject(who, item);
    for (let i = 0; i < items.length; i++) {
      const related = svc.related ? await svc.related(who, items[i], false) : {};
      authorizeCreate(def, who, items[i], Object.keys(raw[i]), related);
    }
    const created = await svc.create(who, items);
    reply.code(201);
    const shown = created.map((c) => present(def, c, hiddenAttributes(def, who, c), fields(req)));
    return bulk ? { [def.plural]: shown } : { [def.singular]: shown[0] };
  });

  // responses are serialized from the declaration's schema (fast-json-stringify), not by JSON.stringify
  const item = compiled(def).schema;
  const links = { type: 'array', items: { type: 'object', properties: { href: { type: 'string' }, rel: { type: 'string' } } } };
  const listSchema = { response: { 200: { type: 'object', properties: { [def.plural]: { type: 'array', items: item }, [`${def.plural}_links`]: links } } } };
  const showSchema = { response: { 200: { type: 'object', properties: { [def.singular]: item } } } };

  /** Serves a GET from the cache when the database has not changed since it was computed. */
  const cached = (compute: (req: FastifyRequest, who: Caller) => Promise<Body>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const who = await caller(req);
      const cache = deps.cache;
      if (!cache?.enabled) return compute(req, who);
      // the answer depends on the caller's scope: its project and its roles (the rules read nothing else)
      // (JSON, so no role name or project id, whatever it holds, can make two scopes' keys meet)
      const key = JSON.stringify([[...who.roles].sort(), who.projectId, req.headers.host ?? '', req.url]);
      const version = await cache.version();
      let body = cache.get(key, version);
      if (body === undefined) {
        body = Buffer.from(reply.serialize(await compute(req, who)) as string);
        cache.set(key, version, body);
      }
      return reply.type('application/json; charset=utf-8').send(body);
    };

  app.get(base, { schema: listSchema }, cached(async (req, who) => {
    const search = searchOf(req);
    const q = parseListQuery(def, search, deps.extraFilters);
    const items = await svc.list(who, q);
    const out: Body = { [def.plural]: items.map((it) => present(def, it, hiddenAttributes(def, who, it), q.fields)) };
    if (q.limit) out[`${def.plural}_links`] = paginationLinks(`${baseUrl(req)}${base}`, search, items, q);
    return out;
  }));

  app.get(`${base}/:id`, { schema: showSchema }, cached(async (req, who) => {
    const item = await svc.get(who, (req.params as { id: string }).id);
    await withRelated(svc, who, item, (related) => authorizeShow(def, who, item, related));
    return { [def.singular]: present(def, item, hiddenAttributes(def, who, item), fields(req)) };
  }));

  app.put<{ Params: { id: string } }>(`${base}/:id`, async (req) => {
    const who = await caller(req);
    const changes = prepareUpdate(def, req.body);
    const original = await svc.get(who, req.params.id);
    await withRelated(svc, who, original, (related) => authorizeUpdate(def, who, original, changes, related));
    const item = await svc.update(who, req.params.id, changes);
    return { [def.singular]: present(def, item, hiddenAttributes(def, who, item), fields(req)) };
  });

  app.delete<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
    const who = await caller(req);
    const original = await svc.get(who, req.params.id);
    await withRelated(svc, who, original, (related) => authorizeDelete(def, who, original, related));
    await svc.delete(who, req.params.id);
    reply.code(204);
    return reply.send();
  });
}
