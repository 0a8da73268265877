// Pure IP/CIDR/MAC helpers, for IPAM, the API's validators and the DHCP agent.
// Addresses are bigints so IPv4 and IPv6 share one arithmetic path; strings are
// parsed strictly, as Neutron's API validators do, and printed the way Neutron
// (netaddr over glibc) prints them.
import { randomInt } from 'node:crypto';
import ipaddr from 'ipaddr.js';

export type IpVersion = 4 | 6;

export interface IpAddr {
  version: IpVersion;
  value: bigint;
}

export interface Cidr {
  version: IpVersion;
  /** Network address (host bits cleared). */
  network: bigint;
  prefix: number;
  /** Number of addresses in the block (2 ** (bits - prefix)). */
  size: bigint;
}

export function ipBits(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

function bytesToBigint(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function parseIpv4(s: string): bigint | null {
  // Four decimal parts, no leading zeros: Neutron refuses '010.0.0.1' because
  // it is ambiguous (octal or decimal).
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return null;
  return bytesToBigint(ipaddr.IPv4.parse(s).toByteArray());
}

function parseIpv6(s: string): bigint | null {
  // Only hex, ':' and '.' — this refuses zone ids ('%eth0') and whitespace.
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let text = s;
  if (s.includes('.')) {
    // Convert a trailing dotted quad to two hex groups ourselves: ipaddr.js
    // would accept hex/octal quads and reads '::a.b.c.d' as IPv4-mapped.
    const cut = s.lastIndexOf(':');
    if (cut < 0) return null;
    const v4 = parseIpv4(s.slice(cut + 1));
    if (v4 === null) return null;
    text = `${s.slice(0, cut + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(text)) return null;
  return bytesToBigint(ipaddr.IPv6.parse(text).toByteArray());
}

/** Strict parse of an IPv4 or IPv6 address; null when invalid. */
export function parseIp(s: string): IpAddr | null {
  if (typeof s !== 'string' || s.length === 0 || s.length > 45) return null;
  if (s.includes(':')) {
    const value = parseIpv6(s);
    return value === null ? null : { version: 6, value };
  }
  const value = parseIpv4(s);
  return value === null ? null : { version: 4, value };
}

function formatIpv4(value: bigint): string {
  const n = Number(value & 0xffffffffn);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Canonical text form. IPv6 is RFC 5952 (lowercase, longest zero run of two
 * or more groups compressed, first run wins) with glibc inet_ntop's dotted
 * tail for IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
 * addresses, since that is what Neutron returns.
 */
export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return formatIpv4(value);
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestBase = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return out + formatIpv4(value);
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/**
 * Strict parse of 'addr/prefix'. Host bits are cleared, as Neutron's
 * create_subnet does ('10.0.0.5/24' becomes 10.0.0.0/24). The prefix must be
 * plain decimal without leading zeros.
 */
export function parseCidr(s: string): Cidr | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  if (slash < 0 || slash !== s.lastIndexOf('/')) return null;
  const addr = parseIp(s.slice(0, slash));
  const prefixText = s.slice(slash + 1);
  if (addr === null || !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const bits = ipBits(addr.version);
  if (prefix > bits) return null;
  const size = 1n << BigInt(bits - prefix);
  return { version: addr.version, network: addr.value & ~(size - 1n), prefix, size };
}

export function formatCidr(cidr: Pick<Cidr, 'version' | 'network' | 'prefix'>): string {
  return `${formatIp(cidr.version, cidr.network)}/${cidr.prefix}`;
}

/** Last address of the block (the IPv4 broadcast address). */
export function cidrLast(cidr: Cidr): bigint {
  return cidr.network + cidr.size - 1n;
}

/** A bare bigint is assumed to be of the CIDR's version. */
export function cidrContains(cidr: Cidr, ip: bigint | IpAddr): boolean {
  if (typeof ip !== 'bigint') {
    if (ip.version !== cidr.version) return false;
    ip = ip.value;
  }
  return ip >= cidr.network && ip <= cidrLast(cidr);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/**
 * Fixed-width (32 hex chars) key so that string order equals numeric order
 * in a database column. Both versions use the same width; keep versions apart
 * by another column, since 10.0.0.1 and ::a00:1 share a key.
 */
export function sortKey(_version: IpVersion, value: bigint): string {
  return value.toString(16).padStart(32, '0');
}

// netaddr's accepted EUI-48 spellings (what Neutron's validator accepts).
const MAC_FORMATS: Array<[RegExp, number]> = [
  [/^([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2})$/i, 8],
  [/^([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})$/i, 8],
  [/^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i, 16],
  [/^([0-9a-f]{1,4})-([0-9a-f]{1,4})-([0-9a-f]{1,4})$/i, 16],
  [/^([0-9a-f]{1,4})\.([0-9a-f]{1,4})\.([0-9a-f]{1,4})$/i, 16],
  [/^([0-9a-f]{5,6})-([0-9a-f]{5,6})$/i, 24],
  [/^([0-9a-f]{5,6}):([0-9a-f]{5,6})$/i, 24],
  [/^([0-9a-f]{11,12})$/i, 48],
];

/** MAC as a 48-bit bigint, or null if no netaddr format matches. */
export function parseMac(s: string): bigint | null {
  if (typeof s !== 'string') return null;
  for (const [re, width] of MAC_FORMATS) {
    const m = re.exec(s);
    if (!m) continue;
    let v = 0n;
    for (const word of m.slice(1)) v = (v << BigInt(width)) | BigInt(`0x${word}`);
    return v;
  }
  return null;
}

/** Lowercase 'xx:xx:xx:xx:xx:xx', or null when the input is not a MAC. */
export function normalizeMac(s: string): string | null {
  const v = parseMac(s);
  return v === null ? null : formatMac(v);
}

export function formatMac(value: bigint): string {
  return value.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

/** Neutron's validator: any netaddr format, but not all-zeros or broadcast. */
export function isValidMac(s: string): boolean {
  const v = parseMac(s);
  return v !== null && v !== 0n && v !== 0xffffffffffffn;
}

/** I/G bit of the first octet; Neutron refuses these only in address pairs. */
export function isMulticastMac(s: string): boolean {
  const v = parseMac(s);
  return v !== null && (v & 0x010000000000n) !== 0n;
}

/**
 * Random MAC under a prefix of 3 or 4 octets. A full 6-octet base_mac is also
 * accepted with Neutron's rule: the 4th octet is kept only if it is not 00.
 */
export function randomMac(prefix = 'fa:16:3e'): string {
  let octets = prefix.toLowerCase().split(':');
  if (octets.length === 6) octets = octets[3] === '00' ? octets.slice(0, 3) : octets.slice(0, 4);
  if ((octets.length !== 3 && octets.length !== 4) || !octets.every((o) => /^[0-9a-f]{2}$/.test(o))) {
    throw new RangeError(`invalid MAC prefix: ${prefix}`);
  }
  while (octets.length < 6) octets.push(randomInt(256).toString(16).padStart(2, '0'));
  return octets.join(':');
}

/**
 * SLAAC address (RFC 4291 modified EUI-64): ff:fe inserted in the middle of
 * the MAC and the U/L bit flipped, placed in the low 64 bits of the prefix.
 */
export function eui64(prefixCidr: string | Cidr, mac: string): bigint {
  const cidr = typeof prefixCidr === 'string' ? parseCidr(prefixCidr) : prefixCidr;
  if (cidr === null || cidr.version !== 6 || cidr.prefix > 64) {
    throw new RangeError(`EUI-64 needs an IPv6 prefix of /64 or shorter: ${String(prefixCidr)}`);
  }
  const m = parseMac(mac);
  if (m === null) throw new RangeError(`invalid MAC address: ${mac}`);
  const iid = ((m >> 24n) << 40n) | (0xfffen << 24n) | (m & 0xffffffn);
  return cidr.network | (iid ^ (1n << 57n));
}

/** Neutron's is_eui64_address: IPv6 with ff:fe in the middle of the IID. */
export function isEui64Address(ip: IpAddr): boolean {
  return ip.version === 6 && (ip.value & 0xffff000000n) === 0xfffe000000n;
}
