import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply } from 'fastify';
import type { Config } from '../common/config.js';
import type { Database } from '../common/db/index.js';
import type { Logger } from '../common/logging.js';
import { noAuth, type AuthStrategy } from './api/auth.js';
import { baseUrl, registerResource, type ResourceService } from './api/controller.js';
import { AuthError, Errors, NeutronError } from './api/errors.js';
import { extensions } from './api/extensions.js';
import { networkDef } from './api/resources/network.js';
import { portDef } from './api/resources/port.js';
import { rbacPolicyDef } from './api/resources/rbac-policy.js';
import { subnetDef } from './api/resources/subnet.js';
import { registerTags } from './api/tags.js';
import { ReadCache } from './api/read-cache.js';
import { collectionOf, type ResourceDef } from './api/resource.js';
import { Ml2Plugin } from './ml2/plugin.js';

export interface NetworkServer {
  app: FastifyInstance;
  plugin: Ml2Plugin;
}

/** Deeper than any attribute goes; deep enough nesting would overflow the stack when serialized. */
const MAX_BODY_DEPTH = 100;

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw Errors.badRequest('Malformed request body');
  }
  checkJson(parsed);
  return parsed;
}

/** Refuses what no attribute can hold and not every database can store: NUL characters, absurd nesting. */
function checkJson(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) throw Errors.badRequest('Malformed request body: strings must not contain NUL characters');
    } else if (typeof v === 'object' && v !== null) {
      if (depth > MAX_BODY_DEPTH) throw Errors.badRequest(`Malformed request body: nested deeper than ${MAX_BODY_DEPTH} levels`);
      for (const [k, x] of Object.entries(v)) stack.push([k, depth], [x, depth + 1]);
    }
  }
}

const neutronBody = (e: NeutronError) => ({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });

/** The Neutron API v2.0 on Fastify: routes, error rendering, request ids. */
export async function createNetworkServer(cfg: Config, database: Database, log: Logger, auth: AuthStrategy = noAuth): Promise<NetworkServer> {
  const plugin = new Ml2Plugin(database, cfg, log);
  await plugin.initialize();
  const app = Fastify({
    // Fastify's own logger stays off: requests are logged once, by the onResponse hook
    logger: false,
    bodyLimit: cfg.network.max_request_body_size,
    genReqId: () => `req-${randomUUID()}`,
    // ids are path segments: anything is accepted and looked up, nothing is interpreted
    // (longer than any request line Node accepts, so a long id is looked up and not found)
    routerOptions: { maxParamLength: 65536, ignoreTrailingSlash: true },
    // what fails before routing or before a request exists is answered in Neutron's shape too
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? Errors.notFoundPath() : Errors.badRequest(err.message);
      (reply as unknown as FastifyReply).code(e.status).header('X-Openstack-Request-Id', req.id).header('content-type', 'application/json').send(neutronBody(e));
    },
    clientErrorHandler: (err, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const e = err.code === 'HPE_HEADER_OVERFLOW'
        ? new NeutronError('HTTPRequestHeaderFieldsTooLarge', 431, 'Request header fields are too large.')
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new NeutronError('HTTPRequestTimeout', 408, 'The request timed out.')
          : Errors.badRequest('Malformed HTTP request');
      const body = JSON.stringify(neutronBody(e));
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy(err);
    },
  });

  // Neutron reads every body as JSON, whatever the Content-Type says
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Openstack-Request-Id', req.id);
    // no id, tag or filter value holds one, and PostgreSQL cannot even compare text with it
    if (req.url.includes('%00')) throw Errors.badRequest('The request URL must not contain NUL characters');
  });
  app.addHook('onResponse', async (req, reply) => {
    log.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | NeutronError, req, reply) => {
    let e: NeutronError;
    if (err instanceof NeutronError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = Errors.tooLarge();
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = Errors.badRequest(err.message);
    else {
      log.error({ reqId: req.id, err }, 'unexpected error');
      e = Errors.internal();
    }
    if (e.status >= 500) log.error({ reqId: req.id, type: e.type }, e.message);
    if (e instanceof AuthError) {
      return reply.code(401).header('content-type', 'application/json').header('www-authenticate', `Keystone uri="${e.identityUri}"`).send(e.body());
    }
    reply.code(e.status).header('content-type', 'application/json').send({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });
  });

  app.setNotFoundHandler((req, reply) => {
    const known = /^\/v2\.0\/(networks|subnets|ports|rbac-policies)(\/[^/]+(\/tags(\/[^/]+)?)?)?\/?(\?.*)?$/.test(req.url);
    const e = known ? Errors.methodNotAllowed() : Errors.notFoundPath();
    reply.code(e.status).send({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });
  });

  const resources: Array<[ResourceDef, ResourceService]> = [
    [networkDef, bind(plugin.networks)],
    [subnetDef, bind(plugin.subnets)],
    [portDef, bind(plugin.ports)],
    [rbacPolicyDef, bind(plugin.rbac)],
  ];
  const tagged: ReadonlySet<ResourceDef> = new Set([networkDef, subnetDef, portDef]);

  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: resources.map(([d]) => ({
      name: d.singular, collection: d.plural, links: [{ href: `${baseUrl(req)}/v2.0/${collectionOf(d)}`, rel: 'self' }],
    })),
  }));
  const updated = '2013-01-01T10:00:00-00:00';
  app.get('/v2.0/extensions', async () => ({
    extensions: extensions.map((x) => ({ ...x, updated, links: [] })),
  }));
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const x = extensions.find((e) => e.alias === req.params.alias);
    if (!x) throw new NeutronError('HTTPNotFound', 404, `Extension with alias ${req.params.alias} does not exist`);
    return { extension: { ...x, updated, links: [] } };
  });

  const cache = new ReadCache(database, cfg.network.read_cache_bytes);
  for (const [def, svc] of resources) {
    registerResource(app, def, svc, { auth, cache, extraFilters: new Set(['fixed_ips', 'security_groups']) });
    if (tagged.has(def)) registerTags(app, database.db, def, svc, auth);
  }
  return { app, plugin };
}

function bind(svc: ResourceService): ResourceService {
  return {
    create: svc.create.bind(svc),
    get: svc.get.bind(svc),
    list: svc.list.bind(svc),
    update: svc.update.bind(svc),
    delete: svc.delete.bind(svc),
    ...(svc.related ? { related: svc.related.bind(svc) } : {}),
  };
}
