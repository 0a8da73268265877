import { sql, type Kysely } from 'kysely';

// Types mean the same on SQLite and PostgreSQL, as in up0001.
const id = 'varchar(64)';
const name = 'varchar(255)';
const ts = 'varchar(32)';

/** 0002_identity: frozen once released */
export async function up0002(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('domains')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'smallint', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('domain_id', id, (c) => c.notNull().references('domains.id'))
    .addColumn('parent_id', id, (c) => c.references('projects.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'smallint', (c) => c.notNull())
    .addColumn('is_domain', 'smallint', (c) => c.notNull().defaultTo(0))
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
    .execute();
  await db.schema.createIndex('projects_parent').on('projects').column('parent_id').execute();

  await db.schema
    .createTable('users')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('domain_id', id, (c) => c.notNull().references('domains.id'))
    .addColumn('enabled', 'smallint', (c) => c.notNull())
    .addColumn('password_hash', 'varchar(128)')
    .addColumn('default_project_id', id)
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('domain_id', id, (c) => c.references('domains.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();
  // NULLs are distinct in a plain unique constraint: global names are kept unique through the expression
  await sql`CREATE UNIQUE INDEX roles_domain_name ON roles ((coalesce(domain_id, '')), name)`.execute(db);

  await db.schema
    .createTable('implied_roles')
    .addColumn('prior_role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('implied_role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('implied_roles_pk', ['prior_role_id', 'implied_role_id'])
    .execute();

  await db.schema
    .createTable('role_assignments')
    .addColumn('target_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_id', id, (c) => c.notNull())
    .addColumn('target_id', id, (c) => c.notNull())
    .addColumn('role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('role_assignments_pk', ['target_type', 'actor_id', 'target_id', 'role_id'])
    .execute();
  await db.schema.createIndex('role_assignments_actor').on('role_assignments').column('actor_id').execute();
  await db.schema.createIndex('role_assignments_target').on('role_assignments').column('target_id').execute();
  await db.schema.createIndex('role_assignments_role').on('role_assignments').column('role_id').execute();

  await db.schema
    .createTable('regions')
    .addColumn('id', name, (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('parent_region_id', name, (c) => c.references('regions.id'))
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('services')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('type', name, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'smallint', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('endpoints')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('service_id', id, (c) => c.notNull().references('services.id').onDelete('cascade'))
    .addColumn('interface', 'varchar(8)', (c) => c.notNull())
    .addColumn('region_id', name, (c) => c.references('regions.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('enabled', 'smallint', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('endpoints_service').on('endpoints').column('service_id').execute();

  await db.schema
    .createTable('application_credentials')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', ts)
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('unrestricted', 'smallint', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('application_credentials_user_name', ['user_id', 'name'])
    .execute();

  await db.schema
    .createTable('revocation_events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('audit_id', id)
    .addColumn('user_id', id)
    .addColumn('project_id', id)
    .addColumn('domain_id', id)
    .addColumn('role_id', id)
    .addColumn('app_cred_id', id)
    .addColumn('issued_before', ts, (c) => c.notNull())
    .addColumn('revoked_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('revocation_events_revoked_at').on('revocation_events').column('revoked_at').execute();
}
