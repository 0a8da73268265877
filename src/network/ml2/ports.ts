import type { Db, Tx } from '../db/database.js';
import type { ListQuery } from '../model/list-query.js';
import { Errors } from '../model/errors.js';
import type { Caller } from '../model/caller.js';
import { portDef } from '../model/resources/port.js';
import { fromRow, listRows, toRow, type ComputedFilter } from '../db/table.js';
import { normalizeMac, randomMac } from '../../common/net-address.js';
import { newId, now, type PluginContext } from './context.js';
import { extendPorts } from './extend.js';
import { createResources, deleteResource, updateResource, type Ops } from './lifecycle.js';
import { lockNetwork, type Networks } from './networks.js';
import { hasGlobalScope } from '../model/policy-rules.js';
import { readsOwnProject } from './rbac.js';
import { networkRelated } from './subnets.js';
import { PortAddresses, type FixedIpSpec } from './port-addresses.js';
import { SecurityGroupBindings } from './security-group-bindings.js';
import { bindPort, needsRebind } from './binding.js';

type Body = Record<string, unknown>;

export async function loadPorts(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('ports').selectAll().where('id', 'in', ids).execute();
  const items = rows.map((r) => fromRow(portDef, r));
  await extendPorts(db, items);
  return items;
}

/** fixed_ips=ip_address=X, subnet_id=Y, ip_address_substr=Z, as Neutron parses them. */
const fixedIpsFilter: ComputedFilter = (eb, values) => {
  const conds = (values as string[]).map((v) => {
    const [k, ...rest] = v.split('=');
    const val = rest.join('=');
    let sub = eb.selectFrom('ip_allocations').select('port_id');
    if (k === 'ip_address') sub = sub.where('ip_address', '=', val);
    else if (k === 'subnet_id') sub = sub.where('subnet_id', '=', val);
    else if (k === 'ip_address_substr') sub = sub.where('ip_address', 'like', `%${val.replace(/[%_\\]/g, '')}%`);
    else throw Errors.badRequest(`Invalid fixed_ips filter: ${v}`);
    return eb('id', 'in', sub);
  });
  return eb.and(conds);
};

const securityGroupsFilter: ComputedFilter = (eb, values) =>
  eb('id', 'in', eb.selectFrom('port_security_groups').select('port_id').where('security_group_id', 'in', values as string[]));

export const portFilters: Record<string, ComputedFilter> = { fixed_ips: fixedIpsFilter, security_groups: securityGroupsFilter };

export class Ports {
  readonly ops: Ops = { resource: 'port', load: loadPorts };
  private addresses: PortAddresses;
  private sgs: SecurityGroupBindings;

  constructor(private ctx: PluginContext, private networks: Networks) {
    this.addresses = new PortAddresses(ctx);
    this.sgs = new SecurityGroupBindings(ctx.changeLog);
  }

  /** The network's owner and sharing, for the rules; for a new port, NetworkNotFound when the caller may not use the network. */
  async related(caller: Caller, item: Body, existing: boolean): Promise<Body> {
    return networkRelated(this.networks, caller, item, existing);
  }

  /** The caller's network use was checked by related() and the create_port rules (src/network/api/policy.ts). */
  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    return createResources(this.ctx, this.ops, items, async (tx, item) => {
      const id = newId();
      const networkId = item.network_id as string;
      // before reading the subnets: a subnet created meanwhile is either seen here or gives this port its address
      await lockNetwork(this.ctx, tx, networkId, 'share');
      const mac = await this.chooseMac(tx, networkId, item.mac_address as string | null);
      const t = now();
      // DOWN until the agent that wires it reports it up (POST /agent-api/v1/devices)
      const row = toRow(portDef, {
        ...item, id, mac_address: mac, status: 'DOWN', revision_number: 1, created_at: t, updated_at: t,
        ...(await bindPort(this.ctx, tx, { ...item, id })),
      });
      await tx.insertInto('ports').values(row as never).execute();
      await this.sgs.bind(tx, id, item, item.project_id as string, caller.isAdmin);
      await this.addresses.allocate(tx, { id, network_id: networkId, mac_address: mac, device_owner: item.device_owner as string },
        item.fixed_ips as FixedIpSpec[] | null);
      return id;
    }, (tx, id) => this.remove(tx, id));
  }

  private async chooseMac(tx: Tx, networkId: string, requested: string | null): Promise<string> {
    const inUse = async (mac: string) =>
      (await tx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst()) !== undefined;
    if (requested !== null) {
      const mac = normalizeMac(requested) as string;
      if (await inUse(mac)) throw Errors.macAddressInUse(networkId, mac);
      return mac;
    }
    const prefix = this.ctx.cfg.network.base_mac.split(':').slice(0, 3).join(':');
    for (let i = 0; i < 16; i++) {
      const mac = randomMac(prefix);
      if (!(await inUse(mac))) return mac;
    }
    throw Errors.conflict(`Unable to generate a unique MAC address on network ${networkId}`);
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [p] = await loadPorts(this.ctx.db, [id]);
    if (!p || !(await this.inScope(caller, p))) throw Errors.notFound('Port', id);
    return p;
  }

  /** Neutron's port query: the caller's project's ports, and every port on its project's networks. */
  private async inScope(caller: Caller, p: Body): Promise<boolean> {
    if (hasGlobalScope(caller)) return true;
    if (!readsOwnProject(caller)) return false;
    if (p.project_id === caller.projectId) return true;
    const net = await this.ctx.db.selectFrom('networks').select('project_id').where('id', '=', p.network_id as string).executeTakeFirst();
    return net?.project_id === caller.projectId;
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    const items = await listRows(this.ctx.db, portDef, q, {
      computed: portFilters,
      scope: hasGlobalScope(caller) ? undefined : (eb) => (readsOwnProject(caller)
        ? eb.or([
          eb('project_id', '=', caller.projectId),
          eb('network_id', 'in', eb.selectFrom('networks').select('id').where('project_id', '=', caller.projectId)),
        ])
        : eb.lit(false)),
    });
    await extendPorts(this.ctx.db, items);
    return items;
  }

  async update(caller: Caller, id: string, changes: Body): Promise<Body> {
    await this.get(caller, id);
    return updateResource(this.ctx, this.ops, id, async (tx, original) => {
      const set: Body = { ...changes };
      const networkId = original.network_id as string;
      if (typeof changes.mac_address === 'string') {
        const mac = normalizeMac(changes.mac_address) as string;
        if (mac !== original.mac_address) set.mac_address = await this.chooseMac(tx, networkId, mac);
        else set.mac_address = mac;
      }
      if ('fixed_ips' in changes) {
        // as create: the subnets' rows after the network's, the order subnet deletes lock them in
        await lockNetwork(this.ctx, tx, networkId, 'share');
        await this.addresses.replace(tx, {
          id, network_id: networkId, mac_address: (set.mac_address ?? original.mac_address) as string,
          device_owner: (changes.device_owner ?? original.device_owner) as string,
        }, (changes.fixed_ips ?? []) as FixedIpSpec[], original.fixed_ips as Array<{ ip_address: string; subnet_id: string }>);
      }
      if ('security_groups' in changes || 'port_security_enabled' in changes) {
        await this.sgs.rebind(tx, id, { ...original, ...changes }, original.project_id as string, 'security_groups' in changes, caller.isAdmin);
      }
      if (needsRebind(original, changes)) {
        Object.assign(set, await bindPort(this.ctx, tx, { ...original, ...changes }));
        // wired on another host, or not at all, until its agent says otherwise
        if ((changes['binding:host_id'] ?? original['binding:host_id']) !== original['binding:host_id']) set.status = 'DOWN';
      }
      delete set.fixed_ips;
      delete set.security_groups;
      const row = toRow(portDef, set);
      await tx.updateTable('ports')
        .set({ ...row, revision_number: (original.revision_number as number) + 1, updated_at: now() } as never)
        .where('id', '=', id).execute();
    }, () => Errors.notFound('Port', id));
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    await deleteResource(this.ctx, this.ops, id, async (tx, current) => {
      // as create: a subnet delete taking this port's address queues on the network, not on the port
      await lockNetwork(this.ctx, tx, current.network_id as string, 'share');
      await this.remove(tx, id);
    }, () => Errors.notFound('Port', id));
  }

  async remove(tx: Tx, id: string): Promise<void> {
    await this.addresses.releaseAll(tx, id);
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('ports').where('id', '=', id).execute();
  }
}
