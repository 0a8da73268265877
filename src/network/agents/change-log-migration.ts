import type { Kysely } from 'kysely';

/** 0011_network_change_log: frozen once released */
export async function up0011(db: Kysely<any>): Promise<void> {
  // revision is assigned by ChangeLog.record (max + 1 under a lock), not by the database:
  // a sequence hands out numbers in start order, and readers would see them in commit order
  await db.schema
    .createTable('change_log')
    .addColumn('revision', 'bigint', (c) => c.primaryKey())
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('op', 'varchar(16)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('network_ids', 'text', (c) => c.notNull())
    .addColumn('hosts', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}
