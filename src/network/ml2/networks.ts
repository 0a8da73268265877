import type { Db, Tx } from '../db/database.js';
import type { ListQuery } from '../model/list-query.js';
import { Errors } from '../model/errors.js';
import type { Caller } from '../model/caller.js';
import { hasGlobalScope } from '../model/policy-rules.js';
import { networkDef } from '../model/resources/network.js';
import { fromRow, listRows, toRow, type ComputedFilter } from '../db/table.js';
import { newId, now, type PluginContext } from './context.js';
import { AvailabilityZones } from './availability-zones.js';
import { extendNetworks } from './extend.js';
import { portRowChange } from '../agents/change-log.js';
import { createResources, deleteResource, updateResource, type Ops } from './lifecycle.js';
import { ACCESS_EXTERNAL, ACCESS_SHARED, ensureNoTenantPorts, openNetworkIds, openToAll, readsOwnProject, sharedToProjectIds } from './rbac.js';
import type { Segment } from './types.js';

type Body = Record<string, unknown>;

/**
 * The network row as the lock between its port and subnet writes (PostgreSQL; SQLite has one writer):
 * port writes take it shared before reading the network's subnets, subnet writes take it exclusively
 * (their revision bump) before reading its ports, so neither misses what the other commits.
 */
export async function lockNetwork(ctx: PluginContext, tx: Tx, id: string, mode: 'share' | 'update'): Promise<void> {
  let q = tx.selectFrom('networks').select('id').where('id', '=', id);
  if (ctx.database.dialect === 'postgres') q = mode === 'share' ? q.forShare() : q.forUpdate();
  if (!(await q.executeTakeFirst())) throw Errors.notFound('Network', id);
}

const segmentFilter = (column: 'network_type' | 'physical_network' | 'segmentation_id'): ComputedFilter =>
  (eb, values) => eb('id', 'in', eb.selectFrom('network_segments').select('network_id').where(column, 'in', values as never[]));

export const networkFilters: Record<string, ComputedFilter> = {
  'provider:network_type': segmentFilter('network_type'),
  'provider:physical_network': segmentFilter('physical_network'),
  'provider:segmentation_id': segmentFilter('segmentation_id'),
};

/**
 * Admins see every network; others their project's and those an RBAC policy opens to
 * their project or to '*' (shared or external), as Neutron's network query hooks do.
 */
export const networkScope = (caller: Caller) => (eb: Parameters<ComputedFilter>[0]) =>
  hasGlobalScope(caller)
    ? eb.lit(true)
    : eb.or([...(readsOwnProject(caller) ? [eb('project_id', '=', caller.projectId)] : []), eb('id', 'in', openNetworkIds(eb, caller.projectId))]);

/** shared=True/False as the caller sees it: a policy sharing the network to '*' (the column) or to the caller's project. */
const sharedFilter = (caller: Caller): ComputedFilter => (eb, values) => {
  const shared = eb.or([eb('shared', '=', 1), eb('id', 'in', sharedToProjectIds(eb, caller.projectId))]);
  return values[0] ? shared : eb.not(shared);
};

export async function loadNetworks(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('networks').selectAll().where('id', 'in', ids).execute();
  const items = rows.map((r) => fromRow(networkDef, r));
  await extendNetworks(db, items);
  const order = new Map(ids.map((id, i) => [id, i]));
  return items.sort((a, b) => (order.get(a.id as string) ?? 0) - (order.get(b.id as string) ?? 0));
}

function providerSegment(item: Body): Segment | null {
  const type = item['provider:network_type'] as string | null;
  const physnet = item['provider:physical_network'] as string | null;
  const segId = item['provider:segmentation_id'] as number | null;
  if (type === null && physnet === null && segId === null) return null;
  if (type === null) throw Errors.invalidInput('network_type required');
  return { network_type: type, physical_network: physnet, segmentation_id: segId };
}

export class Networks {
  readonly ops: Ops = { resource: 'network', load: loadNetworks };

  constructor(private ctx: PluginContext, private zones = new AvailabilityZones()) {}

  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    const providers = items.map((item) => {
      const seg = providerSegment(item);
      if (seg) this.ctx.types.validateProviderSegment(seg);
      return seg;
    });
    for (const item of items) await this.zones.validate('network', item.availability_zone_hints as string[]);
    let i = 0;
    const created = await createResources(this.ctx, this.ops, items, async (tx, item) => {
      const provider = providers[i++];
      const id = newId();
      const seg = await this.ctx.types.createSegment(tx, provider, id);
      const maxMtu = this.ctx.types.networkMtu([seg]);
      const mtu = item.mtu as number | null;
      if (mtu !== null && mtu > maxMtu) throw Errors.invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
      const t = now();
      const row = toRow(networkDef, {
        ...item, id, status: 'ACTIVE', mtu: mtu ?? maxMtu, revision_number: 1, created_at: t, updated_at: t,
      });
      await tx.insertInto('networks').values(row as never).execute();
      await tx.insertInto('network_segments').values({ id: newId(), network_id: id, segment_index: 0, ...seg }).execute();
      // shared and router:external are RBAC policies to '*' (Neutron's _create_network_db, _process_l3_create)
      if (item.shared) await openToAll(tx, id, item.project_id as string, ACCESS_SHARED);
      if (item['router:external']) await openToAll(tx, id, item.project_id as string, ACCESS_EXTERNAL);
      return id;
    }, (tx, id) => this.remove(tx, id));
    const out = created.map((n, k) => ({ is_default: items[k].is_default, ...n }));
    await this.sharedAsSeenBy(this.ctx.db, caller, out);
    return out;
  }

  /**
   * Neutron's shared is relative to the caller: true when the network is shared to '*'
   * (networks.shared, kept by the RBAC code) or to the caller's project.
   */
  async sharedAsSeenBy(db: Db | Tx, caller: Caller, items: Body[]): Promise<void> {
    const ids = items.filter((n) => n.shared !== true).map((n) => n.id as string);
    if (ids.length === 0) return;
    const rows = await db.selectFrom('network_rbacs').select('object_id')
      .where('action', '=', ACCESS_SHARED).where('target_tenant', '=', caller.projectId).where('object_id', 'in', ids).execute();
    if (rows.length === 0) return;
    const to = new Set(rows.map((r) => r.object_id));
    for (const n of items) if (to.has(n.id as string)) n.shared = true;
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [n] = await loadNetworks(this.ctx.db, [id]);
    if (!n || !(await this.visible(caller, n.id as string, n.project_id as string))) throw Errors.notFound('Network', id);
    await this.sharedAsSeenBy(this.ctx.db, caller, [n]);
    return n;
  }

  /** The little the other resources need to know of a network, as the caller sees it; NetworkNotFound when it may not see it. */
  async summary(caller: Caller, id: string): Promise<{ project_id: string; shared: boolean; 'router:external': boolean }> {
    const view = await this.info(caller, id);
    if (!view || !(await this.visible(caller, id, view.project_id))) throw Errors.notFound('Network', id);
    return view;
  }

  /** The same, whether or not the caller may see the network (undefined when there is none). */
  async info(caller: Caller, id: string): Promise<{ project_id: string; shared: boolean; 'router:external': boolean } | undefined> {
    const n = await this.ctx.db.selectFrom('networks').select(['id', 'project_id', 'shared', 'router_external']).where('id', '=', id).executeTakeFirst();
    if (!n) return undefined;
    const view = { id: n.id, project_id: n.project_id, shared: n.shared === 1, 'router:external': n.router_external === 1 };
    await this.sharedAsSeenBy(this.ctx.db, caller, [view]);
    return view;
  }

  /** The network is in the caller's scope: its own project's, or opened to it by an RBAC policy. */
  private async visible(caller: Caller, id: string, projectId: string): Promise<boolean> {
    if (hasGlobalScope(caller) || (projectId === caller.projectId && readsOwnProject(caller))) return true;
    const open = await this.ctx.db.selectFrom('network_rbacs').select('id')
      .where('object_id', '=', id).where('target_tenant', 'in', ['*', caller.projectId]).executeTakeFirst();
    return open !== undefined;
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    const items = await listRows(this.ctx.db, networkDef, q, {
      computed: { ...networkFilters, shared: sharedFilter(caller) }, scope: networkScope(caller),
    });
    await extendNetworks(this.ctx.db, items);
    await this.sharedAsSeenBy(this.ctx.db, caller, items);
    return items;
  }

  async update(caller: Caller, id: string, changes: Body): Promise<Body> {
    await this.get(caller, id);
    const updated = await updateResource(this.ctx, this.ops, id, async (tx, original) => {
      const owner = original.project_id as string;
      // original.shared here is the column: shared to '*'
      if (changes.shared === true && original.shared !== true) await openToAll(tx, id, owner, ACCESS_SHARED);
      if (changes.shared === false && original.shared === true) {
        await ensureNoTenantPorts(tx, id, owner, '*');
        await tx.deleteFrom('network_rbacs').where('object_id', '=', id).where('action', '=', ACCESS_SHARED).where('target_tenant', '=', '*').execute();
      }
      if (changes['router:external'] === true && original['router:external'] !== true) await openToAll(tx, id, owner, ACCESS_EXTERNAL);
      if (changes['router:external'] === false && original['router:external'] === true) {
        await tx.deleteFrom('network_rbacs').where('object_id', '=', id).where('action', '=', ACCESS_EXTERNAL).execute();
      }
      if (typeof changes.mtu === 'number') {
        const segs = await tx.selectFrom('network_segments').selectAll().where('network_id', '=', id).execute();
        const maxMtu = this.ctx.types.networkMtu(segs);
        if (changes.mtu > maxMtu) throw Errors.invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
      }
      const row = toRow(networkDef, changes);
      if (changes.mtu === null) delete row.mtu;
      await tx.updateTable('networks')
        .set({ ...row, revision_number: (original.revision_number as number) + 1, updated_at: now() } as never)
        .where('id', '=', id).execute();
    }, () => Errors.notFound('Network', id));
    await this.sharedAsSeenBy(this.ctx.db, caller, [updated]);
    return updated;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    await deleteResource(this.ctx, this.ops, id, async (tx) => {
      // first, as port creates lock it before the subnets: no lock-order cycle, and no port slips past the check
      await lockNetwork(this.ctx, tx, id, 'update');
      const inUse = await tx.selectFrom('ports').select('id').where('network_id', '=', id)
        .where('device_owner', '!=', 'network:dhcp').orderBy('id').execute();
      if (inUse.length) throw Errors.networkInUse(id, inUse.map((p) => p.id));
      await this.remove(tx, id);
    }, () => Errors.notFound('Network', id));
  }

  /** Removes a network and everything under it, releasing its segments. */
  async remove(tx: Tx, id: string): Promise<void> {
    const ports = await tx.selectFrom('ports').select(['id', 'network_id', 'binding_host_id']).where('network_id', '=', id).execute();
    const ids = ports.map((p) => p.id);
    if (ids.length) {
      await tx.deleteFrom('ip_allocations').where('port_id', 'in', ids).execute();
      await tx.deleteFrom('tags').where('resource_id', 'in', ids).execute();
      await tx.deleteFrom('ports').where('id', 'in', ids).execute();
    }
    const subnets = (await tx.selectFrom('subnets').select('id').where('network_id', '=', id).execute()).map((s) => s.id);
    if (subnets.length) {
      await tx.deleteFrom('ip_allocations').where('subnet_id', 'in', subnets).execute();
      await tx.deleteFrom('tags').where('resource_id', 'in', subnets).execute();
      await tx.deleteFrom('subnets').where('id', 'in', subnets).execute();
    }
    const segs = await tx.selectFrom('network_segments').selectAll().where('network_id', '=', id).execute();
    for (const s of segs) await this.ctx.types.releaseSegment(tx, s);
    await tx.deleteFrom('network_segments').where('network_id', '=', id).execute();
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('network_rbacs').where('object_id', '=', id).execute();
    await tx.deleteFrom('networks').where('id', '=', id).execute();
    // the ports (DHCP's) and subnets that went with the network are changes of their own for agents;
    // last, as the log's lock is held from the first record to the commit
    for (const p of ports) await this.ctx.changeLog.record(tx, portRowChange('delete', p));
    for (const s of subnets) await this.ctx.changeLog.record(tx, { resource: 'subnet', op: 'delete', id: s, network_ids: [id], hosts: [] });
  }
}
