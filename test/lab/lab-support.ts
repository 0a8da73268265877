// A lab for the data-plane e2e tests: `cloudlet lab up` under a unique name, temp HOME and
// free ports, removed after the test even when it fails; the API through its clouds.yaml
// entry; instances (namespaces on the machine) plugged on a lab host; a look into each
// host's kernel, the controller's private /run/netns included.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { requireTool } from '../support/backends.js';
import { cloudlet, exec, freePort, requireBuiltCli, type Run } from '../support/cli.js';
import { readState } from '../../src/lab/state.js';
import { labStateDir } from '../../src/lab/processes.js';
import { passwordToken } from '../../src/lab/ready.js';

// udhcpc runs this with the lease in its environment: put it on the interface, and keep the environment for the test
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    env > "$LEASE_ENV"
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
    ;;
esac
exit 0
`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** polls until `probe` returns something other than undefined; the last failure in the message */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = `: ${(err as Error).message}`;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last}`);
    await sleep(200);
  }
}

export function requireLabTools(): void {
  assert.equal(process.getuid?.(), 0, 'the lab tests make network namespaces: run them as root');
  requireBuiltCli();
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['bridge', 'iproute2'], ['nsenter', 'util-linux'], ['unshare', 'util-linux'], ['busybox', 'busybox-static'], ['openstack', 'python3-openstackclient'], ['dnsmasq', 'dnsmasq-base']]) requireTool(cmd!, pkg!);
}

export interface Link {
  ifindex: number;
  ifname: string;
  master?: string;
  mtu: number;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
}

export interface Lease {
  ip: string;
  mask: string;
  router?: string;
  mtu?: string;
  [k: string]: string | undefined;
}

export type Lab = Awaited<ReturnType<typeof labUp>>;

/** `cloudlet lab up --hosts N`, with everything it and the test make removed after the test */
export async function labUp(t: { after(fn: () => unknown): void }, hosts = 3) {
  requireLabTools();
  const name = `t${randomBytes(3).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-lab-home-'));
  const dir = join(mkdtempSync(join(tmpdir(), 'cloudlet-lab-')), name);
  const script = join(home, 'udhcpc-apply');
  writeFileSync(script, UDHCPC_SCRIPT);
  chmodSync(script, 0o755);
  const entry = `cloudlet-${name}`;
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', OS_CLOUD: entry };
  const vms: string[] = [];
  t.after(async () => {
    // CLOUDLET_LAB_KEEP_LOGS=DIR keeps the lab's logs there, for a failure's post-mortem
    if (process.env.CLOUDLET_LAB_KEEP_LOGS && existsSync(join(dir, 'logs'))) cpSync(join(dir, 'logs'), join(process.env.CLOUDLET_LAB_KEEP_LOGS, name), { recursive: true });
    await cloudlet(['lab', 'down', '--name', name], env);
    for (const ns of [...vms, ...(existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((n) => n.startsWith(`${name}-`))]) await exec('ip', ['netns', 'delete', ns], env);
    rmSync(home, { recursive: true, force: true });
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
  const ports = { identity: await freePort(), network: await freePort(), registry: await freePort() };
  const flags = ['--identity-port', String(ports.identity), '--network-port', String(ports.network), '--registry-port', String(ports.registry)];
  const up = await cloudlet(['lab', 'up', '--hosts', String(hosts), '--name', name, '--dir', dir, ...flags], env);
  assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);

  const cloud = (parse(readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8')) as { clouds: Record<string, { auth: { password: string } }> }).clouds[entry]!;
  const identity = `http://127.0.0.1:${ports.identity}/v3`;
  const network = `http://127.0.0.1:${ports.network}`;
  let token = await passwordToken(identity, 'admin', cloud.auth.password, 'admin');

  /** the network API as admin; a non-2xx answer fails unless `expect` names it */
  const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect?: number): Promise<T> => {
    const res = await fetch(`${network}/v2.0${path}`, { method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    if (expect !== undefined) assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${text}`);
    else assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
  /** the openstack client through the lab's clouds.yaml entry, -f json */
  const os = async <T = Record<string, unknown>>(args: string[]): Promise<T> => {
    const r = await exec('openstack', [...args, '-f', 'json'], env);
    assert.equal(r.code, 0, `openstack ${args.join(' ')}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  const netnsOf = (host: string) => `${name}-${host}`;
  const sh = async (argv: string[], ok = true): Promise<Run> => {
    const r = await exec(argv[0]!, argv.slice(1), env);
    if (ok) assert.equal(r.code, 0, `${argv.join(' ')}:\n${r.stdout}${r.stderr}`);
    return r;
  };
  const links = async (host: string): Promise<Link[]> => JSON.parse((await sh(['ip', '-n', netnsOf(host), '-d', '-j', 'link', 'show'])).stdout) as Link[];
  /** `bridge fdb show dev DEV` in a host: the static entries the agent wrote (MAC → VTEP) */
  const fdb = async (host: string, dev: string): Promise<Array<{ mac: string; dst?: string }>> => {
    const r = await sh(['ip', 'netns', 'exec', netnsOf(host), 'bridge', '-j', 'fdb', 'show', 'dev', dev]);
    return (JSON.parse(r.stdout) as Array<{ mac: string; dst?: string; flags?: string[] }>).filter((e) => e.dst !== undefined);
  };
  /** argv in the controller's network and mount namespace: its private /run/netns (the qdhcp- namespaces) */
  const inController = async (argv: string[], ok = true): Promise<Run> => {
    const osad = readState(name)!.processes.find((p) => p.name === 'osad')!;
    return sh(['nsenter', `--mount=/proc/${osad.pid}/ns/mnt`, `--net=/proc/${osad.pid}/ns/net`, ...argv], ok);
  };

  /** an instance: a namespace on the machine, removed after the test */
  const instance = async (vm: string) => {
    const ns = `${name}${vm}`;
    vms.push(ns);
    await sh(['ip', 'netns', 'add', ns]);
    return ns;
  };
  /** `cloudlet port plug --host HOST PORT --netns NS --wait 30` */
  const plug = async (host: string, portId: string, ns: string, wait = true) => {
    const r = await cloudlet(['port', 'plug', '--host', host, portId, '--netns', ns, ...(wait ? ['--wait', '30'] : [])], env);
    assert.equal(r.code, 0, `port plug ${portId} on ${host}:\n${r.stdout}${r.stderr}`);
  };
  /** a DHCP lease with busybox udhcpc, the environment it gave its script */
  const lease = async (ns: string): Promise<Lease> => {
    const file = join(home, `lease-${ns}`);
    const r = await sh(['ip', 'netns', 'exec', ns, 'env', `LEASE_ENV=${file}`, 'busybox', 'udhcpc', '-i', 'eth0', '-q', '-n', '-t', '10', '-T', '1', '-O', 'mtu', '-s', script], false);
    assert.equal(r.code, 0, `${ns} got no lease:\n${r.stdout}${r.stderr}`);
    return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) as Lease;
  };
  /** busybox ping: whether `to` answered */
  const ping = async (ns: string, to: string, count = 1): Promise<boolean> => (await sh(['ip', 'netns', 'exec', ns, 'busybox', 'ping', '-c', String(count), '-W', '1', to], false)).code === 0;

  /** network id → pid of the dnsmasq the controller's DHCP agent runs for it (by its --pid-file under the lab dir) */
  const dnsmasqs = (): Map<string, number> => {
    const out = new Map<string, number>();
    for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0');
      } catch {
        continue;
      }
      const pidFile = argv[0]?.endsWith('dnsmasq') ? argv.find((a) => a.startsWith(`--pid-file=${dir}/`)) : undefined;
      const net = pidFile?.match(/state\/osad\/([0-9a-f-]{36})\/pid$/)?.[1];
      if (net) out.set(net, Number(e));
    }
    return out;
  };
  /** the DHCP agent's files for a network: <lab dir>/state/osad/<network id>/ (src/lab/processes.ts labStateDir) */
  const dhcpDir = (networkId: string) => join(labStateDir(dir, 'osad'), networkId);

  return { name, dir, home, env, entry, api, dnsmasqs, dhcpDir, os, sh, links, fdb, inController, instance, plug, lease, ping, netnsOf, renewToken: async () => (token = await passwordToken(identity, 'admin', cloud.auth.password, 'admin')) };
}

export interface Port {
  id: string;
  mac_address: string;
  status: string;
  fixed_ips: Array<{ ip_address: string; subnet_id: string }>;
}

export const bridgeOf = (networkId: string): string => `brq${networkId.slice(0, 11)}`;
export const tapOf = (portId: string): string => `tap${portId.slice(0, 11)}`;
