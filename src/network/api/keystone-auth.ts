// The keystone strategy: what keystonemiddleware's auth_token does in front of
// Neutron. X-Auth-Token must be a valid, unrevoked, project-scoped token; its
// project, user and roles (implied ones included) become the policy credentials.
import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../../common/policy/engine.js';
import { AuthError, type AuthStrategy } from './auth.js';
import { makeCaller } from '../model/caller.js';

/** the identity service's token check (src/identity/tokens.ts): signature, expiry, revocation, no database */
export interface TokenValidator {
  validate(token: string): Promise<{ credentials: Credentials } | null>;
}

export function keystoneAuth(tokens: TokenValidator, identityUri: string): AuthStrategy {
  return {
    async authenticate(headers: IncomingHttpHeaders) {
      const h = headers['x-auth-token'];
      const token = Array.isArray(h) ? h[0] : h;
      if (!token) throw new AuthError(identityUri);
      const valid = await tokens.validate(token);
      const c = valid?.credentials;
      // Neutron's resources belong to projects: an unscoped or domain-scoped token names none
      if (!c?.projectId) throw new AuthError(identityUri);
      return makeCaller({ projectId: c.projectId, userId: c.userId, roles: c.roles });
    },
  };
}
