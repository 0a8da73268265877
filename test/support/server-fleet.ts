// Several hosts on one machine for the multi-server e2e tests: a switch and host namespaces
// (the lab's topology, src/lab/plan.ts), real `cloudlet` processes started in them with
// nsenter (identity and network servers in the controller, L2 agents in the compute hosts),
// and the controller's APIs reached from the test through unix-socket forwarders (as
// `cloudlet lab` does). Everything it makes is listed and removed by cleanup().
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { applyStep, deleteMountNs, deleteNetns, netnsPath } from '../../src/host/linux/lab-links.js';
import { cmdlineOf, stopPids } from '../../src/host/linux/lab-processes.js';
import { ExecRunner } from '../../src/host/linux/runner.js';
import { NetnsRunner } from '../../src/host/linux/netns-runner.js';
import { plugPort } from '../../src/agent/plug.js';
import { forward } from '../../src/lab/forward.js';
import { LAB_RUN_DIR, mountNsPath, planTopology, teardownSteps, topologySteps, type LabHost, type LabStep, type LabTopology } from '../../src/lab/plan.js';
import { requireTool, type Backend } from './backends.js';
import { jsonCaller, type Reply } from './json-call.js';
import { requireBuiltCli, serve, type Served } from './cli.js';

export const ADMIN_PASSWORD = `fleet-${randomBytes(6).toString('hex')}`;
const IDENTITY_PORT = 35357;

export function requireFleetTools(): void {
  assert.equal(process.getuid?.(), 0, 'this test makes network namespaces and runs agents that change links: run it as root (CI does)');
  requireBuiltCli();
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['bridge', 'iproute2'], ['nsenter', 'util-linux']] as const) requireTool(cmd, pkg);
}

export interface FleetServer {
  name: string;
  /** inside the lab (what agents use): http://<controller>:<port> */
  url: string;
  port: number;
  /** null while it is down */
  proc: Served | null;
  /** JSON calls through the forwarder, from the test */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

export interface FleetAgent {
  kind: 'l2' | 'dhcp';
  host: LabHost;
  /** --log-level (info when unset) */
  logLevel?: string;
  servers: FleetServer[];
  config: string;
  proc: Served | null;
}

export class Fleet {
  readonly topology: LabTopology;
  readonly dir = mkdtempSync(join(tmpdir(), 'cloudlet-fleet-'));
  private readonly runner = new ExecRunner();
  private readonly made: LabStep[] = [];
  private readonly forwarders: net.Server[] = [];
  private readonly procs = new Set<Served>();
  private readonly instances: string[] = [];
  private fresh: Awaited<ReturnType<Backend['fresh']>> | undefined;
  readonly servers: FleetServer[] = [];
  readonly agents: FleetAgent[] = [];
  env: NodeJS.ProcessEnv = {};
  identity!: FleetServer;

  constructor(computeHosts: number) {
    this.topology = planTopology({ name: `fl${randomBytes(3).toString('hex')}`, hosts: computeHosts + 1, subnet: '10.98.0.0/24' });
  }

  /** the servers' data directory (agent-password, keys) */
  get dataDir(): string {
    return this.fresh!.dataDir;
  }

  get controller(): LabHost {
    return this.topology.hosts[0]!;
  }

  get computes(): LabHost[] {
    return this.topology.hosts.slice(1);
  }

  /**
   * The namespaces, a fresh database of `backend` and the identity service on it, in the
   * controller; `sections`: more of the servers' configuration (identity: {token_expiration}, …).
   */
  async start(backend: Backend, sections: { identity?: Record<string, unknown>; network?: Record<string, unknown> } = {}): Promise<void> {
    // traversable (not readable): dnsmasq, dropped to nobody, reads its files under state/
    chmodSync(this.dir, 0o711);
    for (const step of topologySteps(this.topology)) {
      this.made.push(step);
      await applyStep(this.runner, step);
    }
    this.fresh = await backend.fresh();
    const c = this.controller;
    if (this.fresh.databaseUrl) await this.databaseInController(new URL(this.fresh.databaseUrl));
    const home = join(this.dir, 'home');
    mkdirSync(home);
    this.env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', CLOUDLET_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD };
    // one configuration for every server: what an operator writes once for the controller
    writeFileSync(join(this.dir, 'cloudlet.yaml'), stringify({
      data_dir: this.fresh.dataDir,
      database_url: this.fresh.databaseUrl,
      identity: { host: c.address, port: IDENTITY_PORT, ...sections.identity },
      network: { host: c.address, ...sections.network },
    }), { mode: 0o600 });
    this.identity = await this.server('identity', IDENTITY_PORT);
  }

  /**
   * The test's PostgreSQL listens on the machine's loopback, which the controller's namespace
   * does not share: the same address inside the controller forwards to it (a database
   * elsewhere on the network, for the servers).
   */
  private async databaseInController(url: URL): Promise<void> {
    const sock = join(this.dir, 'postgres.sock');
    this.forwarders.push(await forward({ kind: 'unix', path: sock }, { kind: 'tcp', host: url.hostname, port: Number(url.port || 5432) }));
    await this.spawn(this.controller, ['lab', 'forward', `tcp:${url.hostname}:${url.port || 5432}=unix:${sock}`], /^/);
    // the forwarder listens before it says anything: poll the address from inside
    for (const end = Date.now() + 10_000; ; ) {
      const r = await this.runner.run({ argv: ['nsenter', `--net=${netnsPath(this.controller.netns)}`, 'bash', '-c', `exec 3<>/dev/tcp/${url.hostname}/${url.port || 5432}`], okCodes: [0, 1] });
      if (r.code === 0) break;
      assert.ok(Date.now() < end, 'the database forwarder in the controller does not answer');
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** the network servers' ports inside the controller: 9696, 9697, … */
  async addNetworkServer(): Promise<FleetServer> {
    const s = await this.server(`network${this.servers.length + 1}`, 9696 + this.servers.length);
    this.servers.push(s);
    return s;
  }

  private async server(name: string, port: number): Promise<FleetServer> {
    // the test reaches the controller's address through a unix socket (filesystem sockets cross namespaces)
    const sock = join(this.dir, `${name}.sock`);
    await this.spawn(this.controller, ['lab', 'forward', `unix:${sock}=tcp:${this.controller.address}:${port}`], /^/);
    for (const end = Date.now() + 10_000; !existsSync(sock); ) {
      assert.ok(Date.now() < end, `the forwarder to ${name} made no ${sock}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const outside = await forward({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: sock });
    this.forwarders.push(outside);
    const addr = outside.address() as net.AddressInfo;
    const s: FleetServer = { name, port, url: `http://${this.controller.address}:${port}`, proc: null, call: jsonCaller(`http://127.0.0.1:${addr.port}`) };
    await this.startServer(s);
    return s;
  }

  /** starts (or restarts) a server on its port */
  async startServer(s: FleetServer): Promise<void> {
    const args = s.name === 'identity'
      ? ['identity', 'serve', '--config', join(this.dir, 'cloudlet.yaml'), '--log-format', 'json']
      : ['network', 'serve', '--config', join(this.dir, 'cloudlet.yaml'), '--port', String(s.port), '--log-format', 'json'];
    s.proc = await this.spawn(this.controller, args, s.name === 'identity' ? /identity API listening/ : /network API listening/);
  }

  /** stops one process spawn() started */
  async stop(p: Served): Promise<void> {
    await p.stop();
    this.procs.delete(p);
  }

  /** kill -9 */
  async kill(s: FleetServer | FleetAgent): Promise<void> {
    const p = s.proc;
    if (!p) return;
    s.proc = null;
    const gone = new Promise((r) => p.child.once('exit', r));
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await gone;
    this.procs.delete(p);
  }

  /**
   * SIGKILL to an agent and, at the same moment, to every process it started (an `ip -batch`
   * at work): what systemd's stop of a service's control group does, or the machine losing power.
   */
  async killTree(a: FleetAgent): Promise<void> {
    const p = a.proc;
    if (!p?.child.pid) return;
    const pids = [p.child.pid, ...descendants(p.child.pid)];
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended by itself meanwhile
      }
    }
    await this.kill(a);
  }

  /** where a host's agents keep their files (the DHCP agent's per network: <dir>/<network id>/host …) */
  stateDir(host: LabHost): string {
    return join(this.dir, 'state', host.name);
  }

  /**
   * An agent of a host (L2 unless `kind` says dhcp), its config listing `servers` in that
   * order; `mappings`: its physical_interface_mappings.
   */
  async addAgent(host: LabHost, servers: FleetServer[], opts: { reportInterval?: number; kind?: 'l2' | 'dhcp'; mappings?: Record<string, string>; logLevel?: string } = {}): Promise<FleetAgent> {
    const kind = opts.kind ?? 'l2';
    const config = join(this.dir, `${host.name}-${kind}.yaml`);
    writeFileSync(config, stringify({
      agent: {
        server: servers.map((s) => s.url).join(','),
        auth_url: `${this.identity.url}/v3`,
        username: 'cloudlet-agent',
        password_file: join(this.fresh!.dataDir, 'agent-password'),
        report_interval: opts.reportInterval ?? 2,
        state_dir: this.stateDir(host),
      },
      l2: { local_ip: host.address, physical_interface_mappings: opts.mappings ?? {} },
    }), { mode: 0o600 });
    const a: FleetAgent = { kind, host, servers, config, proc: null, logLevel: opts.logLevel };
    this.agents.push(a);
    await this.startAgent(a);
    return a;
  }

  async startAgent(a: FleetAgent): Promise<void> {
    // a DHCP agent in the host's mount namespace too: its qdhcp- namespaces in the host's own /run/netns
    a.proc = await this.spawn(a.host, ['agent', a.kind, '--host', a.host.name, '--config', a.config, '--log-format', 'json', '--log-level', a.logLevel ?? 'info'], /agent started/, a.kind === 'dhcp');
  }

  /** `cloudlet ARGS` in a host's network namespace (and its mount namespace: `mount`), once its output matches `ready`; stopped by cleanup() */
  async spawn(h: LabHost, args: string[], ready: RegExp, mount = false): Promise<Served> {
    const ns = [`--net=${netnsPath(h.netns)}`, ...(mount ? [`--mount=${mountNsPath(this.topology.name, h.name)}`] : [])];
    const p = await serve(args, this.env, { prefix: ['nsenter', ...ns], ready });
    this.procs.add(p);
    return p;
  }

  /** an instance on host `h` behind a port: a namespace of the machine (removed by cleanup()) wired as `cloudlet port plug` wires it */
  async plug(h: LabHost, port: { id: string; mac_address: string }, mtu: number): Promise<string> {
    const ns = `${this.topology.name}-vm${this.instances.length}`;
    await this.runner.run({ argv: ['ip', 'netns', 'add', ns] });
    this.instances.push(ns);
    await plugPort(new NetnsRunner(this.runner, h.netns), { portId: port.id, mac: port.mac_address, mtu, netns: ns });
    return ns;
  }

  /** busybox udhcpc in an instance: the address it was offered and leased, or the client's output when none */
  async lease(ns: string): Promise<{ ip: string } | { error: string }> {
    const r = await this.runner.run({ argv: ['busybox', 'udhcpc', '-i', 'eth0', '-q', '-n', '-t', '10', '-T', '1', '-s', '/bin/true'], netns: ns, okCodes: [0, 1] });
    const ip = /lease of (\S+) obtained/.exec(r.stdout + r.stderr)?.[1];
    return ip ? { ip } : { error: `exit ${r.code}: ${r.stdout}${r.stderr}` };
  }

  /** the dnsmasqs of this fleet's DHCP agents: pid, host and network (their --pid-file=<dir>/state/<host>/<network>/pid) */
  dnsmasqs(): Array<{ pid: number; host: string; network: string }> {
    const out: Array<{ pid: number; host: string; network: string }> = [];
    const prefix = `--pid-file=${join(this.dir, 'state')}/`;
    for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      const argv = cmdlineOf(Number(e))?.split('\0') ?? [];
      const m = argv[0]?.endsWith('dnsmasq') ? argv.find((a) => a.startsWith(prefix))?.slice(prefix.length).match(/^([^/]+)\/([0-9a-f-]{36})\/pid$/) : null;
      if (m) out.push({ pid: Number(e), host: decodeURIComponent(m[1]!), network: m[2]! });
    }
    return out;
  }

  /** the last lines a process wrote (for assertion messages) */
  static tail(p: Served | null, lines = 20): string {
    return p ? p.out().trimEnd().split('\n').slice(-lines).join('\n') : '(not running)';
  }

  /** every process, forwarder, namespace, file and the database; never throws (FLEET_LOGS=DIR keeps the running processes' output there) */
  async cleanup(): Promise<void> {
    if (process.env.FLEET_LOGS) for (const p of this.procs) writeFileSync(join(process.env.FLEET_LOGS, `${p.child.pid}.log`), p.out());
    for (const p of [...this.procs].reverse()) {
      // one a test froze (SIGSTOP) would see SIGINT only once continued
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGCONT');
      await p.stop().catch(() => undefined);
    }
    for (const f of this.forwarders) f.close();
    // the DHCP agents' dnsmasqs (daemons: a stopped agent leaves them serving), known by their pid file under our dir
    await stopPids(this.dnsmasqs().map((d) => d.pid), false).catch(() => undefined);
    for (const ns of this.instances) await deleteNetns(this.runner, ns).catch(() => undefined);
    for (const step of teardownSteps(this.made)) {
      if (step.kind === 'netns') await deleteNetns(this.runner, step.name).catch(() => undefined);
      if (step.kind === 'mntns') await deleteMountNs(this.runner, step.path).catch(() => undefined);
    }
    // the pinned mount namespaces' directory, once nothing is mounted under it (never rm through a mount)
    const run = join(LAB_RUN_DIR, this.topology.name);
    if (!readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1]?.startsWith(`${run}/`))) rmSync(run, { recursive: true, force: true });
    await this.fresh?.cleanup().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** the pids below `pid` (children, their children …), from /proc */
function descendants(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // the fields after the command name, which is in parentheses and may hold anything
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let todo = [pid]; todo.length; ) {
    const kids = todo.flatMap((p) => parent.get(p) ?? []);
    out.push(...kids);
    todo = kids;
  }
  return out;
}
