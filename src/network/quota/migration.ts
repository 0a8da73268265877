import type { Kysely } from 'kysely';

/** 0010_network_quotas: frozen once released */
export async function up0010(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute();
}
