import type { Tx } from '../db/database.js';
import { Errors } from '../model/errors.js';
import { cidrContains, eui64, formatIp, parseCidr, parseIp, type Cidr } from '../../common/net-address.js';
import type { IpamSubnet } from '../ipam/store.js';
import { portRowChange } from '../agents/change-log.js';
import { now, type PluginContext } from './context.js';

export interface FixedIpSpec {
  subnet_id?: string;
  ip_address?: string;
}

interface PortRef {
  id: string;
  network_id: string;
  mac_address: string;
  device_owner: string;
}

interface SubnetInfo extends IpamSubnet {
  parsed: Cidr;
  auto: boolean;
  serviceTypes: string[];
  enableDhcp: boolean;
}

/**
 * The subnet-service-types extension, as Neutron's IPAM picks subnets for an implicit
 * address: the subnets that name the port's device_owner among their service_types,
 * else the subnets that name none.
 */
function forDeviceOwner(subnets: SubnetInfo[], owner: string): SubnetInfo[] {
  const serving = subnets.filter((s) => s.serviceTypes.includes(owner));
  return serving.length > 0 ? serving : subnets.filter((s) => s.serviceTypes.length === 0);
}

/** Subnet.find_candidate_subnets' service-type test: no types, the port's device_owner, or DHCP on a DHCP subnet. */
const servesOwner = (s: SubnetInfo, owner: string): boolean =>
  s.serviceTypes.length === 0 || s.serviceTypes.includes(owner) || (owner === 'network:dhcp' && s.enableDhcp);

/** SLAAC and DHCPv6-stateless subnets hand out EUI-64 addresses, not pool addresses. */
export const isAutoAddressMode = (mode: unknown): boolean => mode === 'slaac' || mode === 'dhcpv6-stateless';

const isRouterOwner = (owner: string): boolean => owner.startsWith('network:router') || owner === 'network:ha_router_replicated_interface';
/** neutron_lib ROUTER_INTERFACE_OWNERS_SNAT: the ports that get no implicit SLAAC/DHCPv6-stateless address. */
const isRouterInterface = (owner: string): boolean =>
  ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface', 'network:router_centralized_snat'].includes(owner);

/** Chooses a port's addresses on its network's subnets, as Neutron's IPAM backend does. */
export class PortAddresses {
  constructor(private ctx: PluginContext) {}

  private async subnets(tx: Tx, networkId: string): Promise<SubnetInfo[]> {
    const rows = await tx.selectFrom('subnets')
      .select(['id', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'ipv6_address_mode', 'service_types', 'enable_dhcp', 'created_at'])
      .where('network_id', '=', networkId).orderBy('created_at').orderBy('id').execute();
    return rows.map(({ service_types, enable_dhcp, ...r }) => ({
      ...r, parsed: parseCidr(r.cidr) as Cidr,
      auto: isAutoAddressMode(r.ipv6_address_mode),
      serviceTypes: JSON.parse(service_types) as string[],
      enableDhcp: Boolean(enable_dhcp),
    }));
  }

  /**
   * Neutron's add_auto_addrs_on_network_ports: a new SLAAC or DHCPv6-stateless subnet gives the ports
   * already on its network their EUI-64 address (not router interfaces, nor ports whose device_owner
   * its service_types leave out), and their revision moves on.
   */
  async addToNetworkPorts(tx: Tx, subnetId: string, networkId: string): Promise<void> {
    const s = (await this.subnets(tx, networkId)).find((x) => x.id === subnetId);
    if (!s?.auto) return;
    const ports = await tx.selectFrom('ports').select(['id', 'network_id', 'mac_address', 'device_owner', 'binding_host_id'])
      .where('network_id', '=', networkId).orderBy('id').execute();
    const addressed = ports.filter((p) => !isRouterInterface(p.device_owner) && servesOwner(s, p.device_owner));
    for (const p of addressed) await this.allocateAuto(tx, s, p);
    if (addressed.length) {
      await tx.updateTable('ports').set((eb) => ({ revision_number: eb('revision_number', '+', 1), updated_at: now() }))
        .where('id', 'in', addressed.map((p) => p.id)).execute();
      for (const p of addressed) await this.ctx.changeLog.record(tx, portRowChange('update', p));
    }
  }

  /** fixed_ips null means "whatever Neutron would choose": one IPv4, one stateful IPv6, every SLAAC subnet. */
  async allocate(tx: Tx, port: PortRef, specs: FixedIpSpec[] | null): Promise<void> {
    const subnets = await this.subnets(tx, port.network_id);
    if (specs === null) {
      const usable = forDeviceOwner(subnets, port.device_owner);
      if (subnets.length > 0 && usable.length === 0) throw Errors.noMatchingServiceSubnet(port.network_id, port.device_owner);
      for (const family of [usable.filter((s) => s.ip_version === 4), usable.filter((s) => s.ip_version === 6 && !s.auto)]) {
        if (family.length === 0) continue;
        let got = false;
        for (const s of family) {
          if (await this.ctx.ipam.allocateAny(tx, s, port.id)) {
            got = true;
            break;
          }
        }
        if (!got) throw Errors.ipAddressGenerationFailure(port.network_id);
      }
      for (const s of usable.filter((x) => x.auto)) await this.allocateAuto(tx, s, port);
      return;
    }
    // As Neutron (_test_fixed_ips_for_port + _get_auto_address_ips): an auto-address subnet named by
    // subnet_id alone is left to the scan below, which gives every such subnet its EUI-64 address
    // even when fixed_ips names only other subnets; router interfaces get none implicitly.
    const implicitAuto = !isRouterInterface(port.device_owner);
    for (const spec of specs) {
      if (implicitAuto && spec.ip_address === undefined && subnets.find((x) => x.id === spec.subnet_id)?.auto) continue;
      await this.allocateOne(tx, subnets, port, spec);
    }
    if (implicitAuto) for (const s of subnets.filter((x) => x.auto)) await this.allocateAuto(tx, s, port);
  }

  private async allocateAuto(tx: Tx, s: SubnetInfo, port: PortRef): Promise<string> {
    const ip = formatIp(6, eui64(s.parsed, port.mac_address));
    await this.ctx.ipam.recordComputed(tx, s, ip, port.id);
    return ip;
  }

  private async allocateOne(tx: Tx, subnets: SubnetInfo[], port: PortRef, spec: FixedIpSpec): Promise<void> {
    const gatewayAllowed = isRouterOwner(port.device_owner);
    if (spec.subnet_id !== undefined) {
      const s = subnets.find((x) => x.id === spec.subnet_id);
      if (!s) throw Errors.invalidInput(`Failed to create port on network ${port.network_id}, because fixed_ips included invalid subnet ${spec.subnet_id}`);
      if (spec.ip_address !== undefined) {
        if (s.auto && !isRouterOwner(port.device_owner)) {
          throw Errors.invalidInput(`IPv6 address ${spec.ip_address} cannot be directly assigned to a port on subnet ${s.id} as the subnet is configured for automatic addresses`);
        }
        await this.ctx.ipam.allocateSpecific(tx, s, spec.ip_address, port.id, { gatewayAllowed });
      } else if (s.auto) {
        await this.allocateAuto(tx, s, port);
      } else if (!(await this.ctx.ipam.allocateAny(tx, s, port.id))) {
        throw Errors.subnetExhausted(s.id);
      }
      return;
    }
    if (spec.ip_address !== undefined) {
      const ip = parseIp(spec.ip_address);
      const s = ip ? subnets.find((x) => cidrContains(x.parsed, ip)) : undefined;
      if (!s) throw Errors.invalidIpForNetwork(spec.ip_address);
      if (s.auto && !isRouterOwner(port.device_owner)) {
        throw Errors.invalidInput(`IPv6 address ${spec.ip_address} cannot be directly assigned to a port on subnet ${s.id} as the subnet is configured for automatic addresses`);
      }
      await this.ctx.ipam.allocateSpecific(tx, s, spec.ip_address, port.id, { gatewayAllowed });
      return;
    }
    throw Errors.invalidInput('IP allocation requires subnet_id or ip_address');
  }

  /** Keeps what the new list still names, releases the rest, allocates what is new. */
  async replace(tx: Tx, port: PortRef, specs: FixedIpSpec[], current: Array<{ ip_address: string; subnet_id: string }>): Promise<void> {
    const subnets = await this.subnets(tx, port.network_id);
    const keep = new Set<string>();
    const fresh: FixedIpSpec[] = [];
    const canon = (ip: string) => {
      const p = parseIp(ip);
      return p ? formatIp(p.version, p.value) : ip;
    };
    for (const spec of specs) {
      const match = spec.ip_address !== undefined
        ? current.find((c) => c.ip_address === canon(spec.ip_address as string) && (spec.subnet_id === undefined || spec.subnet_id === c.subnet_id))
        : current.find((c) => c.subnet_id === spec.subnet_id && !keep.has(c.ip_address));
      if (match && !keep.has(match.ip_address)) keep.add(match.ip_address);
      else fresh.push(spec);
    }
    for (const c of current) {
      if (keep.has(c.ip_address)) continue;
      const s = subnets.find((x) => x.id === c.subnet_id);
      // Neutron (_get_changed_ips_for_port) keeps an automatic address the new list does not name.
      if (s?.auto && !isRouterInterface(port.device_owner)) continue;
      if (s) await this.ctx.ipam.release(tx, s, c.ip_address);
    }
    for (const spec of fresh) await this.allocateOne(tx, subnets, port, spec);
  }

  async releaseAll(tx: Tx, portId: string): Promise<void> {
    const ips = await tx.selectFrom('ip_allocations').innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
      .select(['ip_allocations.ip_address', 'subnets.id', 'subnets.network_id', 'subnets.cidr', 'subnets.ip_version', 'subnets.gateway_ip'])
      .where('ip_allocations.port_id', '=', portId)
      // the order allocate locks subnets in (v4 first, then by age): two port writes do not wait on each other's
      .orderBy('subnets.ip_version').orderBy('subnets.created_at').orderBy('subnets.id').execute();
    for (const r of ips) await this.ctx.ipam.release(tx, r, r.ip_address);
  }
}
