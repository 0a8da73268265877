import type { Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0002.
const id = 'varchar(64)';
// Keystone's limit; PostgreSQL counts characters (code points) here, as the API's check does
const tag = 'varchar(255)';

/**
 * 0006_identity_project_tags: Keystone's project_tag table. Domains are a table
 * of their own here (Keystone keeps them as projects), so their tags are too.
 * A tag goes with its project or domain (cascade), even one deleted by a
 * request racing a tag write. Frozen once released.
 */
export async function up0006(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project_tags')
    .addColumn('project_id', id, (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', tag, (c) => c.notNull())
    .addPrimaryKeyConstraint('project_tags_pk', ['project_id', 'name'])
    .execute();
  // GET /v3/projects?tags-any=... looks projects up by tag
  await db.schema.createIndex('project_tags_name').on('project_tags').column('name').execute();

  await db.schema
    .createTable('domain_tags')
    .addColumn('domain_id', id, (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('name', tag, (c) => c.notNull())
    .addPrimaryKeyConstraint('domain_tags_pk', ['domain_id', 'name'])
    .execute();
}
