import type { Db, Tx } from '../db/database.js';
import type { ListQuery } from '../model/list-query.js';
import { Errors, NeutronError } from '../model/errors.js';
import type { Caller } from '../model/caller.js';
import { subnetDef } from '../model/resources/subnet.js';
import { fromRow, listRows, toRow } from '../db/table.js';
import { cidrLast, cidrsOverlap, formatIp, parseCidr, parseIp, type Cidr } from '../../common/net-address.js';
import { defaultGateway, defaultPools, IpamError, parsePools, validatePools, type ParsedPool, type Pool } from '../ipam/pools.js';
import { newId, now, type PluginContext } from './context.js';
import { extendSubnets } from './extend.js';
import { portRowChange } from '../agents/change-log.js';
import { createResources, deleteResource, updateResource, type Ops } from './lifecycle.js';
import { isAutoAddressMode, PortAddresses } from './port-addresses.js';
import type { Networks } from './networks.js';
import { hasGlobalScope } from '../model/policy-rules.js';
import { ACCESS_SHARED, openNetworkIds, readsOwnProject } from './rbac.js';

type Body = Record<string, unknown>;

export async function loadSubnets(db: Db | Tx, ids: string[]): Promise<Body[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('subnets').selectAll().where('id', 'in', ids).execute();
  const items = rows.map((r) => fromRow(subnetDef, r));
  await extendSubnets(db, items);
  return items;
}

const ipamError = (e: unknown): unknown => (e instanceof IpamError ? new NeutronError(e.type, e.status, e.message) : e);

function checkGateway(cidr: Cidr, gw: string): string {
  const g = parseIp(gw);
  if (!g || g.version !== cidr.version) throw Errors.invalidInput(`Gateway IP version inconsistent with allocation pool version`);
  const value = formatIp(g.version, g.value);
  if (cidr.version === 4 && cidr.prefix < 31 && (g.value === cidr.network || g.value === cidrLast(cidr))) {
    throw Errors.invalidInput(`Gateway is not valid on subnet`);
  }
  return value;
}

function checkIpv6Modes(item: Body, cidr: Cidr): void {
  const ra = item.ipv6_ra_mode as string | null;
  const addr = item.ipv6_address_mode as string | null;
  if (cidr.version === 4) {
    if (ra !== null) throw Errors.invalidInput('ipv6_ra_mode is not valid when ip_version is 4');
    if (addr !== null) throw Errors.invalidInput('ipv6_address_mode is not valid when ip_version is 4');
    return;
  }
  if (ra !== null && addr !== null && ra !== addr) {
    throw Errors.invalidInput(`ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value`);
  }
  if ((ra !== null || addr !== null) && item.enable_dhcp === false) {
    throw Errors.invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False');
  }
  if (isAutoAddressMode(addr) && cidr.prefix !== 64) {
    throw Errors.invalidInput(`Invalid CIDR ${item.cidr as string} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`);
  }
}

export const isAutoAddress = (s: Body): boolean => isAutoAddressMode(s.ipv6_address_mode);

export class Subnets {
  readonly ops: Ops = { resource: 'subnet', load: loadSubnets };

  private addresses: PortAddresses;

  constructor(private ctx: PluginContext, private networks: Networks) {
    this.addresses = new PortAddresses(ctx);
  }

  async create(caller: Caller, items: Body[]): Promise<Body[]> {
    for (const item of items) {
      // who may add a subnet to the network is the create_subnet rule's (src/network/api/policy.ts, with related())
      // there are no subnet pools: whichever one is named does not exist
      if (item.subnetpool_id != null) throw new NeutronError('SubnetPoolNotFound', 404, `Subnet pool ${item.subnetpool_id as string} could not be found.`);
    }
    return createResources(this.ctx, this.ops, items, async (tx, item) => {
      const cidr = parseCidr(item.cidr as string) as Cidr;
      if (cidr.version !== item.ip_version) {
        throw Errors.invalidInput(`Cannot use ${cidr.version === 6 ? 'IPv6' : 'IPv4'} cidr ${item.cidr as string} with IPv${item.ip_version as number} version`);
      }
      checkIpv6Modes(item, cidr);
      const networkId = item.network_id as string;
      // first: on the network row this waits for the network's port and subnet writes, and they for it,
      // so the subnets and ports read below are complete (lockNetwork)
      await this.bumpNetwork(tx, networkId);
      const siblings = await tx.selectFrom('subnets').select(['cidr']).where('network_id', '=', networkId).execute();
      if (siblings.some((s) => cidrsOverlap(parseCidr(s.cidr) as Cidr, cidr))) {
        throw Errors.invalidInput(`Requested subnet with cidr: ${item.cidr as string} for network: ${networkId} overlaps with another subnet`);
      }
      const gw = item.gateway_ip === undefined ? defaultGateway(cidr) : item.gateway_ip === null ? null : checkGateway(cidr, item.gateway_ip as string);
      let pools: ParsedPool[];
      try {
        pools = item.allocation_pools === undefined
          ? parsePools(defaultPools(cidr, gw))
          : validatePools(cidr, gw, item.allocation_pools as Pool[]);
      } catch (e) {
        throw ipamError(e);
      }
      const id = newId();
      const t = now();
      const row = toRow(subnetDef, { ...item, id, gateway_ip: gw, revision_number: 0, created_at: t, updated_at: t });
      await tx.insertInto('subnets').values(row as never).execute();
      await this.ctx.ipam.initPools(tx, { id, network_id: networkId, cidr: item.cidr as string, ip_version: cidr.version, gateway_ip: gw }, pools);
      // in the subnet's own transaction (Neutron: just after it): the subnet and the ports' addresses come together
      await this.addresses.addToNetworkPorts(tx, id, networkId);
      return id;
    }, (tx, id) => this.remove(tx, id));
  }

  /** Also the network's lock for subnet writes: an UPDATE holds the row as FOR NO KEY UPDATE, which FOR SHARE waits on. */
  private async bumpNetwork(tx: Tx, networkId: string): Promise<void> {
    const r = await tx.updateTable('networks').set((eb) => ({ revision_number: eb('revision_number', '+', 1) })).where('id', '=', networkId).executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw Errors.notFound('Network', networkId);
  }

  /** The network's owner and sharing, for the rules; for a new subnet, NetworkNotFound when the caller may not use the network. */
  async related(caller: Caller, item: Body, existing: boolean): Promise<Body> {
    return networkRelated(this.networks, caller, item, existing);
  }

  async get(caller: Caller, id: string): Promise<Body> {
    const [s] = await loadSubnets(this.ctx.db, [id]);
    if (!s || !(await this.inScope(caller, s))) throw Errors.notFound('Subnet', id);
    return s;
  }

  /** Neutron's subnet query: the caller's project's subnets, and those of networks shared with it. */
  private async inScope(caller: Caller, s: Body): Promise<boolean> {
    if (hasGlobalScope(caller) || (s.project_id === caller.projectId && readsOwnProject(caller))) return true;
    const open = await this.ctx.db.selectFrom('network_rbacs').select('id').where('object_id', '=', s.network_id as string)
      .where('action', '=', ACCESS_SHARED).where('target_tenant', 'in', ['*', caller.projectId]).executeTakeFirst();
    return open !== undefined;
  }

  async list(caller: Caller, q: ListQuery): Promise<Body[]> {
    const items = await listRows(this.ctx.db, subnetDef, q, {
      // shared=True/False: the subnet's network is shared to '*' or to the caller's project (neutron-lib's model_query)
      computed: {
        shared: (eb, values) => {
          const shared = eb('network_id', 'in', openNetworkIds(eb, caller.projectId, ACCESS_SHARED));
          return values[0] ? shared : eb.not(shared);
        },
      },
      scope: hasGlobalScope(caller) ? undefined : (eb) => eb.or([
        ...(readsOwnProject(caller) ? [eb('project_id', '=', caller.projectId)] : []),
        eb('network_id', 'in', openNetworkIds(eb, caller.projectId, ACCESS_SHARED)),
      ]),
    });
    await extendSubnets(this.ctx.db, items);
    return items;
  }

  async update(caller: Caller, id: string, changes: Body): Promise<Body> {
    await this.get(caller, id);
    return updateResource(this.ctx, this.ops, id, async (tx, original) => {
      const cidr = parseCidr(original.cidr as string) as Cidr;
      const set: Body = { ...changes };
      if ('gateway_ip' in changes && changes.gateway_ip !== null) set.gateway_ip = checkGateway(cidr, changes.gateway_ip as string);
      const gw = ('gateway_ip' in set ? set.gateway_ip : original.gateway_ip) as string | null;
      if ('allocation_pools' in changes || 'gateway_ip' in changes) {
        let pools: ParsedPool[];
        try {
          pools = validatePools(cidr, gw, (changes.allocation_pools ?? original.allocation_pools) as Pool[]);
        } catch (e) {
          throw ipamError(e);
        }
        if ('allocation_pools' in changes) {
          await this.ctx.ipam.replacePools(tx, { id, network_id: original.network_id as string, cidr: original.cidr as string, ip_version: cidr.version, gateway_ip: gw }, pools);
        }
      }
      delete set.allocation_pools;
      const row = toRow(subnetDef, set);
      await tx.updateTable('subnets')
        .set({ ...row, revision_number: (original.revision_number as number) + 1, updated_at: now() } as never)
        .where('id', '=', id).execute();
    }, () => Errors.notFound('Subnet', id));
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    await deleteResource(this.ctx, this.ops, id, async (tx) => {
      const s = await tx.selectFrom('subnets').select(['network_id', 'ip_version', 'ipv6_address_mode']).where('id', '=', id).executeTakeFirst();
      if (!s) throw Errors.notFound('Subnet', id);
      // the network first, as port writes take it before this subnet's row: no cycle, and no address slips past the check
      await this.bumpNetwork(tx, s.network_id);
      // Neutron's _remove_subnet_ip_allocations_from_ports: the addresses of SLAAC and
      // DHCPv6-stateless subnets are taken away from the ports with the subnet
      const autoAddress = s.ip_version === 6 && isAutoAddressMode(s.ipv6_address_mode);
      const inUse = !autoAddress && await tx.selectFrom('ip_allocations').innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
        .select('ports.id').where('ip_allocations.subnet_id', '=', id).where('ports.device_owner', '!=', 'network:dhcp')
        .limit(1).executeTakeFirst();
      if (inUse) throw Errors.subnetInUse(id);
      if (autoAddress) {
        // the ports lose an address: their revision moves on, as Neutron's revision plugin does
        await tx.updateTable('ports').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now() }))
          .where('id', 'in', (eb) => eb.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', id)).execute();
      }
      await this.drop(tx, id);
    }, () => Errors.notFound('Subnet', id));
  }

  async remove(tx: Tx, id: string): Promise<void> {
    const s = await tx.selectFrom('subnets').select('network_id').where('id', '=', id).executeTakeFirst();
    if (!s) return;
    await this.bumpNetwork(tx, s.network_id);
    await this.drop(tx, id);
  }

  private async drop(tx: Tx, id: string): Promise<void> {
    // the ports that had an address here (SLAAC ones, DHCP's) lose it: a change for their agents
    const losing = await tx.selectFrom('ports').select(['id', 'network_id', 'binding_host_id'])
      .where('id', 'in', (eb) => eb.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', id)).execute();
    await tx.deleteFrom('ip_allocations').where('subnet_id', '=', id).execute();
    await tx.deleteFrom('tags').where('resource_id', '=', id).execute();
    await tx.deleteFrom('subnets').where('id', '=', id).execute();
    for (const p of losing) await this.ctx.changeLog.record(tx, portRowChange('update', p));
  }
}

/**
 * The network fields the port and subnet rules read (network:project_id, network:tenant_id,
 * network:shared as the caller sees it). For a new resource, the network must be one the
 * caller can see (NetworkNotFound), and, unless shared with it, belong to the new resource's
 * project (Neutron's _validate_network_tenant_ownership, also answered 404).
 */
export async function networkRelated(networks: Networks, caller: Caller, item: Body, existing: boolean): Promise<Body> {
  const networkId = item.network_id as string;
  const net = existing ? await networks.info(caller, networkId) : await networks.summary(caller, networkId);
  if (!net) return {};
  if (!existing && !hasGlobalScope(caller) && !net.shared && net.project_id !== item.project_id) throw Errors.notFound('Network', networkId);
  return { 'network:project_id': net.project_id, 'network:tenant_id': net.project_id, 'network:shared': net.shared };
}
