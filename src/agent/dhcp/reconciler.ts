// placeholder: replaced at merge by dp-dhcp
// (the real DhcpReconciler: qdhcp namespaces, one dnsmasq per network; only the exported name and signature matter here)
import type { Logger } from '../../common/logging.js';
import type { Runner } from '../../host/linux/runner.js';
import type { HostState, PortState } from '../protocol.js';
import type { Reconciler } from '../reconciler.js';

export class DhcpReconciler implements Reconciler {
  readonly agentType = 'DHCP agent' as const;
  readonly binary = 'neutron-dhcp-agent';
  readonly topic = 'dhcp_agent';

  constructor(
    readonly runner: Runner,
    readonly cfg: { stateDir: string; dnsmasqPath?: string; dnsDomain?: string },
    readonly log: Logger,
    readonly ensureDhcpPort: (networkId: string) => Promise<PortState>,
  ) {}

  async reconcile(_state: HostState, _opts: { partial: boolean; networkIds?: string[] }): Promise<{ up: string[]; down: string[] }> {
    return { up: [], down: [] };
  }

  configurations(): Record<string, unknown> {
    return { networks: 0, ports: 0, subnets: 0, dhcp_driver: 'dnsmasq' };
  }
}
