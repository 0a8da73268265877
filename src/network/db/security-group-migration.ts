import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';

/** Neutron's rules of a project's default group: all egress, and ingress from members of the group itself. */
export function defaultRules(groupId: string, projectId: string, at: string) {
  return (['IPv4', 'IPv6'] as const).flatMap((ethertype) => [
    { direction: 'egress', ethertype, remote_group_id: null },
    { direction: 'ingress', ethertype, remote_group_id: groupId },
  ]).map((r) => ({
    id: randomUUID(), project_id: projectId, security_group_id: groupId, remote_group_id: r.remote_group_id,
    direction: r.direction, ethertype: r.ethertype, protocol: null, port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, description: '', revision_number: 0, created_at: at, updated_at: at,
  }));
}

/** 0004_network_security_groups: frozen once released */
export async function up0004(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('security_groups').addColumn('stateful', 'smallint', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('security_groups').addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('security_group_rules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('remote_group_id', 'varchar(36)', (c) => c.references('security_groups.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(40)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(255)')
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('security_group_rules_group').on('security_group_rules').column('security_group_id').execute();
  await db.schema.createIndex('security_group_rules_remote').on('security_group_rules').column('remote_group_id').execute();

  // default groups made before this migration get Neutron's default rules, as if made now
  const groups = await db.selectFrom('security_groups').select(['id', 'project_id', 'created_at']).where('name', '=', 'default').execute();
  const rows = groups.flatMap((g: { id: string; project_id: string; created_at: string }) => defaultRules(g.id, g.project_id, g.created_at));
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('security_group_rules').values(rows.slice(i, i + 200)).execute();
}
