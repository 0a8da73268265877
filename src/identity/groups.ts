// What a group's removal takes with it, and whose tokens it revokes: shared by
// DELETE /v3/groups/{id} and a domain's deletion.
import type { Db, Tx } from './db/database.js';
import type { RevocationMatch } from './revocation.js';

/** The members of some groups (each once, in id order). */
export async function membersOf(tx: Db | Tx, groupIds: string[]): Promise<string[]> {
  if (!groupIds.length) return [];
  const rows = await tx.selectFrom('user_group_membership').select('user_id').distinct().where('group_id', 'in', groupIds).orderBy('user_id').execute();
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

/**
 * What revokes the tokens that a change to a role (its deletion, or one of its implication
 * rules removed) can make wrong. Tokens list global roles only: for a global role, an event
 * on its id is enough; a domain-specific role appears in no token, only the global roles it
 * implies do, so the users holding it, or a role implying it, directly or through a group, lose
 * their tokens (a global role cannot imply a domain's, so those roles are all domain roles).
 */
export async function roleChangeRevocations(tx: Tx, roleId: string): Promise<RevocationMatch[]> {
  const role = await tx.selectFrom('roles').select('domain_id').where('id', '=', roleId).executeTakeFirst();
  if (!role?.domain_id) return [{ role_id: roleId }];
  const rules = await tx.selectFrom('implied_roles').select(['prior_role_id', 'implied_role_id']).execute();
  const roles = new Set([roleId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rules) {
      if (!roles.has(r.implied_role_id) || roles.has(r.prior_role_id)) continue;
      roles.add(r.prior_role_id);
      grew = true;
    }
  }
  const holders = await tx.selectFrom('role_assignments').select(['actor_type', 'actor_id']).distinct().where('role_id', 'in', [...roles]).execute();
  const users = new Set(holders.filter((h) => h.actor_type === 'user').map((h) => h.actor_id));
  for (const u of await membersOf(tx, holders.filter((h) => h.actor_type === 'group').map((h) => h.actor_id))) users.add(u);
  return [...users].map((user_id) => ({ user_id }));
}
