import type { Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0002.
const id = 'varchar(64)';

/** 0005_identity_groups: Keystone's groups, their members, and who (user or group) holds a grant. Frozen once released. */
export async function up0005(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    // a domain's deletion takes its groups (and, through them, their memberships) with it
    .addColumn('domain_id', id, (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('description', 'text')
    .addColumn('extra', 'text', (c) => c.notNull())
    .addUniqueConstraint('groups_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('user_group_membership')
    .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('group_id', id, (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('user_group_membership_pk', ['user_id', 'group_id'])
    .execute();
  await db.schema.createIndex('user_group_membership_group').on('user_group_membership').column('group_id').execute();

  // Existing grants are all users'. The primary key stays (target_type, actor_id, target_id, role_id):
  // user and group ids are both generated UUIDs, so one id never names a user and a group.
  await db.schema.alterTable('role_assignments').addColumn('actor_type', 'varchar(8)', (c) => c.notNull().defaultTo('user')).execute();
}
