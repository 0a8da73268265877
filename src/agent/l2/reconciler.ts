// The L2 agent's data-plane half (Neutron's linuxbridge agent with l2population and the
// ARP responder): read the kernel, plan, apply, report which ports got wired or unwired.
import type { Logger } from '../../common/logging.js';
import { watchLinks, type LinkEvent } from '../../host/linux/link-watch.js';
import { listLinks, probeVlan } from '../../host/linux/links.js';
import type { Runner } from '../../host/linux/runner.js';
import { bridgeName, tapName, type HostState } from '../protocol.js';
import type { Reconciler } from '../reconciler.js';
import { applySteps } from './apply.js';
import type { L2Config } from './config.js';
import { readKernel } from './kernel.js';
import { missingInterfaces, plan } from './plan.js';
import type { Step } from './steps.js';

export class L2Reconciler implements Reconciler {
  readonly agentType = 'Linux bridge agent' as const;
  readonly binary = 'neutron-linuxbridge-agent';
  readonly topic = 'N/A';

  /** port id → network id of the ports wired at the end of the last reconcile */
  private wired = new Map<string, string>();
  private vlan: { supported: boolean; reason?: string } | null = null;
  private problems = new Map<string, string>();
  private foreign: string[] = [];
  /** physnet → interface of the mappings whose interface does not exist (their networks cannot be served) */
  private missing: Record<string, string> = {};
  private lastErrors: string[] = [];
  private warned = new Set<string>();
  /** tap → network id: ports bound here, up, whose tap did not exist when the last reconcile read the kernel */
  private awaited = new Map<string, string>();
  /** tap name → network id of this host's ports in the last desired state: whose taps' appearing is news */
  private taps = new Map<string, string>();
  /** reconciles run one at a time (a full resync and a change may be asked for together) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: Runner,
    private readonly cfg: L2Config,
    private readonly log: Logger,
  ) {}

  reconcile(state: HostState, opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }> {
    const run = this.queue.then(() => this.reconcileNow(state, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(state: HostState, opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }> {
    const scope = opts.partial ? new Set([...(opts.networkIds ?? []), ...state.networks.map((n) => n.id)]) : undefined;
    this.remember(state, scope);
    // the first time, the 802.1Q probe (a kernel module lookup) runs beside the read
    const [vlan, actual] = await Promise.all([this.vlan ?? probeVlan(this.runner), readKernel(this.runner, scope)]);
    this.vlan = vlan;
    const input = { desired: state, cfg: this.cfg, vlan, scope };
    this.noteMissing(missingInterfaces(this.cfg.physicalInterfaceMappings, actual.links));
    let p = plan({ ...input, actual });
    const failed = await applySteps(this.runner, p.steps);
    if (p.steps.length > 0) this.log.info({ steps: p.steps.length, failed: failed.length, first: p.steps.slice(0, 3).map(describeStep) }, 'l2: applied');
    for (const f of failed) this.log.warn({ step: f.step, err: f.error.message }, 'l2: step failed; planned again next time');
    this.lastErrors = failed.map((f) => f.error.message).slice(0, 10);
    // after a failure, what is wired is what the kernel now says, not what was planned
    if (failed.length > 0) p = { ...plan({ ...input, actual: await readKernel(this.runner, scope) }), steps: [] };

    for (const pr of p.problems) if (!this.warned.has(`${pr.network_id}:${pr.reason}`)) {
      this.warned.add(`${pr.network_id}:${pr.reason}`);
      this.log.warn({ network_id: pr.network_id }, `l2: network not wired: ${pr.reason}`);
    }
    if (scope) for (const id of scope) this.problems.delete(id);
    else this.problems.clear();
    for (const pr of p.problems) this.problems.set(pr.network_id, pr.reason);
    for (const name of p.foreign) if (!this.warned.has(name)) {
      this.warned.add(name);
      this.log.warn({ device: name }, 'l2: a link named like the agent\'s was not made by it: never changed or deleted');
    }
    this.foreign = p.foreign;

    // taps are made by others (plug, the DHCP agent): one still missing is looked for again soon
    const links = new Set(actual.links.map((l) => l.name));
    for (const [tap, net] of this.awaited) if (!scope || scope.has(net)) this.awaited.delete(tap);
    for (const n of state.networks) {
      for (const port of n.ports) if (port.host === state.host && port.admin_state_up && !links.has(tapName(port.id))) this.awaited.set(tapName(port.id), n.id);
    }

    const before = this.wired;
    const now = new Map([...before].filter(([, net]) => scope !== undefined && !scope.has(net)));
    for (const [port, net] of p.wired) now.set(port, net);
    this.wired = now;
    return { up: [...now.keys()].filter((id) => !before.has(id)), down: [...before.keys()].filter((id) => !now.has(id)) };
  }

  /**
   * Neutron's agent exits when a mapped interface is missing (a crash loop under systemd):
   * here one line when it goes missing or returns, and `missing_interfaces` in the
   * heartbeat, so the server binds no port of that physical network here (binding_failed).
   */
  private noteMissing(now: Record<string, string>): void {
    for (const [physnet, iface] of Object.entries(now)) if (this.missing[physnet] !== iface)
      this.log.warn({ physnet, interface: iface }, `l2: interface ${iface} of physical network ${physnet} does not exist (physical_interface_mappings): its flat and vlan networks are not served here`);
    for (const [physnet, iface] of Object.entries(this.missing)) if (now[physnet] === undefined)
      this.log.info({ physnet, interface: iface }, `l2: interface ${iface} of physical network ${physnet} is there now`);
    this.missing = now;
  }

  waitingForDevices(): boolean {
    return this.awaited.size > 0;
  }

  async devicesAppeared(): Promise<string[]> {
    if (this.awaited.size === 0) return [];
    const names = new Set((await listLinks(this.runner)).map((l) => l.name));
    return [...new Set([...this.awaited].filter(([tap]) => names.has(tap)).map(([, net]) => net))];
  }

  private remember(state: HostState, scope: Set<string> | undefined): void {
    if (scope) for (const [tap, net] of this.taps) if (scope.has(net)) this.taps.delete(tap);
    if (!scope) this.taps.clear();
    for (const n of state.networks) for (const p of n.ports) if (p.host === state.host) this.taps.set(tapName(p.id), n.id);
  }

  /**
   * Until `signal` aborts: a tap of one of this host's ports that appears, or is out of its
   * bridge, asks for its network to be reconciled (`poke`), at once rather than at the next
   * change on the server: a port is bound before its instance is plugged.
   */
  watch(signal: AbortSignal, poke: (networkIds: string[]) => void): Promise<void> {
    const mapped = new Set(Object.values(this.cfg.physicalInterfaceMappings));
    const seen = (e: LinkEvent): void => {
      // a mapped interface that went missing or came back: known at once, not at the next resync
      if (mapped.has(e.name) && e.deleted !== Object.values(this.missing).includes(e.name)) void this.recheckInterfaces(poke);
      const net = e.deleted ? undefined : this.taps.get(e.name);
      if (net !== undefined && e.master !== bridgeName(net)) poke([net]);
    };
    return watchLinks(seen, signal, (why) => this.log.warn(`l2: ${why}; watching again`));
  }

  private async recheckInterfaces(poke: (networkIds: string[]) => void): Promise<void> {
    try {
      this.noteMissing(missingInterfaces(this.cfg.physicalInterfaceMappings, await listLinks(this.runner)));
    } catch {
      return; // the next reconcile reads the links again
    }
    const served = [...new Set(this.taps.values())];
    if (served.length > 0) poke(served);
  }

  configurations(): Record<string, unknown> {
    const c: Record<string, unknown> = {
      interface_mappings: this.cfg.physicalInterfaceMappings,
      bridge_mappings: {},
      tunnel_types: this.cfg.localIp ? ['vxlan'] : [],
      l2_population: true,
      arp_responder_enabled: true,
      devices: this.wired.size,
    };
    // as Neutron's agent: the tunnel endpoint only where VXLAN is on
    if (this.cfg.localIp) c.tunneling_ip = this.cfg.localIp;
    if (this.vlan && !this.vlan.supported) c.vlan_unsupported_reason = this.vlan.reason;
    if (Object.keys(this.missing).length > 0) c.missing_interfaces = this.missing;
    if (this.problems.size > 0) c.network_problems = Object.fromEntries(this.problems);
    if (this.foreign.length > 0) c.foreign_devices = this.foreign;
    if (this.lastErrors.length > 0) c.errors = this.lastErrors;
    return c;
  }
}

/** one step in a log line: what and on which device */
function describeStep(s: Step): string {
  switch (s.op) {
    case 'sysctl':
      return `sysctl ${s.key}=${s.value}`;
    case 'create':
    case 'delete':
      return `${s.op} ${s.name}`;
    case 'set':
      return `set ${s.name} ${JSON.stringify(s.change)}`;
    default:
      return `${s.op} ${s.dev}`;
  }
}
