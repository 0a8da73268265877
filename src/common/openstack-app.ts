// What every cloudlet OpenStack API server does the same way, whatever its error
// format: request ids (X-Openstack-Request-Id), bodies read as JSON whatever the
// Content-Type says (as the WSGI services do), refusal of invalid UTF-8, NUL
// characters and absurd nesting, one log line per request (the URL only: tokens travel in headers, never
// logged), and every failure, even one before routing or before a request exists,
// answered in the service's own error format.
import { randomUUID } from 'node:crypto';
import { decodeUtf8 } from './utf8.js';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from './logging.js';

/** a service's error type and how it is rendered */
export interface ApiErrors<E extends Error> {
  is(e: unknown): e is E;
  status(e: E): number;
  body(e: E): unknown;
  /** extra headers for this error (WWW-Authenticate on a 401) */
  headers?(e: E, req: FastifyRequest): Record<string, string>;
  badRequest(message: string): E;
  notFoundPath(): E;
  tooLarge(): E;
  headerFieldsTooLarge(): E;
  timeout(): E;
  internal(): E;
  /** the wording of the service's own JSON refusals */
  messages: { malformedRequest: string; malformedJson: string; nul: string; urlNul: string; depth: (max: number) => string };
}

export interface OpenStackAppOptions<E extends Error> {
  bodyLimit: number;
  maxBodyDepth: number;
  log: Logger;
  errors: ApiErrors<E>;
}

function parseJson<E extends Error>(raw: Buffer, maxDepth: number, errors: ApiErrors<E>): unknown {
  // invalid UTF-8 is malformed JSON, as Neutron and Keystone answer it
  const body = decodeUtf8(raw);
  if (body === undefined) throw errors.badRequest(errors.messages.malformedJson);
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw errors.badRequest(errors.messages.malformedJson);
  }
  // NUL characters: not every database can store them; deep nesting: no attribute needs it, and serializing it could overflow the stack
  const stack: Array<[unknown, number]> = [[parsed, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) throw errors.badRequest(errors.messages.nul);
    } else if (typeof v === 'object' && v !== null) {
      if (depth > maxDepth) throw errors.badRequest(errors.messages.depth(maxDepth));
      for (const [k, x] of Object.entries(v)) stack.push([k, depth], [x, depth + 1]);
    }
  }
  return parsed;
}

export function createOpenStackApp<E extends Error>(opts: OpenStackAppOptions<E>): FastifyInstance {
  const { errors, log } = opts;
  const send = (reply: FastifyReply, req: FastifyRequest, e: E): FastifyReply => {
    for (const [k, v] of Object.entries(errors.headers?.(e, req) ?? {})) reply.header(k, v);
    return reply.code(errors.status(e)).header('X-Openstack-Request-Id', req.id).header('content-type', 'application/json').send(errors.body(e));
  };
  const app = Fastify({
    // Fastify's own logger stays off: requests are logged once, by the onResponse hook
    logger: false,
    bodyLimit: opts.bodyLimit,
    genReqId: () => `req-${randomUUID()}`,
    // ids are path segments: anything is accepted and looked up, nothing is interpreted
    // (longer than any request line Node accepts, so a long id is looked up and not found)
    routerOptions: { maxParamLength: 65536, ignoreTrailingSlash: true },
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.notFoundPath() : errors.badRequest(err.message);
      send(reply as unknown as FastifyReply, req as unknown as FastifyRequest, e);
    },
    clientErrorHandler: (err, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const e =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? errors.headerFieldsTooLarge()
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? errors.timeout()
            : errors.badRequest(errors.messages.malformedRequest);
      const body = JSON.stringify(errors.body(e));
      const status = errors.status(e);
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy(err);
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as Buffer, opts.maxBodyDepth, errors));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Openstack-Request-Id', req.id);
    // no id, name or filter value holds one, and PostgreSQL cannot even compare text with it
    if (req.url.includes('%00')) throw errors.badRequest(errors.messages.urlNul);
  });
  app.addHook('onResponse', async (req, reply) => {
    log.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | E, req, reply) => {
    let e: E;
    if (errors.is(err)) e = err;
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = errors.tooLarge();
    else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! >= 400 && (err as FastifyError).statusCode! < 500) e = errors.badRequest(err.message);
    else {
      log.error({ reqId: req.id, err }, 'unexpected error');
      e = errors.internal();
    }
    if (errors.status(e) >= 500) log.error({ reqId: req.id }, e.message);
    send(reply, req, e);
  });
  return app;
}
