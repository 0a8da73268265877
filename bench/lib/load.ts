// The load itself, identical for cloudlet and neutron-server.
import type { Client } from './http.js';

export interface CreateStep {
  requests: number; // requests sent (2xx or not)
  ok: number; // 2xx answers among them: the rates count only these
  seconds: number;
  truncated: boolean; // stopped by the step deadline
}

export interface CreatePhase {
  label: string;
  concurrency: number;
  networks: string[]; // ids of networks that got their subnet
  netSubnet: CreateStep; // POST /v2.0/networks + POST /v2.0/subnets
  ports: CreateStep; // POST /v2.0/ports, 5 per network
}

export interface ReadResult {
  ok: number;
  failed: number;
  seconds: number;
}

export const PORTS_PER_NETWORK = 5;

/** Run `count` jobs on `concurrency` workers; no new job starts after `deadline`. */
async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  job: (i: number) => Promise<void>,
): Promise<CreateStep> {
  let next = 0;
  let started = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      started++;
      await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { requests: 0, ok: 0, seconds: (performance.now() - t0) / 1000, truncated: started < count };
}

/**
 * Phase: create n networks, each with one distinct 10.x.y.0/24 subnet, then 5 ports on each.
 * `block` keeps the CIDRs of the two phases apart (phase A: 10.0-99.*, phase B: 10.100-199.*).
 */
export async function createPhase(
  client: Client,
  label: string,
  prefix: string,
  n: number,
  concurrency: number,
  block: number,
  stepSeconds: number,
): Promise<CreatePhase> {
  const ids: (string | undefined)[] = new Array(n).fill(undefined);
  let sent = 0;
  let ok0 = client.ok;
  const netSubnet = await pool(n, concurrency, Date.now() + stepSeconds * 1000, async (i) => {
    sent++;
    const id = await client.create('networks', 'network', { name: `${prefix}-${i}`, admin_state_up: true });
    if (id === undefined) return;
    const cidr = `10.${block * 100 + (i >> 8)}.${i & 255}.0/24`;
    sent++;
    const sub = await client.create('subnets', 'subnet', {
      network_id: id,
      ip_version: 4,
      cidr,
      name: `${prefix}-${i}-v4`,
    });
    if (sub !== undefined) ids[i] = id;
  });
  netSubnet.requests = sent;
  netSubnet.ok = client.ok - ok0;
  ok0 = client.ok;
  const networks = ids.filter((x): x is string => x !== undefined);
  sent = 0;
  const ports = await pool(networks.length * PORTS_PER_NETWORK, concurrency, Date.now() + stepSeconds * 1000, async (j) => {
    const net = networks[Math.floor(j / PORTS_PER_NETWORK)];
    sent++;
    await client.create('ports', 'port', { network_id: net, name: `${prefix}-p${j}`, admin_state_up: true });
  });
  ports.requests = sent;
  ports.ok = client.ok - ok0;
  return { label, concurrency, networks, netSubnet, ports };
}

/** `concurrency` keep-alive workers GET path() in a loop until `seconds` have passed. */
export async function readLoop(
  client: Client,
  path: (i: number) => string,
  seconds: number,
  concurrency: number,
): Promise<ReadResult> {
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let i = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const r = await client.request('GET', path(i++));
      if (r.status >= 200 && r.status < 300) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // The last requests may end after the deadline (neutron: ~0.3 s or more each); divide by real time.
  return { ok, failed, seconds: (performance.now() - t0) / 1000 };
}

/** The ids GET /v2.0/networks lists (undefined if unreadable). */
async function listIds(client: Client): Promise<string[] | undefined> {
  const r = await client.request('GET', '/v2.0/networks?fields=id');
  try {
    const body = JSON.parse(r.body) as { networks?: { id: string }[] };
    return body.networks?.map((n) => n.id);
  } catch {
    return undefined;
  }
}

/** How many networks GET /v2.0/networks lists (a sanity check of the list size; -1 if unreadable). */
export async function countNetworks(client: Client): Promise<number> {
  return (await listIds(client))?.length ?? -1;
}

/** The networks the endpoint already has (none if unreadable). */
export async function networkIds(client: Client): Promise<string[]> {
  return (await listIds(client)) ?? [];
}
