// Every identity table's rows, to prove that a refused request changed nothing.
import type { RunningIdentity } from '../support/identity-server.js';

const TABLES = ['domains', 'projects', 'users', 'roles', 'implied_roles', 'role_assignments', 'regions', 'services', 'endpoints', 'application_credentials'] as const;

export async function identityState(id: RunningIdentity): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = await id.database.db.selectFrom(t).selectAll().execute();
  return out;
}
