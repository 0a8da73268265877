// placeholder: replaced at merge by dp-l2
// (the real L2Reconciler: bridges, VXLAN, l2population; only the exported name and signature matter here)
import type { Logger } from '../../common/logging.js';
import type { Runner } from '../../host/linux/runner.js';
import type { HostState } from '../protocol.js';
import type { Reconciler } from '../reconciler.js';

export class L2Reconciler implements Reconciler {
  readonly agentType = 'Linux bridge agent' as const;
  readonly binary = 'neutron-linuxbridge-agent';
  readonly topic = 'N/A';

  constructor(readonly runner: Runner, readonly cfg: { localIp?: string; physicalInterfaceMappings: Record<string, string> }, readonly log: Logger) {}

  async reconcile(_state: HostState, _opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }> {
    return { up: [], down: [] };
  }

  configurations(): Record<string, unknown> {
    return { interface_mappings: this.cfg.physicalInterfaceMappings, tunneling_ip: this.cfg.localIp ?? null, tunnel_types: ['vxlan'], l2_population: true, devices: 0 };
  }
}
