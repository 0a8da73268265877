import type { IncomingHttpHeaders } from 'node:http';
import { Errors } from './errors.js';
import type { Caller } from './resource.js';

/**
 * The module boundary for authentication: a strategy turns request headers
 * into a Caller or refuses. Identity plugs in here as another strategy;
 * resources and the controller never look at headers.
 */
export interface AuthStrategy {
  authenticate(headers: IncomingHttpHeaders): Promise<Caller>;
}

/** Neutron's noauth: every request is an admin in the project named by X-Project-Id, else fake_project_id. */
export const noAuth: AuthStrategy = {
  async authenticate(headers) {
    const h = headers['x-project-id'] ?? headers['x-tenant-id'];
    const projectId = (Array.isArray(h) ? h[0] : h) || 'fake_project_id';
    // it becomes the project_id of what is created: no longer than that column (255)
    if (projectId.length > 255) throw Errors.badRequest(`Invalid input for X-Project-Id. Reason: '${projectId}' exceeds maximum length of 255.`);
    return { isAdmin: true, projectId };
  },
};
