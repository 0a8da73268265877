// The three measurements of bench:dataplane, the same on either data plane.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plugPort } from '../../src/agent/plug.js';
import { ExecRunner } from '../../src/host/linux/runner.js';
import { addNetns, delNetns, leaseWithin, networksWithoutDnsmasq, plugMany, tapOf, tapsWired } from './dataplane-kernel.js';
import type { DataPlane } from './dataplane-systems.js';

const runner = new ExecRunner();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function call(sys: DataPlane, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${sys.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...sys.headers() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${sys.name}: ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Json) : {};
}

/** polls `done` every 100 ms; resolves the seconds it took, or throws after `timeoutS` naming `what` */
async function until(done: () => boolean | Promise<boolean>, timeoutS: number, what: () => string): Promise<number> {
  const t0 = performance.now();
  while (!(await done())) {
    if (performance.now() - t0 > timeoutS * 1000) throw new Error(`not converged after ${timeoutS} s: ${what()}`);
    await sleep(100);
  }
  return (performance.now() - t0) / 1000;
}

async function network(sys: DataPlane, name: string, cidr: string): Promise<{ id: string; mtu: number }> {
  // port security off: neither side filters here (cloudlet has no ARP-spoofing or security group
  // rules yet), and Neutron's linuxbridge agent would otherwise also write ebtables rules per port
  const net = (await call(sys, 'POST', '/v2.0/networks', { network: { name, port_security_enabled: false } })).network;
  createdNetworks.add(net.id);
  await call(sys, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4, name } });
  return { id: net.id as string, mtu: (net.mtu as number) || 1450 };
}

const port = async (sys: DataPlane, networkId: string, name: string): Promise<Json> =>
  (await call(sys, 'POST', '/v2.0/ports', { port: { network_id: networkId, name, 'binding:host_id': sys.host } })).port;

/** every network made, whose bridges, qdhcp- namespaces and dnsmasq the benchmark removes at the end */
export const createdNetworks = new Set<string>();

/** namespaces of the instances that exist now: the benchmark's to delete, also on failure */
export const instanceNamespaces = new Set<string>();
export async function removeInstances(): Promise<void> {
  for (const ns of [...instanceNamespaces]) {
    await delNetns(ns);
    instanceNamespaces.delete(ns);
  }
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

export interface LeaseResult {
  p50: number;
  p95: number;
  max: number;
  samples: number[];
  wrongAddress: number;
}

/** (a): POST /v2.0/ports (bound to the agents' host) + plug, until a DHCP lease inside the instance; `n` in a row */
export async function leaseLatency(sys: DataPlane, n: number, tag: string, log: (s: string) => void): Promise<LeaseResult> {
  const net = await network(sys, `dp-a-${tag}`, '10.250.0.0/22');
  await until(() => networksWithoutDnsmasq([net.id]).length === 0, 180, () => `no dnsmasq for ${net.id}`);
  const samples: number[] = [];
  const ports: string[] = [];
  let wrongAddress = 0;
  for (let i = 0; i < n; i++) {
    const ns = `dpa${tag}${i}`;
    await addNetns(ns);
    instanceNamespaces.add(ns);
    const t0 = performance.now();
    const p = await port(sys, net.id, `dp-a-${tag}-${i}`);
    ports.push(p.id);
    await plugPort(runner, { portId: p.id, mac: p.mac_address, mtu: net.mtu, netns: ns });
    const ip = await leaseWithin(ns, 'eth0', 120_000);
    samples.push((performance.now() - t0) / 1000);
    if (ip !== p.fixed_ips[0].ip_address) wrongAddress++;
    if (i % 10 === 9) log(`${sys.name}: (a) ${i + 1}/${n} leases, last ${samples[i]!.toFixed(2)} s`);
  }
  await removeInstances();
  for (const id of ports) await call(sys, 'DELETE', `/v2.0/ports/${id}`);
  await call(sys, 'DELETE', `/v2.0/networks/${net.id}`);
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples), samples, wrongAddress };
}

export interface Fleet {
  networks: string[];
  /** [port id, network id] of the instances' ports */
  ports: Array<[string, string]>;
  setupSeconds: number;
}

/** (b)'s fleet: `nets` networks with a /24 each, `perNet` ports each bound to the host and plugged (one namespace per network) */
export async function buildFleet(sys: DataPlane, nets: number, perNet: number, tag: string, log: (s: string) => void): Promise<Fleet> {
  const t0 = performance.now();
  const fleet: Fleet = { networks: [], ports: [], setupSeconds: 0 };
  for (let i = 0; i < nets; i++) {
    const net = await network(sys, `dp-b-${tag}-${i}`, `10.251.${i}.0/24`);
    fleet.networks.push(net.id);
    const ns = `dpb${tag}${i}`;
    await addNetns(ns);
    instanceNamespaces.add(ns);
    // one bulk create per network (what is timed is the restart, not the making); then their plugs in one go
    const body = { ports: Array.from({ length: perNet }, (_, j) => ({ network_id: net.id, name: `dp-b-${tag}-${i}-${j}`, 'binding:host_id': sys.host })) };
    const made = (await call(sys, 'POST', '/v2.0/ports', body)).ports as Json[];
    await plugMany(ns, net.mtu, made.map((p) => ({ id: p.id, mac: p.mac_address })), join(tmpdir(), `dataplane-${tag}.batch`));
    for (const p of made) fleet.ports.push([p.id, net.id]);
    if (i % 10 === 9) log(`${sys.name}: (b) ${i + 1}/${nets} networks made and plugged`);
  }
  rmSync(join(tmpdir(), `dataplane-${tag}.batch`), { force: true });
  const ids = new Set(fleet.ports.map(([p]) => p));
  const wired = (): boolean => tapsWired(fleet.ports) === fleet.ports.length && networksWithoutDnsmasq(fleet.networks).length === 0;
  let active = 0;
  await until(
    async () => {
      if (!wired()) return false;
      const all = (await call(sys, 'GET', '/v2.0/ports?fields=id&fields=status')).ports as Json[];
      active = all.filter((p) => ids.has(p.id) && p.status === 'ACTIVE').length;
      return active === ids.size;
    },
    1800,
    () => `${tapsWired(fleet.ports)}/${fleet.ports.length} taps wired, ${active} ACTIVE, ${networksWithoutDnsmasq(fleet.networks).length} networks without dnsmasq`,
  );
  fleet.setupSeconds = (performance.now() - t0) / 1000;
  return fleet;
}

/** (b): agents started; seconds until both say they synced, every tap is in its bridge and every network has its dnsmasq */
export async function converge(sys: DataPlane, fleet: Fleet): Promise<number> {
  const taps = fleet.ports.map(([p]) => tapOf(p));
  const t0 = performance.now();
  await sys.startAgents();
  await until(
    () => sys.agentsSynced(taps) && tapsWired(fleet.ports) === fleet.ports.length && networksWithoutDnsmasq(fleet.networks).length === 0,
    1800,
    () => `synced ${sys.agentsSynced(taps)}, ${tapsWired(fleet.ports)}/${fleet.ports.length} taps wired, ${networksWithoutDnsmasq(fleet.networks).length} networks without dnsmasq`,
  );
  return (performance.now() - t0) / 1000;
}

/** summed VmRSS of `pids()` every 200 ms; peak and last */
export class PidsRss {
  peakMiB = 0;
  lastMiB = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly pids: () => number[]) {}
  sample(): number {
    let kib = 0;
    for (const p of this.pids()) {
      try {
        const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        kib += m ? Number(m[1]) : 0;
      } catch {
        /* gone */
      }
    }
    this.lastMiB = kib / 1024;
    this.peakMiB = Math.max(this.peakMiB, this.lastMiB);
    return this.lastMiB;
  }
  start(): this {
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
    return this;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMiB;
  }
}
