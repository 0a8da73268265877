import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../common/config.js';
import type { Database } from '../common/db/index.js';
import type { Logger } from '../common/logging.js';
import { registerAppCreds } from './api/app-creds.js';
import { registerAuth } from './api/auth.js';
import { baseUrl, type Ctx } from './api/context.js';
import { registerEntity } from './api/entity.js';
import { endpointEntity, regionEntity, serviceEntity } from './api/entities/catalog.js';
import { domainEntity, projectEntity } from './api/entities/resource.js';
import { roleEntity } from './api/entities/roles.js';
import { userEntity } from './api/entities/users.js';
import { registerGrants } from './api/grants.js';
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
/** how often revocations made by other servers on the same database are picked up */

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw Errors.badRequest('Malformed request body: not valid JSON.');
  }
  // NUL characters: PostgreSQL cannot store them; deep nesting: no attribute needs it
  const stack: Array<[unknown, number]> = [[parsed, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string' && v.includes('\0')) throw Errors.badRequest('Malformed request body: strings must not contain NUL characters.');
    if (typeof v === 'object' && v !== null) {
      if (depth > MAX_DEPTH) throw Errors.badRequest(`Malformed request body: nested deeper than ${MAX_DEPTH} levels.`);
      for (const [k, x] of Object.entries(v)) stack.push([k, depth], [x, depth + 1]);
    }
  }
  return parsed;
}

const version = (req: FastifyRequest) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

function send(reply: FastifyReply, req: FastifyRequest, e: KeystoneError): void {
  if (e.code === 401) reply.header('WWW-Authenticate', `Keystone uri="${baseUrl(req)}"`);
  reply.code(e.code).header('content-type', 'application/json').send(errorBody(e));
}

/** The Keystone v3 API on Fastify. */
export async function createIdentityServer(cfg: Config, database: Database, log: Logger): Promise<IdentityServer> {
  const tokens = await TokenService.open(cfg.data_dir, cfg.identity.token_expiration, database.db);
  const ctx: Ctx = { cfg, database, tokens, passwords: new Passwords(cfg.identity.password_hash_rounds), log };
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY,
    genReqId: () => `req-${randomUUID()}`,
    routerOptions: { maxParamLength: 65536, ignoreTrailingSlash: true },
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? Errors.notFoundPath() : Errors.badRequest(err.message);
      send(reply as unknown as FastifyReply, req as unknown as FastifyRequest, e);
    },
    clientErrorHandler: (err, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const e = err.code === 'HPE_HEADER_OVERFLOW' ? new KeystoneError(431, 'Request Header Fields Too Large', 'Request header fields are too large.') : Errors.badRequest('Malformed HTTP request.');
      const body = JSON.stringify(errorBody(e));
      if (socket.writable) socket.write(`HTTP/1.1 ${e.code} ${STATUS_CODES[e.code]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy(err);
    },
  });

  // Keystone reads every body as JSON, whatever the Content-Type says
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
    if (req.url.includes('%00')) throw Errors.badRequest('The request URL must not contain NUL characters.');
  });
  // the URL only: tokens travel in headers, which are never logged here
  app.addHook('onResponse', async (req, reply) => {
    log.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | KeystoneError, req, reply) => {
    let e: KeystoneError;
    if (err instanceof KeystoneError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = Errors.tooLarge();
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = Errors.badRequest(err.message);
    else {
      log.error({ reqId: req.id, err }, 'unexpected error');
      e = Errors.internal();
    }
    send(reply, req, e);
  });
  app.setNotFoundHandler((req, reply) => send(reply, req, Errors.notFoundPath()));

  app.get('/', async (req, reply) => {
    // Keystone answers the version list with 300 Multiple Choices
    reply.code(300);
    return { versions: { values: [version(req)] } };
  });
  app.get('/v3', async (req) => ({ version: version(req) }));

  registerAuth(app, ctx);
  for (const e of [domainEntity, projectEntity, userEntity, roleEntity, regionEntity, serviceEntity, endpointEntity]) registerEntity(app, ctx, e);
  registerGrants(app, ctx);
  registerAppCreds(app, ctx);

  const stopRefresh = tokens.refreshEvery(database.db, REVOCATION_REFRESH_MS, (err) => log.warn({ err }, 'revocation refresh failed'));
  app.addHook('onClose', async () => stopRefresh());
  return { app, tokens };
}
