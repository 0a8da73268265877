import type { IncomingHttpHeaders } from 'node:http';
import { Errors, NeutronError } from '../model/errors.js';
import { makeCaller, type Caller } from '../model/caller.js';

/**
 * The module boundary for authentication: a strategy turns request headers
 * into a Caller (the policy credentials: project, user, roles) or refuses.
 * Identity plugs in here as another strategy; resources and the controller
 * never look at headers, and never test roles: the rules do
 * (src/network/model/policy-rules.ts).
 */
export interface AuthStrategy {
  authenticate(headers: IncomingHttpHeaders): Promise<Caller>;
}

/**
 * A request the authentication layer refused: answered as keystonemiddleware
 * answers in front of Neutron (Keystone's error body, and where to get a token).
 */
export class AuthError extends NeutronError {
  constructor(readonly identityUri: string) {
    super('HTTPUnauthorized', 401, 'The request you have made requires authentication.');
  }
  body() {
    return { error: { code: 401, title: 'Unauthorized', message: this.message } };
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const h = headers[name];
  return (Array.isArray(h) ? h[0] : h) || undefined;
};

/** The project a request names (X-Project-Id, else the older X-Tenant-Id), at most as long as the column it lands in (255). */
export function projectHeader(headers: IncomingHttpHeaders): string | undefined {
  const projectId = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id');
  if (projectId !== undefined && projectId.length > 255) {
    throw Errors.badRequest(`Invalid input for X-Project-Id. Reason: '${projectId}' exceeds maximum length of 255.`);
  }
  return projectId;
}

/** Neutron's noauth: every request is an admin in the project named by X-Project-Id, else fake_project_id. */
export const noAuth: AuthStrategy = {
  async authenticate(headers) {
    return makeCaller({ projectId: projectHeader(headers) ?? 'fake_project_id', roles: ['admin', 'member', 'reader'] });
  },
};
