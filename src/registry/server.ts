// The OCI distribution / Docker Registry HTTP API v2 server on Fastify.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../common/logging.js';
import { blobRoutes } from './api/blobs.js';
import type { RegistryContext } from './api/context.js';
import { RegistryError, regError } from './api/errors.js';
import { manifestRoutes } from './api/manifests.js';
import { referrerRoutes } from './api/referrers.js';
import { dispatcher } from './api/router.js';
import { tagRoutes, unnamedRoutes } from './api/tags.js';
import { uploadRoutes } from './api/uploads.js';
import { BlobStore } from './storage/blobs.js';
import { InvalidPathError } from './storage/driver.js';
import { isValidName } from './storage/paths.js';
import { FilesystemDriver } from './storage/filesystem.js';
import { ManifestStore } from './storage/manifests.js';
import { UploadStore } from './storage/uploads.js';

export interface RegistryAuthenticator {
  realm: string;
  /** true when the Authorization header is acceptable */
  check(authorization: string | undefined): Promise<boolean>;
}

export interface RegistryOptions {
  rootDirectory: string;
  deleteEnabled: boolean;
  uploadExpirySeconds?: number;
  auth?: RegistryAuthenticator;
  log: Logger;
}

/** distribution's default (maintenance.uploadpurging.age: 168h) */
const DEFAULT_UPLOAD_EXPIRY_SECONDS = 7 * 24 * 3600;
/** how often expired sessions are swept, at most */
const MAX_PURGE_INTERVAL_MS = 24 * 3600 * 1000;

export async function createRegistryServer(
  opts: RegistryOptions,
  https?: { key: string | Buffer; cert: string | Buffer },
): Promise<FastifyInstance> {
  const { log } = opts;
  const driver = new FilesystemDriver(opts.rootDirectory);
  const blobs = new BlobStore(driver);
  const expiry = opts.uploadExpirySeconds ?? DEFAULT_UPLOAD_EXPIRY_SECONDS;
  const uploads = new UploadStore(driver, blobs, expiry);
  const ctx: RegistryContext = { driver, blobs, uploads, manifests: new ManifestStore(driver, blobs), deleteEnabled: opts.deleteEnabled, log };

  const app = Fastify({
    ...(https ? { https } : {}),
    // Fastify's own logger stays off: requests are logged once, by the onResponse hook
    logger: false,
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    // repository names with many components arrive in one wildcard parameter
    routerOptions: { maxParamLength: 65536 },
    // a percent-escape that is not UTF-8 (%FF) cannot be decoded by the router; names and tags are
    // ASCII, so such a path names nothing: refused in the OCI error shape
    frameworkErrors: (err, req, res) => {
      const reply = res as unknown as FastifyReply;
      const path = req.url.split('?')[0];
      const m = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path);
      const e =
        err.code !== 'FST_ERR_BAD_URL'
          ? new RegistryError('UNSUPPORTED', undefined, { status: 400, message: err.message })
          : m && isValidName(m[1])
            ? regError('TAG_INVALID', { path })
            : regError('NAME_INVALID', { path });
      reply.code(e.status).header('Content-Type', 'application/json').send(JSON.stringify(e.body()));
    },
    // what fails before a request exists is answered in the OCI error shape too
    clientErrorHandler: (err, socket) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      const body = JSON.stringify(regError('UNSUPPORTED', undefined, { status: 400, message: 'malformed HTTP request' }).body());
      if (socket.writable) {
        socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy(err);
    },
  }) as unknown as FastifyInstance;

  // bodies stay unread streams: uploads go socket to disk, manifests are read with a size limit
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    if (opts.auth && !(await opts.auth.check(req.headers.authorization))) {
      throw regError('UNAUTHORIZED', undefined, { headers: { 'WWW-Authenticate': `Basic realm="${opts.auth.realm.replace(/["\\]/g, '')}"` } });
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    log.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | RegistryError | InvalidPathError, req, reply) => {
    let e: RegistryError;
    if (err instanceof RegistryError) e = err;
    else if (err instanceof InvalidPathError) e = regError('NAME_INVALID', { path: err.path });
    else if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || req.raw.destroyed) {
      log.debug({ reqId: req.id, err }, 'client went away');
      return;
    } else if ('statusCode' in err && err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      e = new RegistryError('UNSUPPORTED', undefined, { status: err.statusCode, message: err.message });
    } else {
      log.error({ reqId: req.id, err }, 'unexpected error');
      e = regError('UNKNOWN');
    }
    if (reply.sent) return;
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    reply.code(e.status).header('Content-Type', 'application/json').send(JSON.stringify(e.body()));
  });

  app.setNotFoundHandler((req, reply) => {
    const e = regError('NAME_UNKNOWN', { path: req.url.split('?')[0] }, { status: 404, message: 'no such endpoint' });
    reply.code(404).header('Content-Type', 'application/json').send(JSON.stringify(e.body()));
  });

  const handler = dispatcher(ctx, [...unnamedRoutes, ...uploadRoutes, ...blobRoutes, ...manifestRoutes, ...tagRoutes, ...referrerRoutes]);
  const method = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
  app.route({ method, url: '/v2', handler });
  app.route({ method, url: '/v2/*', handler });

  // expired upload sessions: swept at start and then periodically, off the request path
  const purge = () =>
    uploads.purgeExpired().then(
      (n) => n > 0 && log.info({ purged: n }, 'expired upload sessions removed'),
      (err) => log.error({ err }, 'upload purge failed'),
    );
  void purge();
  const timer = setInterval(purge, Math.min(expiry * 1000, MAX_PURGE_INTERVAL_MS));
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  return app;
}
