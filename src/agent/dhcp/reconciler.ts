// The DHCP agent's reconciler: per network with a DHCP-enabled subnet, a qdhcp- namespace
// wired through the agent's DHCP port, dnsmasq's files and one dnsmasq, as Neutron's DHCP
// agent with the Dnsmasq driver and the linuxbridge interface driver. Files are rewritten
// only when their content changes; a change is a SIGHUP, batched over bursts; a changed
// command line (MTU, subnets) or a dead dnsmasq is a restart.
import type { Logger } from '../../common/logging.js';
import { Dnsmasq, procTable, type ProcessTable } from '../../host/linux/dnsmasq.js';
import { hostVeths, listNamespaces, namespaceLinks, namespaceState, namespacesState, type NsLink, type NsState } from '../../host/linux/netns.js';
import type { Runner } from '../../host/linux/runner.js';
import { dhcpNamespace, type HostState, type NetworkState, type PortState } from '../protocol.js';
import type { Reconciler } from '../reconciler.js';
import { dhcpSubnets, dnsmasqArgs, networkFiles, type NetworkFiles } from './dnsmasq-args.js';
import { addnHostsFile, hostsFile, optsFile } from './files.js';
import { desiredInterface, planInterface, planTeardown } from './interface-plan.js';
import { ReloadBatcher } from './reload-batcher.js';
import { ensureDir, isNetworkId, ownedNetworkIds, readText, removeNetworkDir, unreachableByOthers, writeIfChanged } from './state-files.js';

export interface DhcpConfig {
  /** one directory per network, as Neutron's /var/lib/neutron/dhcp/<network id>/ */
  stateDir: string;
  /** default 'dnsmasq' (looked up in PATH) */
  dnsmasqPath?: string;
  /** --domain when the network has no dns_domain; default 'openstacklocal' (Neutron's dns_domain) */
  dnsDomain?: string;
  /** seconds, -1 infinite; default 86400 (Neutron's dhcp_lease_duration) */
  leaseDuration?: number;
  /** the first change after a quiet spell is reloaded at once; in a burst a SIGHUP waits this long for quiet; default 100 ms */
  reloadDelayMs?: number;
  /** and never longer than this after the first change; default 1000 ms */
  reloadMaxDelayMs?: number;
  /** how often dead dnsmasqs are looked for between reconciles (Neutron's check_child_processes_interval); default 10 s, 0 off */
  checkIntervalMs?: number;
}

/** what the agent did to dnsmasq processes and files since it started (tests assert on these) */
export interface DhcpCounters {
  starts: number;
  restarts: number;
  reloads: number;
  stops: number;
  fileWrites: number;
}

/** what a network needs that the periodic check may use again */
interface Served {
  net: NetworkState;
  files: NetworkFiles;
  args: string[];
}

const DHCP_OWNER = 'network:dhcp';
const NETWORKS_AT_ONCE = 4;
/** from this many namespaces on, they are read together (two programs) rather than one by one */
const READ_ALL_FROM = 2;

/** `fn` over `items`, at most `limit` at a time */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class DhcpReconciler implements Reconciler {
  readonly agentType = 'DHCP agent' as const;
  readonly binary = 'neutron-dhcp-agent';
  readonly topic = 'dhcp_agent';
  readonly counters: DhcpCounters = { starts: 0, restarts: 0, reloads: 0, stops: 0, fileWrites: 0 };

  private readonly dnsmasq: Dnsmasq;
  private readonly reloads: ReloadBatcher;
  private readonly served = new Map<string, Served>();
  /** DHCP ports the server answered, for networks whose state does not list them yet */
  private readonly dhcpPorts = new Map<string, PortState>();
  private queue: Promise<unknown> = Promise.resolve();
  private checkTimer: NodeJS.Timeout | null = null;
  /** --user for dnsmasq: unset (it drops to nobody) unless nobody cannot reach the state directory */
  private dnsmasqUser: string | undefined | null = null;

  constructor(
    private readonly runner: Runner,
    private readonly cfg: DhcpConfig,
    private readonly log: Logger,
    private readonly ensureDhcpPort: (networkId: string) => Promise<PortState>,
    procs: ProcessTable = procTable,
  ) {
    this.dnsmasq = new Dnsmasq(runner, procs);
    const fire = (ids: string[]) => this.serial(() => this.reload(ids)).catch((err: unknown) => this.log.error({ err }, 'dnsmasq reload failed'));
    this.reloads = new ReloadBatcher(fire, cfg.reloadDelayMs ?? 100, cfg.reloadMaxDelayMs ?? 1000);
  }

  reconcile(state: HostState, opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }> {
    return this.serial(async () => {
      this.startChecks();
      await this.apply(state, opts);
      // DHCP ports go up when the L2 agent wires their tap
      return { up: [], down: [] };
    });
  }

  configurations(): Record<string, unknown> {
    let ports = 0;
    let subnets = 0;
    for (const { net } of this.served.values()) {
      ports += net.ports.length;
      subnets += dhcpSubnets(net).length;
    }
    return {
      dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq',
      dhcp_lease_duration: this.cfg.leaseDuration ?? 86400,
      log_agent_heartbeats: false,
      networks: this.served.size,
      ports,
      subnets,
    };
  }

  /** send the SIGHUPs that are waiting for their burst to end, now */
  flushReloads(): Promise<void> {
    return this.reloads.flush();
  }

  /** the reloads not sent yet */
  get pendingReloads(): number {
    return this.reloads.size;
  }

  /** sends pending reloads and stops the timers; dnsmasqs keep running */
  async close(): Promise<void> {
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.checkTimer = null;
    await this.reloads.flush();
    this.reloads.stop();
    await this.queue.catch(() => undefined);
  }

  /** one reconcile, reload or check at a time */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private startChecks(): void {
    const every = this.cfg.checkIntervalMs ?? 10_000;
    if (this.checkTimer || every <= 0) return;
    this.checkTimer = setInterval(() => {
      this.serial(() => this.restartDead()).catch((err: unknown) => this.log.error({ err }, 'dnsmasq check failed'));
    }, every);
    this.checkTimer.unref();
  }

  private async apply(state: HostState, opts: { partial: boolean; networkIds?: string[] }): Promise<void> {
    if (this.dnsmasqUser === null) {
      await ensureDir(this.cfg.stateDir);
      const blocked = await unreachableByOthers(this.cfg.stateDir);
      // a state directory under a private one (a root home, a mktemp directory): dnsmasq
      // dropping to nobody would serve nothing, so it keeps root
      if (blocked) this.log.warn({ state_dir: this.cfg.stateDir }, `dnsmasq runs as root: ${blocked} keeps nobody out of the DHCP state directory; choose one every user can traverse (agent.state_dir, --state-dir; --agent-state-dir of up) to let it drop privileges`);
      this.dnsmasqUser = blocked ? 'root' : undefined;
    }
    const wanted = state.networks.filter((n) => n.admin_state_up && dhcpSubnets(n).length > 0);
    const wantedIds = new Set(wanted.map((n) => n.id));
    const namespaces = new Set(await listNamespaces(this.runner));
    const present = wanted.map((n) => dhcpNamespace(n.id)).filter((ns) => namespaces.has(ns));
    const read = present.length >= READ_ALL_FROM ? await namespacesState(this.runner, present) : undefined;
    const errors: unknown[] = [];
    // networks are independent: a few at a time keep both cores busy with ip and dnsmasq
    await eachLimited(wanted, NETWORKS_AT_ONCE, async (net) => {
      try {
        await this.ensureNetwork(net, state.host, namespaces, read?.get(dhcpNamespace(net.id)));
      } catch (err) {
        this.log.error({ err, network_id: net.id }, 'DHCP setup failed');
        errors.push(err);
      }
    });
    // what this agent made (a state directory) and no longer serves
    const owned = new Set(await ownedNetworkIds(this.cfg.stateDir));
    const candidates = opts.partial ? [...(opts.networkIds ?? []), ...state.networks.map((n) => n.id)] : owned;
    const gone = [...new Set(candidates)].filter((id) => !wantedIds.has(id) && isNetworkId(id) && owned.has(id));
    await eachLimited(gone, NETWORKS_AT_ONCE, async (id) => {
      try {
        await this.removeNetwork(id, namespaces);
      } catch (err) {
        this.log.error({ err, network_id: id }, 'DHCP teardown failed');
        errors.push(err);
      }
    });
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `DHCP: ${errors.length} networks failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
  }

  /** the agent's DHCP port on `net`: from the state, else from the server (once, then cached) */
  private async dhcpPort(net: NetworkState, host: string): Promise<PortState> {
    const need = dhcpSubnets(net).map((s) => s.id);
    const complete = (p: PortState | undefined): p is PortState => !!p && need.every((id) => p.fixed_ips.some((f) => f.subnet_id === id));
    const listed = net.ports.find((p) => p.device_owner === DHCP_OWNER && p.host === host);
    if (complete(listed)) return listed;
    const cached = this.dhcpPorts.get(net.id);
    if (complete(cached)) return cached;
    // made, or given an address on a new subnet, by the server
    const port = await this.ensureDhcpPort(net.id);
    this.dhcpPorts.set(net.id, port);
    return port;
  }

  /** `read`: the namespace as read with the others at the start of this reconcile, if it was */
  private async ensureNetwork(net: NetworkState, host: string, namespaces: Set<string>, read?: NsState): Promise<void> {
    const port = await this.dhcpPort(net, host);
    // the DHCP port is a host of the files too (Neutron lists every port)
    const withPort = net.ports.some((p) => p.id === port.id) ? net : { ...net, ports: [...net.ports, port] };
    const files = networkFiles(this.cfg.stateDir, net.id);
    await ensureDir(files.dir);

    const want = desiredInterface(withPort, port);
    const exists = namespaces.has(want.ns);
    const { links: nsLinks, routes } = exists ? (read ?? (await namespaceState(this.runner, want.ns))) : { links: [], routes: [] };
    const hasDev = nsLinks.some((l) => l.name === want.nsDev);
    const hostTap = await this.hostTap(want.tap, !hasDev);
    const steps = planInterface(want, { namespaceExists: exists, nsLinks, hostTap, routes });
    // recorded before it is made: a teardown finds the tap even if this stops half-way
    await writeIfChanged(files.interface, want.nsDev);
    for (const cmd of steps) await this.runner.run(cmd);
    if (steps.length > 0) this.log.info({ network_id: net.id, steps: steps.length }, 'DHCP interface wired');
    namespaces.add(want.ns);

    const domain = (net.dns_domain || this.cfg.dnsDomain || 'openstacklocal').replace(/\.$/, '');
    let changed = false;
    for (const [path, content] of [
      [files.host, hostsFile(withPort, domain)],
      [files.addnHosts, addnHostsFile(withPort, domain)],
      [files.opts, optsFile(withPort, domain)],
    ] as const) {
      if (await writeIfChanged(path, content)) {
        changed = true;
        this.counters.fileWrites++;
      }
    }

    const args = dnsmasqArgs(withPort, files, { interfaceName: want.nsDev, domain, leaseDuration: this.cfg.leaseDuration ?? 86400, user: this.dnsmasqUser ?? undefined });
    this.served.set(net.id, { net: withPort, files, args });
    await this.ensureDnsmasq(net.id, changed);
  }

  /** the host end of the pair, read only when the namespace end is missing (a half-made pair) */
  private async hostTap(tap: string, needed: boolean): Promise<NsLink | null> {
    if (!needed) return null;
    return (await hostVeths(this.runner)).find((l) => l.name === tap) ?? null;
  }

  private async ensureDnsmasq(networkId: string, filesChanged: boolean): Promise<void> {
    const s = this.served.get(networkId);
    if (!s) return;
    const program = this.cfg.dnsmasqPath ?? 'dnsmasq';
    const proc = await this.dnsmasq.find(s.files.pid);
    if (proc && sameArgs(proc.argv.slice(1), s.args)) {
      if (filesChanged) this.reloads.request(networkId);
      return;
    }
    this.reloads.cancel(networkId);
    if (proc) {
      // a new command line (MTU, subnets, domain) takes a restart
      await this.dnsmasq.stop(proc, s.files.pid);
      this.counters.restarts++;
      this.log.info({ network_id: networkId, pid: proc.pid }, 'dnsmasq restarted for a new command line');
    } else if (await readText(s.files.pid)) {
      this.counters.restarts++;
      this.log.warn({ network_id: networkId }, 'dnsmasq was not running: started again');
    }
    const started = await this.dnsmasq.start(dhcpNamespace(networkId), program, s.args, s.files.pid);
    this.counters.starts++;
    this.log.info({ network_id: networkId, pid: started.pid }, 'dnsmasq started');
  }

  private async reload(ids: string[]): Promise<void> {
    for (const id of ids) {
      const s = this.served.get(id);
      if (!s) continue;
      const proc = await this.dnsmasq.find(s.files.pid);
      if (proc && this.dnsmasq.reload(proc)) this.counters.reloads++;
      else await this.ensureDnsmasq(id, false).catch((err: unknown) => this.log.error({ err, network_id: id }, 'dnsmasq restart failed'));
    }
  }

  private async restartDead(): Promise<void> {
    for (const id of this.served.keys()) {
      await this.ensureDnsmasq(id, false).catch((err: unknown) => this.log.error({ err, network_id: id }, 'dnsmasq restart failed'));
    }
  }

  private async removeNetwork(networkId: string, namespaces: Set<string>): Promise<void> {
    const files = networkFiles(this.cfg.stateDir, networkId);
    this.reloads.cancel(networkId);
    const proc = await this.dnsmasq.find(files.pid);
    if (proc) {
      await this.dnsmasq.stop(proc, files.pid);
      this.counters.stops++;
    }
    const ns = dhcpNamespace(networkId);
    const exists = namespaces.has(ns);
    const nsLinks = exists ? await namespaceLinks(this.runner, ns) : [];
    // the device name this agent recorded, for a tap whose namespace is already gone
    const nsDev = (await readText(files.interface))?.trim() ?? '';
    const tap = nsDev.startsWith('ns-') ? `tap${nsDev.slice(3)}` : null;
    const hostTap = tap && !nsLinks.some((l) => l.name.startsWith('ns-')) ? await this.hostTap(tap, true) : null;
    for (const cmd of planTeardown(ns, nsLinks, exists, hostTap?.name ?? null)) await this.runner.run(cmd);
    namespaces.delete(ns);
    await removeNetworkDir(this.cfg.stateDir, networkId);
    this.served.delete(networkId);
    this.dhcpPorts.delete(networkId);
    this.log.info({ network_id: networkId }, 'DHCP removed');
  }
}

const sameArgs = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
