// Allocation pools: Neutron's defaults (neutron/ipam/utils.py generate_pools)
// and validation of user-supplied pools (ipam_backend_mixin), with the same
// exception types, statuses and messages.
import { type Cidr, cidrLast, formatCidr, formatIp, parseCidr, parseIp } from '../../common/net-address.js';

export interface Pool {
  start: string;
  end: string;
}

/** Neutron exception type name, HTTP status and rendered message. */
export class IpamError extends Error {
  constructor(
    public type: string,
    public status: number,
    message: string,
  ) {
    super(message);
    this.name = 'IpamError';
  }
}

function requireCidr(cidr: string | Cidr): Cidr {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (c === null) throw new RangeError(`invalid CIDR: ${String(cidr)}`);
  return c;
}

/**
 * Usable span of a subnet: IPv4 loses network and broadcast unless /31 or
 * /32; IPv6 loses only the network (subnet-router anycast) address.
 */
export function usableBounds(c: Cidr): { first: bigint; last: bigint } {
  const last = cidrLast(c);
  if (c.version === 4 && c.prefix > 30) return { first: c.network, last };
  return { first: c.network + 1n, last: c.version === 4 ? last - 1n : last };
}

/**
 * Neutron's default gateway when the request leaves gateway_ip unset:
 * IPv4 network + 1, IPv6 the network address itself (since Ussuri,
 * ipam_backend_mixin._gateway_ip_str). Use defaultGatewayFirstHost for the
 * "first host" rule Neutron applies to prefix-delegated IPv6 subnets.
 */
export function defaultGateway(cidr: string | Cidr): string {
  const c = requireCidr(cidr);
  return formatIp(c.version, c.version === 6 ? c.network : c.network + 1n);
}

/** network + 1 for either version (neutron.common.utils.get_first_host_ip). */
export function defaultGatewayFirstHost(cidr: string | Cidr): string {
  const c = requireCidr(cidr);
  return formatIp(c.version, c.network + 1n);
}

/** Default allocation pools: the usable span minus the gateway, if inside. */
export function defaultPools(cidr: string | Cidr, gatewayIp: string | null): Pool[] {
  const c = requireCidr(cidr);
  const fmt = (first: bigint, last: bigint): Pool => ({
    start: formatIp(c.version, first),
    end: formatIp(c.version, last),
  });
  // A single-address subnet is returned whole, gateway or not (as Neutron).
  if (c.size === 1n) return [fmt(c.network, c.network)];
  const { first, last } = usableBounds(c);
  const gw = gatewayIp ? parseIp(gatewayIp) : null;
  if (gw === null || gw.version !== c.version || gw.value < first || gw.value > last) {
    return first <= last ? [fmt(first, last)] : [];
  }
  const pools: Pool[] = [];
  if (gw.value > first) pools.push(fmt(first, gw.value - 1n));
  if (gw.value < last) pools.push(fmt(gw.value + 1n, last));
  return pools;
}

/** A pool after parsing, in numbers, with Neutron's str(IPRange) text. */
export interface ParsedPool {
  version: 4 | 6;
  first: bigint;
  last: bigint;
  text: string;
}

function pyDictRepr(pool: Pool): string {
  // Neutron renders the raw dict when netaddr cannot build the IPRange;
  // IPv6 values were already canonicalised by the API converter.
  const canon = (s: unknown): string => {
    const ip = typeof s === 'string' ? parseIp(s) : null;
    return ip ? formatIp(ip.version, ip.value) : String(s);
  };
  return `{'start': '${canon(pool?.start)}', 'end': '${canon(pool?.end)}'}`;
}

export function invalidAllocationPool(pool: string): IpamError {
  return new IpamError('InvalidAllocationPool', 400, `The allocation pool ${pool} is not valid.`);
}

export function outOfBoundsAllocationPool(pool: string, subnetCidr: string): IpamError {
  return new IpamError(
    'OutOfBoundsAllocationPool',
    400,
    `The allocation pool ${pool} spans beyond the subnet cidr ${subnetCidr}.`,
  );
}

export function overlappingAllocationPools(pool1: string, pool2: string, subnetCidr: string): IpamError {
  return new IpamError(
    'OverlappingAllocationPools',
    409,
    `Found overlapping allocation pools: ${pool1} ${pool2} for subnet ${subnetCidr}.`,
  );
}

export function gatewayConflictWithAllocationPools(ipAddress: string, pool: string): IpamError {
  return new IpamError(
    'GatewayConflictWithAllocationPools',
    409,
    `Gateway ip ${ipAddress} conflicts with allocation pool ${pool}.`,
  );
}

/**
 * Neutron's pools_to_ip_range + validate_allocation_pools +
 * validate_gw_out_of_pools, checked in that order, first failure wins.
 * Returns the pools parsed, in request order, with canonical texts.
 */
export function validatePools(cidr: string | Cidr, gatewayIp: string | null, pools: Pool[]): ParsedPool[] {
  const c = requireCidr(cidr);
  const subnetCidr = formatCidr(c);

  const ranges = parsePools(pools);
  const bounds = usableBounds(c);
  for (const r of ranges) {
    if (r.version !== c.version) throw invalidAllocationPool(r.text);
    if (r.first < bounds.first || r.last > bounds.last) throw outOfBoundsAllocationPool(r.text, subnetCidr);
  }

  // Pairwise in request order, like Neutron, so the reported pair matches.
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i];
      const b = ranges[j];
      if (a.first <= b.last && b.first <= a.last) throw overlappingAllocationPools(a.text, b.text, subnetCidr);
    }
  }

  if (gatewayIp) checkGatewayOutOfPools(gatewayIp, ranges);
  return ranges;
}

/**
 * validate_gw_out_of_pools alone: subnet update runs it against the stored
 * pools when only gateway_ip changes.
 */
export function checkGatewayOutOfPools(gatewayIp: string, pools: ParsedPool[]): void {
  const gw = parseIp(gatewayIp);
  if (!gw) return;
  const hit = pools.find((r) => r.version === gw.version && gw.value >= r.first && gw.value <= r.last);
  if (hit) throw gatewayConflictWithAllocationPools(formatIp(gw.version, gw.value), hit.text);
}

/**
 * netaddr.IPRange(start, end) for each pool: a bad address, mixed versions
 * or start > end is InvalidAllocationPool showing the raw dict.
 */
export function parsePools(pools: Pool[]): ParsedPool[] {
  return pools.map((pool) => {
    const start = typeof pool?.start === 'string' ? parseIp(pool.start) : null;
    const end = typeof pool?.end === 'string' ? parseIp(pool.end) : null;
    if (!start || !end || start.version !== end.version || start.value > end.value) {
      throw invalidAllocationPool(pyDictRepr(pool));
    }
    const text = `${formatIp(start.version, start.value)}-${formatIp(end.version, end.value)}`;
    return { version: start.version, first: start.value, last: end.value, text };
  });
}

/**
 * Neutron's check_gateway_invalid_in_subnet (InvalidInput "Gateway is not
 * valid on subnet"): IPv4 only, the network or last address, even on /31
 * and /32. A gateway outside the subnet is allowed (on-link).
 */
export function isGatewayInvalidInSubnet(cidr: string | Cidr, gatewayIp: string): boolean {
  const c = requireCidr(cidr);
  const gw = parseIp(gatewayIp);
  if (!gw || gw.version !== 4 || c.version !== 4) return false;
  return gw.value === c.network || gw.value === cidrLast(c);
}
