import type { Credentials } from '../../common/policy/engine.js';

/**
 * Who is asking: the policy credentials (src/common/policy/engine.ts) of a
 * project-scoped caller, as an AuthStrategy builds them. roles holds the
 * implied roles too (admin → member → reader); isAdmin is roles.includes('admin').
 */
export interface Caller extends Credentials {
  projectId: string;
  userId?: string;
  roles: string[];
  readonly isAdmin: boolean;
}

/** Builds a Caller from credentials; the one place isAdmin is derived. */
export function makeCaller(c: { projectId: string; userId?: string; roles: readonly string[] }): Caller {
  const roles = [...new Set(c.roles)];
  return { projectId: c.projectId, ...(c.userId !== undefined ? { userId: c.userId } : {}), roles, isAdmin: roles.includes('admin') };
}
