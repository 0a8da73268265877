// Pieces both bootstraps use (the admin's in bootstrap.ts, the agents' service
// user in service-user.ts): a global role by name, and a generated password.
import { randomBytes } from 'node:crypto';
import type { Tx } from './db/database.js';
import { newId } from './api/entity.js';

/** the id of the global role `name`, made when missing */
export async function ensureRole(tx: Tx, name: string): Promise<string> {
  const r = await tx.selectFrom('roles').select('id').where('name', '=', name).where('domain_id', 'is', null).executeTakeFirst();
  if (r) return r.id;
  const id = newId();
  await tx.insertInto('roles').values({ id, name, domain_id: null, description: '', options: '{}', extra: '{}' }).execute();
  return id;
}

/** 144 random bits; never starting with '-', or `--os-password <it>` would read as an option. */
export function newPassword(): string {
  for (;;) {
    const p = randomBytes(18).toString('base64url');
    if (p[0] !== '-') return p;
  }
}
