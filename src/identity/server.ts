import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityServiceConfig } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from '../common/logging.js';
import { createOpenStackApp, type ApiErrors } from '../common/openstack-app.js';
import { registerAppCreds } from './api/app-creds.js';
import { registerAuth } from './api/auth.js';
import { registerCredentials } from './api/credentials.js';
import { registerEc2Credentials } from './api/ec2-credentials.js';
import { baseUrl, type Ctx } from './api/context.js';
import { registerEndpointGroups } from './api/endpoint-groups.js';
import { registerEntity } from './api/entity.js';
import { endpointEntity, regionEntity, serviceEntity } from './api/entities/catalog.js';
import { consumerEntity, endpointGroupEntity, policyEntity } from './api/entities/extras.js';
import { groupEntity } from './api/entities/groups.js';
import { domainEntity, projectEntity } from './api/entities/resource.js';
import { roleEntity } from './api/entities/roles.js';
import { userEntity } from './api/entities/users.js';
import { registerGrants } from './api/grants.js';
import { registerGroups } from './api/groups.js';
import { registerImpliedRoles } from './api/implied-roles.js';
import { registerRoleAssignments } from './api/role-assignments.js';
import { registerProjectTags } from './api/project-tags.js';
import { errorBody, Errors, KeystoneError } from './errors.js';
import { Passwords } from './passwords.js';
import { REVOCATION_REFRESH_MS, TokenService } from './tokens.js';

export interface IdentityServer {
  app: FastifyInstance;
  tokens: TokenService;
}

/** Keystone's request size limit ([oslo_middleware] max_request_body_size) */
const MAX_BODY = 114688;
const MAX_DEPTH = 32;

const version = (req: FastifyRequest) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

/** Keystone's error format; a 401 says where to get a token */
const keystoneErrors: ApiErrors<KeystoneError> = {
  is: (e): e is KeystoneError => e instanceof KeystoneError,
  status: (e) => e.code,
  body: errorBody,
  headers: (e, req): Record<string, string> => (e.code === 401 ? { 'WWW-Authenticate': `Keystone uri="${baseUrl(req)}"` } : {}),
  badRequest: Errors.badRequest,
  notFoundPath: Errors.notFoundPath,
  tooLarge: Errors.tooLarge,
  headerFieldsTooLarge: () => new KeystoneError(431, 'Request Header Fields Too Large', 'Request header fields are too large.'),
  timeout: () => new KeystoneError(408, 'Request Timeout', 'The request timed out.'),
  internal: Errors.internal,
  messages: {
    malformedRequest: 'Malformed HTTP request.',
    malformedJson: 'Malformed request body: not valid JSON.',
    nul: 'Malformed request body: strings must not contain NUL characters.',
    urlNul: 'The request URL must not contain NUL characters.',
    depth: (max) => `Malformed request body: nested deeper than ${max} levels.`,
  },
};

/** The Keystone v3 API on Fastify. */
export async function createIdentityServer(cfg: IdentityServiceConfig, database: Database, log: Logger): Promise<IdentityServer> {
  const tokens = await TokenService.open(cfg.data_dir, cfg.identity.token_expiration, database.db);
  const ctx: Ctx = { cfg, database, tokens, passwords: new Passwords(cfg.identity.password_hash_rounds), log };
  const app = createOpenStackApp({ bodyLimit: MAX_BODY, maxBodyDepth: MAX_DEPTH, log, errors: keystoneErrors });
  app.setNotFoundHandler(async () => {
    throw Errors.notFoundPath();
  });

  app.get('/', async (req, reply) => {
    // Keystone answers the version list with 300 Multiple Choices
    reply.code(300);
    return { versions: { values: [version(req)] } };
  });
  app.get('/v3', async (req) => ({ version: version(req) }));

  registerAuth(app, ctx);
  for (const e of [domainEntity, projectEntity, userEntity, roleEntity, regionEntity, serviceEntity, endpointEntity, groupEntity]) registerEntity(app, ctx, e);
  for (const e of [policyEntity, consumerEntity, endpointGroupEntity]) registerEntity(app, ctx, e);
  registerEndpointGroups(app, ctx);
  registerGrants(app, ctx);
  registerProjectTags(app, ctx);
  registerRoleAssignments(app, ctx);
  registerGroups(app, ctx);
  registerImpliedRoles(app, ctx);
  registerAppCreds(app, ctx);
  registerCredentials(app, ctx);
  registerEc2Credentials(app, ctx);

  const stopRefresh = tokens.refreshEvery(database.db, REVOCATION_REFRESH_MS, (err) => log.warn({ err }, 'revocation refresh failed'));
  app.addHook('onClose', async () => stopRefresh());
  return { app, tokens };
}
