// A test-only AuthStrategy: it stands in for the keystone strategy (a validated
// token → project, user and roles), which the lead wires later. The credentials
// come straight from headers, so it must never serve anything but a test:
//   X-Project-Id: the project the "token" is scoped to (required)
//   X-Roles: comma-separated role names; implied roles are added as Keystone's
//            default implications do (admin → member → reader)
import type { IncomingHttpHeaders } from 'node:http';
import { projectHeader, type AuthStrategy } from '../../src/network/api/auth.js';
import { makeCaller } from '../../src/network/model/caller.js';

const IMPLIES: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };

export const testHeaderAuth: AuthStrategy = {
  async authenticate(headers: IncomingHttpHeaders) {
    const projectId = projectHeader(headers);
    if (!projectId) throw new Error('testHeaderAuth: X-Project-Id is required');
    const raw = headers['x-roles'];
    const named = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map((r) => r.trim()).filter(Boolean);
    const roles = [...new Set(named.flatMap((r) => [r, ...(IMPLIES[r] ?? [])]))];
    const user = headers['x-user-id'];
    return makeCaller({ projectId, roles, ...(typeof user === 'string' ? { userId: user } : {}) });
  },
};

/** Headers of a caller in project with these roles. */
export const as = (project: string, ...roles: string[]): Record<string, string> => ({ 'x-project-id': project, 'x-roles': roles.join(',') });
