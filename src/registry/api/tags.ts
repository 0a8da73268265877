// GET /v2/<name>/tags/list and GET /v2/_catalog, both with n/last pagination.
import { listRepositories } from '../storage/manifests.js';
import type { Handler, Route } from './context.js';
import { regError } from './errors.js';
import { paginate } from './pagination.js';

const listTags: Handler = async (ctx, _req, reply, m) => {
  const tags = await ctx.manifests.tags(m.name);
  if (!tags) throw regError('NAME_UNKNOWN', { name: m.name });
  return reply.send({ name: m.name, tags: paginate(tags, m.query, `/v2/${m.name}/tags/list`, reply) });
};

const catalog: Handler = async (ctx, _req, reply, m) => {
  const repositories = await listRepositories(ctx.driver);
  return reply.send({ repositories: paginate(repositories, m.query, '/v2/_catalog', reply) });
};

const base: Handler = async (_ctx, _req, reply) => reply.header('Content-Type', 'application/json').send('{}');

/** routes without a repository name; matched before the named ones */
export const unnamedRoutes: Route[] = [
  { pattern: /^\/v2\/?$/, methods: { GET: base, HEAD: base } },
  { pattern: /^\/v2\/_catalog$/, methods: { GET: catalog } },
];

export const tagRoutes: Route[] = [{ pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: listTags } }];
