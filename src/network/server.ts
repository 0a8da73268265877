import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import type { Config } from '../common/config.js';
import type { Database } from '../common/db/index.js';
import type { Logger } from '../common/logging.js';
import { noAuth, type AuthStrategy } from './api/auth.js';
import { baseUrl, registerResource, type ResourceService } from './api/controller.js';
import { Errors, NeutronError } from './api/errors.js';
import { extensions } from './api/extensions.js';
import { networkDef } from './api/resources/network.js';
import { portDef } from './api/resources/port.js';
import { subnetDef } from './api/resources/subnet.js';
import { registerTags } from './api/tags.js';
import type { ResourceDef } from './api/resource.js';
import { Ml2Plugin } from './ml2/plugin.js';

export interface NetworkServer {
  app: FastifyInstance;
  plugin: Ml2Plugin;
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw Errors.badRequest('Malformed request body');
  }
}

/** The Neutron API v2.0 on Fastify: routes, error rendering, request ids. */
export async function createNetworkServer(cfg: Config, database: Database, log: Logger, auth: AuthStrategy = noAuth): Promise<NetworkServer> {
  const plugin = new Ml2Plugin(database, cfg, log);
  await plugin.initialize();
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    disableRequestLogging: true,
    bodyLimit: cfg.network.max_request_body_size,
    genReqId: () => `req-${randomUUID()}`,
    // ids are path segments: anything is accepted and looked up, nothing is interpreted
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
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
    reply.code(e.status).header('content-type', 'application/json').send({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });
  });

  app.setNotFoundHandler((req, reply) => {
    const known = /^\/v2\.0\/(networks|subnets|ports)(\/[^/]+(\/tags(\/[^/]+)?)?)?\/?(\?.*)?$/.test(req.url);
    const e = known ? Errors.methodNotAllowed() : Errors.notFoundPath();
    reply.code(e.status).send({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });
  });

  const resources: Array<[ResourceDef, ResourceService]> = [
    [networkDef, bind(plugin.networks)],
    [subnetDef, bind(plugin.subnets)],
    [portDef, bind(plugin.ports)],
  ];

  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: resources.map(([d]) => ({
      name: d.singular, collection: d.plural, links: [{ href: `${baseUrl(req)}/v2.0/${d.plural}`, rel: 'self' }],
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

  for (const [def, svc] of resources) {
    registerResource(app, def, svc, { auth, extraFilters: new Set(['fixed_ips', 'security_groups']) });
    registerTags(app, database.db, def, svc, auth);
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
  };
}
