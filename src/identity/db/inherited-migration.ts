import type { Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0002.
const id = 'varchar(64)';

/**
 * 0007_identity_inherited: Keystone's OS-INHERIT flag on role assignments. An
 * inherited grant is another assignment than the direct one (both may exist),
 * so the flag joins the primary key, as in Keystone's assignment table. SQLite
 * cannot change a primary key in place: the table is made anew and the rows
 * (all direct so far) copied. Frozen once released.
 */
export async function up0007(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('role_assignments_0007')
    .addColumn('target_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_type', 'varchar(8)', (c) => c.notNull().defaultTo('user'))
    .addColumn('actor_id', id, (c) => c.notNull())
    .addColumn('target_id', id, (c) => c.notNull())
    .addColumn('role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('inherited', 'smallint', (c) => c.notNull().defaultTo(0))
    // the old table's constraint still holds its name (a PostgreSQL index name) until it is dropped
    .addPrimaryKeyConstraint('role_assignments_grant_pk', ['target_type', 'actor_id', 'target_id', 'role_id', 'inherited'])
    .execute();
  await db
    .insertInto('role_assignments_0007')
    .columns(['target_type', 'actor_type', 'actor_id', 'target_id', 'role_id', 'inherited'])
    .expression(db.selectFrom('role_assignments').select(['target_type', 'actor_type', 'actor_id', 'target_id', 'role_id', (eb) => eb.lit(0).as('inherited')]))
    .execute();
  await db.schema.dropTable('role_assignments').execute();
  await db.schema.alterTable('role_assignments_0007').renameTo('role_assignments').execute();
  await db.schema.createIndex('role_assignments_actor').on('role_assignments').column('actor_id').execute();
  await db.schema.createIndex('role_assignments_target').on('role_assignments').column('target_id').execute();
  await db.schema.createIndex('role_assignments_role').on('role_assignments').column('role_id').execute();
}
