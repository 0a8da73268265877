import type { IncomingHttpHeaders } from 'node:http';
import { Errors } from './errors.js';
import { makeCaller, type Caller } from './resource.js';

/**
 * The module boundary for authentication: a strategy turns request headers
 * into a Caller (the policy credentials: project, user, roles) or refuses.
 * Identity plugs in here as another strategy; resources and the controller
 * never look at headers, and never test roles: the rules do
 * (src/common/policy/network-rules.ts).
 */
export interface AuthStrategy {
  authenticate(headers: IncomingHttpHeaders): Promise<Caller>;
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
