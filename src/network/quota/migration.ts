import type { Kysely } from 'kysely';

/** The tables quota enforcement counts by project_id (networks_project exists since 0001). */
const COUNTED = ['subnets', 'ports', 'security_groups', 'security_group_rules', 'network_rbacs'];

/** 0010_network_quotas: frozen once released */
export async function up0010(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute();
  // every counted create runs count(*) WHERE project_id = ? under the quota lock: not a table scan
  for (const table of COUNTED) await db.schema.createIndex(`${table}_project`).on(table).column('project_id').execute();
}
