// A Reconciler that records what the agent runtime tells it and wires nothing:
// ports bound to its host are "up" the first time it sees them.
import type { HostState } from '../../src/agent/protocol.js';
import type { Reconciler } from '../../src/agent/reconciler.js';

export class FakeReconciler implements Reconciler {
  readonly agentType = 'Linux bridge agent' as const;
  readonly binary = 'neutron-linuxbridge-agent';
  readonly topic = 'N/A';
  readonly calls: Array<{ partial: boolean; networkIds?: string[]; networks: string[]; revision: number }> = [];
  readonly wired = new Set<string>();
  failNext = false;
  closed = false;

  constructor(private readonly host: string) {}

  async reconcile(state: HostState, opts: { partial: boolean; networkIds?: string[] }) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('ip: RTNETLINK answers: File exists');
    }
    this.calls.push({ ...opts, networks: state.networks.map((n) => n.id), revision: state.revision });
    const up = state.networks.flatMap((n) => n.ports.filter((p) => p.host === this.host && !this.wired.has(p.id)).map((p) => p.id));
    for (const id of up) this.wired.add(id);
    return { up, down: [] };
  }

  configurations() {
    return { tunneling_ip: '10.0.0.1', tunnel_types: ['vxlan'], l2_population: true, interface_mappings: {}, bridge_mappings: {}, devices: this.wired.size };
  }

  async close() {
    this.closed = true;
  }
}

/** polls `fn` every 10 ms until true; fails naming `what` after `ms` */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
