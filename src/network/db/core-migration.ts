import { sql, type Kysely } from 'kysely';

// Migrations are frozen once released: add a new one, never edit an old one.
// Types are chosen to mean the same on SQLite and PostgreSQL.

const id = 'varchar(36)';
const name = 'varchar(255)';
const ts = 'varchar(32)';

export async function up0001(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('networks')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('project_id', name, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', name, (c) => c.notNull())
    .addColumn('admin_state_up', 'smallint', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('shared', 'smallint', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('router_external', 'smallint', (c) => c.notNull())
    .addColumn('port_security_enabled', 'smallint', (c) => c.notNull())
    .addColumn('availability_zone_hints', 'text', (c) => c.notNull())
    .addColumn('is_default', 'smallint', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('networks_project').on('networks').column('project_id').execute();

  await db.schema
    .createTable('network_segments')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('segmentation_id', 'bigint')
    .addColumn('segment_index', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segments_network').on('network_segments').column('network_id').execute();

  await db.schema
    .createTable('segment_allocations')
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'bigint', (c) => c.notNull())
    .addColumn('network_id', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_allocations_pk', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();

  await db.schema
    .createTable('subnets')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id'))
    .addColumn('project_id', name, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', name, (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'smallint', (c) => c.notNull())
    .addColumn('ipv6_ra_mode', 'varchar(16)')
    .addColumn('ipv6_address_mode', 'varchar(16)')
    .addColumn('subnetpool_id', id)
    .addColumn('dns_nameservers', 'text', (c) => c.notNull())
    .addColumn('host_routes', 'text', (c) => c.notNull())
    .addColumn('service_types', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('subnets_network').on('subnets').column('network_id').execute();

  await db.schema
    .createTable('allocation_pools')
    .addColumn('subnet_id', id, (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('first_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_ip', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('allocation_pools_pk', ['subnet_id', 'position'])
    .execute();

  await db.schema
    .createTable('ipam_free_ranges')
    .addColumn('subnet_id', id, (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('first_key', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_key', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('ipam_free_ranges_pk', ['subnet_id', 'first_key'])
    .execute();

  await db.schema
    .createTable('ports')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id'))
    .addColumn('project_id', name, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', name, (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'smallint', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_id', name, (c) => c.notNull())
    .addColumn('device_owner', name, (c) => c.notNull())
    .addColumn('port_security_enabled', 'smallint', (c) => c.notNull())
    .addColumn('binding_host_id', name, (c) => c.notNull())
    .addColumn('binding_profile', 'text', (c) => c.notNull())
    .addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_vif_details', 'text', (c) => c.notNull())
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('allowed_address_pairs', 'text', (c) => c.notNull())
    .addColumn('extra_dhcp_opts', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('ports_network_mac', ['network_id', 'mac_address'])
    .execute();
  await db.schema.createIndex('ports_network').on('ports').column('network_id').execute();
  await db.schema.createIndex('ports_device').on('ports').column('device_id').execute();

  await db.schema
    .createTable('ip_allocations')
    .addColumn('port_id', id, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('subnet_id', id, (c) => c.notNull().references('subnets.id'))
    .addColumn('network_id', id, (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ip_allocations_port').on('ip_allocations').column('port_id').execute();

  await db.schema
    .createTable('tags')
    .addColumn('resource_id', id, (c) => c.notNull())
    .addColumn('tag', name, (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['resource_id', 'tag'])
    .execute();
  await db.schema.createIndex('tags_tag').on('tags').column('tag').execute();

  await db.schema
    .createTable('security_groups')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('project_id', name, (c) => c.notNull())
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('description', name, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  // one "default" group per project, even when two requests race to create it
  await sql`CREATE UNIQUE INDEX security_groups_default ON security_groups (project_id) WHERE name = 'default'`.execute(db);

  await db.schema
    .createTable('port_security_groups')
    .addColumn('port_id', id, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', id, (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute();
}
