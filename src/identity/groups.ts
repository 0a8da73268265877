// What a group's removal takes with it, and whose tokens it revokes: shared by
// DELETE /v3/groups/{id} and a domain's deletion.
import type { Tx } from '../common/db/index.js';
import type { RevocationMatch } from './revocation.js';

/** The members of some groups (each once). */
export async function membersOf(tx: Tx, groupIds: string[]): Promise<string[]> {
  if (!groupIds.length) return [];
  const rows = await tx.selectFrom('user_group_membership').select('user_id').distinct().where('group_id', 'in', groupIds).execute();
  return rows.map((r) => r.user_id);
}

/**
 * Deletes the grants and memberships of some groups (not the group rows).
 * As Keystone's delete_group: the members' tokens are revoked when the group held
 * a role somewhere, since their tokens may carry it; a group without grants gave nothing.
 */
export async function dropGroupLinks(tx: Tx, groupIds: string[]): Promise<RevocationMatch[]> {
  if (!groupIds.length) return [];
  const granted = await tx.selectFrom('role_assignments').select('actor_id').distinct().where('actor_type', '=', 'group').where('actor_id', 'in', groupIds).execute();
  const revoke = (await membersOf(tx, granted.map((g) => g.actor_id))).map((user_id) => ({ user_id }));
  await tx.deleteFrom('role_assignments').where('actor_type', '=', 'group').where('actor_id', 'in', groupIds).execute();
  await tx.deleteFrom('user_group_membership').where('group_id', 'in', groupIds).execute();
  return revoke;
}

/** Deletes a domain's groups with their grants and memberships; the revocations that causes. */
export async function dropDomainGroups(tx: Tx, domainId: string): Promise<RevocationMatch[]> {
  const ids = (await tx.selectFrom('groups').select('id').where('domain_id', '=', domainId).execute()).map((g) => g.id);
  const revoke = await dropGroupLinks(tx, ids);
  await tx.deleteFrom('groups').where('domain_id', '=', domainId).execute();
  return revoke;
}
