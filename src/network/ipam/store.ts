import type { Dialect } from '../../common/db/index.js';
import type { Tx } from '../db/database.js';
import { Errors } from '../model/errors.js';
import { cidrContains, formatIp, parseCidr, parseIp, sortKey, type Cidr, type IpVersion } from '../../common/net-address.js';
import type { ParsedPool } from './pools.js';
import { usableBounds } from './pools.js';

export interface IpamSubnet {
  id: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
}

const keyToValue = (k: string): bigint => BigInt(`0x${k}`);

/**
 * The database side of IPAM: a subnet's free addresses are kept as disjoint
 * ranges (ipam_free_ranges), so taking the next address reads one row and
 * writes one row, whatever the number of allocated addresses. Writers of one
 * subnet are serialised by a row lock on the subnet (PostgreSQL) or by
 * SQLite's single writer; the primary key on (subnet_id, ip_address) is the
 * last line against a double allocation.
 */
export class IpamStore {
  constructor(private dialect: Dialect) {}

  async lockSubnet(tx: Tx, subnetId: string): Promise<void> {
    if (this.dialect === 'postgres') {
      await tx.selectFrom('subnets').select('id').where('id', '=', subnetId).forUpdate().execute();
    }
  }

  async initPools(tx: Tx, subnet: IpamSubnet, pools: ParsedPool[]): Promise<void> {
    const version = subnet.ip_version as IpVersion;
    if (pools.length === 0) return;
    await tx.insertInto('allocation_pools').values(pools.map((p, i) => ({
      subnet_id: subnet.id, position: i, first_ip: formatIp(version, p.first), last_ip: formatIp(version, p.last),
    }))).execute();
    // a new subnet has no free ranges yet: insert, nothing to clear
    await tx.insertInto('ipam_free_ranges').values(pools.map((p) => ({
      subnet_id: subnet.id, first_key: sortKey(version, p.first), last_key: sortKey(version, p.last),
    }))).execute();
  }

  private async writeFree(tx: Tx, subnetId: string, version: IpVersion, ranges: Array<{ first: bigint; last: bigint }>): Promise<void> {
    await tx.deleteFrom('ipam_free_ranges').where('subnet_id', '=', subnetId).execute();
    if (ranges.length === 0) return;
    await tx.insertInto('ipam_free_ranges').values(ranges.map((r) => ({
      subnet_id: subnetId, first_key: sortKey(version, r.first), last_key: sortKey(version, r.last),
    }))).execute();
  }

  /** Replaces the pools; free ranges become the new pools less what is allocated (an update may scan, a create never does). */
  async replacePools(tx: Tx, subnet: IpamSubnet, pools: ParsedPool[]): Promise<void> {
    await this.lockSubnet(tx, subnet.id);
    const version = subnet.ip_version as IpVersion;
    await tx.deleteFrom('allocation_pools').where('subnet_id', '=', subnet.id).execute();
    if (pools.length) {
      await tx.insertInto('allocation_pools').values(pools.map((p, i) => ({
        subnet_id: subnet.id, position: i, first_ip: formatIp(version, p.first), last_ip: formatIp(version, p.last),
      }))).execute();
    }
    const used = (await tx.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', subnet.id).execute())
      .map((r) => parseIp(r.ip_address)?.value ?? -1n)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const free: Array<{ first: bigint; last: bigint }> = [];
    for (const p of [...pools].sort((a, b) => (a.first < b.first ? -1 : 1))) {
      let start = p.first;
      for (const u of used) {
        if (u < start || u > p.last) continue;
        if (u > start) free.push({ first: start, last: u - 1n });
        start = u + 1n;
      }
      if (start <= p.last) free.push({ first: start, last: p.last });
    }
    await this.writeFree(tx, subnet.id, version, free);
  }

  /** The next free address of the subnet, or null when its pools are exhausted. */
  async allocateAny(tx: Tx, subnet: IpamSubnet, portId: string): Promise<string | null> {
    await this.lockSubnet(tx, subnet.id);
    const version = subnet.ip_version as IpVersion;
    const r = await tx.selectFrom('ipam_free_ranges').selectAll().where('subnet_id', '=', subnet.id)
      .orderBy('first_key').limit(1).executeTakeFirst();
    if (!r) return null;
    const value = keyToValue(r.first_key);
    if (r.first_key === r.last_key) {
      await tx.deleteFrom('ipam_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', r.first_key).execute();
    } else {
      await tx.updateTable('ipam_free_ranges').set({ first_key: sortKey(version, value + 1n) })
        .where('subnet_id', '=', subnet.id).where('first_key', '=', r.first_key).execute();
    }
    const ip = formatIp(version, value);
    await tx.insertInto('ip_allocations').values({ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: ip }).execute();
    return ip;
  }

  /** Allocates the address asked for: from the pools, or inside the subnet but outside them as Neutron allows. */
  async allocateSpecific(tx: Tx, subnet: IpamSubnet, ip: string, portId: string, opts: { gatewayAllowed: boolean }): Promise<string> {
    const parsed = parseIp(ip);
    const cidr = parseCidr(subnet.cidr) as Cidr;
    if (!parsed || parsed.version !== cidr.version || !cidrContains(cidr, parsed)) throw Errors.invalidIpForSubnet(ip, subnet.id);
    const bounds = usableBounds(cidr);
    if (parsed.value < bounds.first || parsed.value > bounds.last) throw Errors.invalidIpForSubnet(ip, subnet.id);
    const canonical = formatIp(parsed.version, parsed.value);
    if (!opts.gatewayAllowed && subnet.gateway_ip === canonical) throw Errors.ipAddressAlreadyAllocated(canonical, subnet.id);
    await this.lockSubnet(tx, subnet.id);
    const key = sortKey(parsed.version, parsed.value);
    const r = await tx.selectFrom('ipam_free_ranges').selectAll().where('subnet_id', '=', subnet.id)
      .where('first_key', '<=', key).orderBy('first_key', 'desc').limit(1).executeTakeFirst();
    if (r && r.last_key >= key) {
      const v = parsed.value;
      const first = keyToValue(r.first_key);
      const last = keyToValue(r.last_key);
      await tx.deleteFrom('ipam_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', r.first_key).execute();
      const rest = [];
      if (first < v) rest.push({ subnet_id: subnet.id, first_key: r.first_key, last_key: sortKey(parsed.version, v - 1n) });
      if (v < last) rest.push({ subnet_id: subnet.id, first_key: sortKey(parsed.version, v + 1n), last_key: r.last_key });
      if (rest.length) await tx.insertInto('ipam_free_ranges').values(rest).execute();
    } else {
      const taken = await tx.selectFrom('ip_allocations').select('port_id')
        .where('subnet_id', '=', subnet.id).where('ip_address', '=', canonical).executeTakeFirst();
      if (taken) throw Errors.ipAddressAlreadyAllocated(canonical, subnet.id);
    }
    await tx.insertInto('ip_allocations').values({ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: canonical }).execute();
    return canonical;
  }

  /** Records an address computed elsewhere (SLAAC), outside the free ranges. */
  async recordComputed(tx: Tx, subnet: IpamSubnet, ip: string, portId: string): Promise<void> {
    const taken = await tx.selectFrom('ip_allocations').select('port_id')
      .where('subnet_id', '=', subnet.id).where('ip_address', '=', ip).executeTakeFirst();
    if (taken) throw Errors.ipAddressAlreadyAllocated(ip, subnet.id);
    await tx.insertInto('ip_allocations').values({ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: ip }).execute();
  }

  /** Returns an address to its pool, merging it with the free neighbours. */
  async release(tx: Tx, subnet: IpamSubnet, ip: string): Promise<void> {
    await this.lockSubnet(tx, subnet.id);
    await tx.deleteFrom('ip_allocations').where('subnet_id', '=', subnet.id).where('ip_address', '=', ip).execute();
    const parsed = parseIp(ip);
    if (!parsed) return;
    const version = parsed.version;
    const v = parsed.value;
    const pools = await tx.selectFrom('allocation_pools').selectAll().where('subnet_id', '=', subnet.id).execute();
    const inPool = pools.some((p) => {
      const a = parseIp(p.first_ip)?.value ?? 0n;
      const b = parseIp(p.last_ip)?.value ?? -1n;
      return v >= a && v <= b;
    });
    if (!inPool) return;
    const before = v > 0n ? await tx.selectFrom('ipam_free_ranges').selectAll().where('subnet_id', '=', subnet.id)
      .where('last_key', '=', sortKey(version, v - 1n)).executeTakeFirst() : undefined;
    const after = await tx.selectFrom('ipam_free_ranges').selectAll().where('subnet_id', '=', subnet.id)
      .where('first_key', '=', sortKey(version, v + 1n)).executeTakeFirst();
    let first = sortKey(version, v);
    let last = first;
    if (before) {
      first = before.first_key;
      await tx.deleteFrom('ipam_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', before.first_key).execute();
    }
    if (after) {
      last = after.last_key;
      await tx.deleteFrom('ipam_free_ranges').where('subnet_id', '=', subnet.id).where('first_key', '=', after.first_key).execute();
    }
    await tx.insertInto('ipam_free_ranges').values({ subnet_id: subnet.id, first_key: first, last_key: last }).execute();
  }
}
