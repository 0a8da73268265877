import type { Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0002.
const id = 'varchar(64)';

/**
 * 0008_identity_credentials: Keystone's credential table. The blob is kept
 * encrypted (credential-keys.ts) with the id of its key. No foreign keys, as
 * in Keystone: a credential may name a user or project that does not exist
 * (yet); the deletion of a user or project removes its credentials itself.
 * Frozen once released.
 */
export async function up0008(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('credentials')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull())
    .addColumn('project_id', id)
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('encrypted_blob', 'text', (c) => c.notNull())
    .addColumn('key_id', id, (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // listed by user (GET /v3/credentials?user_id, OS-EC2), removed by user and by project
  await db.schema.createIndex('credentials_user').on('credentials').column('user_id').execute();
  await db.schema.createIndex('credentials_project').on('credentials').column('project_id').execute();
}
