import type { Db, Tx } from '../db/database.js';
import { parseIp, sortKey } from '../../common/net-address.js';

type Body = Record<string, unknown>;

/** Loads the tags of many resources at once. */
export async function loadTags(db: Db | Tx, items: Body[]): Promise<void> {
  if (items.length === 0) return;
  const ids = items.map((i) => i.id as string);
  const rows = await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', ids).execute();
  const by = group(rows, (r) => r.resource_id, (r) => r.tag);
  for (const it of items) it.tags = (by.get(it.id as string) ?? []).sort();
}

export function group<R, V>(rows: R[], key: (r: R) => string, value: (r: R) => V): Map<string, V[]> {
  const m = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(value(r));
    else m.set(k, [value(r)]);
  }
  return m;
}

/** Computed network attributes: segments as provider:*, subnets, scopes. */
export async function extendNetworks(db: Db | Tx, items: Body[]): Promise<void> {
  if (items.length === 0) return;
  const ids = items.map((i) => i.id as string);
  const segs = await db.selectFrom('network_segments').selectAll().where('network_id', 'in', ids).orderBy('segment_index').execute();
  const subs = await db.selectFrom('subnets').select(['id', 'network_id', 'created_at']).where('network_id', 'in', ids)
    .orderBy('created_at').orderBy('id').execute();
  const segBy = group(segs, (s) => s.network_id, (s) => s);
  const subBy = group(subs, (s) => s.network_id, (s) => s.id);
  for (const n of items) {
    const seg = segBy.get(n.id as string)?.[0];
    n['provider:network_type'] = seg?.network_type ?? null;
    n['provider:physical_network'] = seg?.physical_network ?? null;
    n['provider:segmentation_id'] = seg?.segmentation_id ?? null;
    n.subnets = subBy.get(n.id as string) ?? [];
    n.availability_zones = [];
    n.ipv4_address_scope = null;
    n.ipv6_address_scope = null;
    // Neutron shows is_default only for external networks (and echoes it on create)
    if (!n['router:external']) delete n.is_default;
  }
  await loadTags(db, items);
}

export async function extendSubnets(db: Db | Tx, items: Body[]): Promise<void> {
  if (items.length === 0) return;
  const ids = items.map((i) => i.id as string);
  const pools = await db.selectFrom('allocation_pools').selectAll().where('subnet_id', 'in', ids).orderBy('position').execute();
  const by = group(pools, (p) => p.subnet_id, (p) => ({ start: p.first_ip, end: p.last_ip }));
  for (const s of items) s.allocation_pools = by.get(s.id as string) ?? [];
  await loadTags(db, items);
}

const ipOrder = (ip: string): string => {
  const p = parseIp(ip);
  return p ? `${p.version}${sortKey(p.version, p.value)}` : ip;
};

export async function extendPorts(db: Db | Tx, items: Body[]): Promise<void> {
  if (items.length === 0) return;
  const ids = items.map((i) => i.id as string);
  const ips = await db.selectFrom('ip_allocations').select(['port_id', 'subnet_id', 'ip_address']).where('port_id', 'in', ids).execute();
  const sgs = await db.selectFrom('port_security_groups').selectAll().where('port_id', 'in', ids).execute();
  const ipBy = group(ips, (r) => r.port_id, (r) => ({ ip_address: r.ip_address, subnet_id: r.subnet_id }));
  const sgBy = group(sgs, (r) => r.port_id, (r) => r.security_group_id);
  for (const p of items) {
    p.fixed_ips = (ipBy.get(p.id as string) ?? []).sort((a, b) => (ipOrder(a.ip_address) < ipOrder(b.ip_address) ? -1 : 1));
    p.security_groups = (sgBy.get(p.id as string) ?? []).sort();
  }
  await loadTags(db, items);
}
