import type { IncomingHttpHeaders } from 'node:http';
import type { AuthStrategy } from '../../api/auth.js';
import { Errors } from '../../model/errors.js';
import type { Caller } from '../../model/caller.js';

/** Roles that may speak the agent protocol (Neutron's agents run as the service user). */
const AGENT_ROLES = ['service', 'admin'];

/** The caller of an /agent-api endpoint: a valid token (else 401) whose roles include service or admin (else 403). */
export async function authenticateAgent(auth: AuthStrategy, headers: IncomingHttpHeaders, action: string): Promise<Caller> {
  const who = await auth.authenticate(headers);
  if (!who.roles.some((r) => AGENT_ROLES.includes(r))) throw Errors.policyNotAuthorized(action);
  return who;
}
