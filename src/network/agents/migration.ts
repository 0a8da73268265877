import type { Kysely } from 'kysely';

/** 0012_network_agents: frozen once released */
export async function up0012(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('admin_state_up', 'smallint', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('heartbeat_timestamp', 'varchar(32)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)')
    .addColumn('configurations', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('resources_synced', 'smallint')
    .addColumn('load', 'integer', (c) => c.notNull())
    .addUniqueConstraint('uniq_agents0agent_type0host', ['agent_type', 'host'])
    .execute();

  await db.schema
    .createTable('network_dhcp_agent_bindings')
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('dhcp_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('network_dhcp_agent_bindings_pk', ['network_id', 'dhcp_agent_id'])
    .execute();
  // an agent's state is every network with a port bound to its host
  await db.schema.createIndex('ports_binding_host').on('ports').column('binding_host_id').execute();
  await db.schema.createIndex('network_dhcp_agent_bindings_agent').on('network_dhcp_agent_bindings').column('dhcp_agent_id').execute();
}
