import type { FastifyRequest } from 'fastify';
import { allowed } from '../../../common/policy/engine.js';
import { rules } from '../../model/policy-rules.js';
import type { AuthStrategy } from '../../api/auth.js';
import { Errors } from '../../model/errors.js';
import type { Caller } from '../../model/caller.js';

/** Authenticates (401 as keystonemiddleware) and enforces a named rule (403 PolicyNotAuthorized). */
export async function enforceRule(auth: AuthStrategy, req: FastifyRequest, rule: string): Promise<Caller> {
  const caller = await auth.authenticate(req.headers);
  if (!allowed(rules, rule, caller, { project_id: caller.projectId, tenant_id: caller.projectId })) throw Errors.policyNotAuthorized(rule);
  return caller;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request body as an object, else 400. */
export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (!isObject(body)) throw Errors.badRequest(`Unable to find '${what}' in request body`);
  return body;
}

/** A required non-empty string field of at most 255 characters, else 400. */
export function stringField(body: Record<string, unknown>, name: string, max = 255): string {
  const v = body[name];
  if (typeof v !== 'string' || v.length === 0) throw Errors.badRequest(`Invalid input for ${name}. Reason: '${JSON.stringify(v ?? null)}' is not a valid string.`);
  if (v.length > max) throw Errors.badRequest(`Invalid input for ${name}. Reason: '${v}' exceeds maximum length of ${max}.`);
  return v;
}
