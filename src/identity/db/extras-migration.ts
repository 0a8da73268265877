import type { Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0002.
const id = 'varchar(64)';

/**
 * 0009_identity_extras: Keystone's policy blobs, OAuth1 consumers and endpoint groups
 * (OS-EP-FILTER) with their projects. Frozen once released.
 */
export async function up0009(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('policies')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consumers')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('description', 'text')
    // bcrypt of the secret, which is shown once when the consumer is made
    .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('endpoint_groups')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('filters', 'text', (c) => c.notNull())
    .execute();

  // an association goes with its group and with its project
  await db.schema
    .createTable('project_endpoint_groups')
    .addColumn('endpoint_group_id', id, (c) => c.notNull().references('endpoint_groups.id').onDelete('cascade'))
    .addColumn('project_id', id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('project_endpoint_groups_pk', ['endpoint_group_id', 'project_id'])
    .execute();
  await db.schema.createIndex('project_endpoint_groups_project').on('project_endpoint_groups').column('project_id').execute();
}
