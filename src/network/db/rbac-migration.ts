import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';

/** 0003_network_rbac: frozen once released */
export async function up0003(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('network_rbacs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('action', 'varchar(255)', (c) => c.notNull())
    .addColumn('target_tenant', 'varchar(255)', (c) => c.notNull())
    .addUniqueConstraint('network_rbacs_unique', ['object_id', 'action', 'target_tenant'])
    .execute();
  // the scope of every non-admin list asks "which networks are open to this project or to '*'"
  await db.schema.createIndex('network_rbacs_target').on('network_rbacs').columns(['target_tenant', 'object_id']).execute();

  // Networks made shared or external before RBAC existed keep being so, as Neutron's own
  // migration did: one policy to '*' each, owned by the network's project.
  const rows = await db.selectFrom('networks').select(['id', 'project_id', 'shared', 'router_external'])
    .where((eb) => eb.or([eb('shared', '=', 1), eb('router_external', '=', 1)])).execute();
  const policies = rows.flatMap((n: { id: string; project_id: string; shared: number; router_external: number }) => [
    ...(n.shared ? [{ id: randomUUID(), project_id: n.project_id, object_id: n.id, action: 'access_as_shared', target_tenant: '*' }] : []),
    ...(n.router_external ? [{ id: randomUUID(), project_id: n.project_id, object_id: n.id, action: 'access_as_external', target_tenant: '*' }] : []),
  ]);
  for (let i = 0; i < policies.length; i += 500) await db.insertInto('network_rbacs').values(policies.slice(i, i + 500)).execute();
}
