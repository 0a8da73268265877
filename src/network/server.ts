import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NetworkServiceConfig } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from '../common/logging.js';
import { createOpenStackApp, type ApiErrors } from '../common/openstack-app.js';
import { AuthError, noAuth, type AuthStrategy } from './api/auth.js';
import { baseUrl, registerResource } from './api/controller.js';
import type { ResourceService } from './model/resource-service.js';
import { Errors, NeutronError } from './model/errors.js';
import { extensions } from './api/extensions.js';
import { networkDef } from './model/resources/network.js';
import { portDef } from './model/resources/port.js';
import { rbacPolicyDef } from './model/resources/rbac-policy.js';
import { subnetDef } from './model/resources/subnet.js';
import { securityGroupDef, securityGroupRuleDef } from './model/resources/security-group.js';
import { registerTags } from './api/tags.js';
import { ReadCache } from './api/read-cache.js';
import { collectionOf, type ResourceDef } from './model/resource.js';
import { Ml2Plugin } from './ml2/plugin.js';
import { registerQuotas } from './api/quotas.js';
import { registerAvailabilityZones } from './api/availability-zones.js';
import { registerChangesApi } from './agents/api/changes.js';
import { registerAgents, type AgentsService } from './agents/api/setup.js';

export interface NetworkServer {
  app: FastifyInstance;
  plugin: Ml2Plugin;
  agents: AgentsService;
}

/** Deeper than any attribute goes; deep enough nesting would overflow the stack when serialized. */
const MAX_BODY_DEPTH = 100;

const neutronBody = (e: NeutronError) => ({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });

/** Neutron's error format; a refused token is answered as keystonemiddleware answers */
const neutronErrors: ApiErrors<NeutronError> = {
  is: (e): e is NeutronError => e instanceof NeutronError,
  status: (e) => e.status,
  body: (e) => (e instanceof AuthError ? e.body() : neutronBody(e)),
  headers: (e): Record<string, string> => (e instanceof AuthError ? { 'www-authenticate': `Keystone uri="${e.identityUri}"` } : {}),
  badRequest: Errors.badRequest,
  notFoundPath: Errors.notFoundPath,
  tooLarge: Errors.tooLarge,
  headerFieldsTooLarge: () => new NeutronError('HTTPRequestHeaderFieldsTooLarge', 431, 'Request header fields are too large.'),
  timeout: () => new NeutronError('HTTPRequestTimeout', 408, 'The request timed out.'),
  internal: Errors.internal,
  messages: {
    malformedRequest: 'Malformed HTTP request',
    malformedJson: 'Malformed request body',
    nul: 'Malformed request body: strings must not contain NUL characters',
    urlNul: 'The request URL must not contain NUL characters',
    depth: (max) => `Malformed request body: nested deeper than ${max} levels`,
  },
};

/** The Neutron API v2.0 on Fastify: routes, error rendering, request ids. */
export async function createNetworkServer(cfg: NetworkServiceConfig, database: Database, log: Logger, auth: AuthStrategy = noAuth): Promise<NetworkServer> {
  const plugin = new Ml2Plugin(database, cfg, log);
  await plugin.initialize();
  const app = createOpenStackApp({ bodyLimit: cfg.network.max_request_body_size, maxBodyDepth: MAX_BODY_DEPTH, log, errors: neutronErrors });

  // Neutron's api-paste puts authtoken in front of all of /v2.0 (only the version list at / is open)
  const authenticated = (req: FastifyRequest) => auth.authenticate(req.headers);

  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith('/v2.0')) await authenticated(req);
    const known = /^\/v2\.0\/(networks|subnets|ports|rbac-policies|security-groups|security-group-rules|availability_zones|quotas|agents)(\/[^/]+(\/tags(\/[^/]+)?)?)?\/?(\?.*)?$/.test(req.url);
    const e = known ? Errors.methodNotAllowed() : Errors.notFoundPath();
    return reply.code(e.status).send({ NeutronError: { type: e.type, message: e.message, detail: e.detail } });
  });

  const resources: Array<[ResourceDef, ResourceService]> = [
    [networkDef, bind(plugin.networks)],
    [subnetDef, bind(plugin.subnets)],
    [portDef, bind(plugin.ports)],
    [rbacPolicyDef, bind(plugin.rbac)],
    [securityGroupDef, bind(plugin.securityGroups)],
    [securityGroupRuleDef, bind(plugin.securityGroupRules)],
  ];
  const tagged: ReadonlySet<ResourceDef> = new Set([networkDef, subnetDef, portDef, securityGroupDef]);

  app.get('/', async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(req)}/v2.0/`, rel: 'self' }] }],
  }));
  app.get('/v2.0', async (req) => {
    await authenticated(req);
    return {
      resources: resources.map(([d]) => ({
        name: d.singular, collection: d.plural, links: [{ href: `${baseUrl(req)}/v2.0/${collectionOf(d)}`, rel: 'self' }],
      })),
    };
  });
  const updated = '2013-01-01T10:00:00-00:00';
  app.get('/v2.0/extensions', async (req) => {
    await authenticated(req);
    return { extensions: extensions.map((x) => ({ ...x, updated, links: [] })) };
  });
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    await authenticated(req);
    const x = extensions.find((e) => e.alias === req.params.alias);
    if (!x) throw new NeutronError('HTTPNotFound', 404, `Extension with alias ${req.params.alias} does not exist`);
    return { extension: { ...x, updated, links: [] } };
  });

  const cache = new ReadCache(database, cfg.network.read_cache_bytes);
  for (const [def, svc] of resources) {
    registerResource(app, def, svc, { auth, cache, extraFilters: new Set(['fixed_ips', 'security_groups']) });
    if (tagged.has(def)) registerTags(app, plugin.tags, def, svc, auth);
  }
  registerQuotas(app, plugin.ctx, auth);
  registerAvailabilityZones(app, plugin.availabilityZones, auth);
  await registerChangesApi(app, plugin.ctx, cfg, log, auth);
  const agents = registerAgents(app, plugin, auth);
  return { app, plugin, agents };
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
