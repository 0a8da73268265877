// What every identity route module shares: the database, the token service,
// the caller's token and the one policy check.
import type { FastifyRequest } from 'fastify';
import type { IdentityServiceConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../../common/logging.js';
import { allowed, type Target } from '../../common/policy/engine.js';
import { rules } from '../policy.js';
import { Errors } from '../errors.js';
import type { Passwords } from '../passwords.js';
import type { TokenService, ValidatedToken } from '../tokens.js';

export interface Ctx {
  cfg: IdentityServiceConfig;
  database: Database;
  tokens: TokenService;
  passwords: Passwords;
  log: Logger;
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const h = req.headers[name];
  return Array.isArray(h) ? h[0] : h;
};

const validated = new WeakMap<FastifyRequest, ValidatedToken | null>();

/** The token in a header, validated once per request; null when absent or invalid. */
export async function tokenIn(ctx: Ctx, req: FastifyRequest, name = 'x-auth-token'): Promise<ValidatedToken | null> {
  if (name === 'x-auth-token' && validated.has(req)) return validated.get(req)!;
  const raw = header(req, name);
  const t = raw ? await ctx.tokens.validate(raw) : null;
  if (name === 'x-auth-token') validated.set(req, t);
  return t;
}

/** The caller's token, or 401. */
export async function caller(ctx: Ctx, req: FastifyRequest): Promise<ValidatedToken> {
  const t = await tokenIn(ctx, req);
  if (!t) throw Errors.unauthorized();
  return t;
}

/** 401 without a valid token, 403 when the named rule refuses. */
export async function enforce(ctx: Ctx, req: FastifyRequest, rule: string, target: Target = {}): Promise<ValidatedToken> {
  const t = await caller(ctx, req);
  if (!allowed(rules, rule, t.credentials, target)) throw Errors.forbidden(rule);
  return t;
}

/** scheme://host of the request, as the client addressed us */
export function baseUrl(req: FastifyRequest): string {
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  return `${req.protocol}://${host}`;
}

/** the links of a list answer: the request's own path (Keystone does not page) */
export const listLinks = (req: FastifyRequest) => ({ self: `${baseUrl(req)}${req.url.split('?')[0]}`, previous: null, next: null });

/** a time as Keystone writes it: microseconds and Z ("2015-11-09T01:42:57.000000Z") */
export const keystoneTime = (d: Date): string => `${d.toISOString().slice(0, 23)}000Z`;

export const queryOf = (req: FastifyRequest): Record<string, string> => {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  return out;
};

/** Keystone's boolean query values */
export function queryBool(name: string, v: string): boolean {
  if (/^(true|1|yes|on)$/i.test(v) || v === '') return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw Errors.validation(`Invalid input for field '${name}': ${JSON.stringify(v)} is not a boolean`);
}
