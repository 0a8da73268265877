// Builds the agents: the one file that names the reconcilers (src/agent/l2,
// src/agent/dhcp) and the port plugging (plug.ts), so the CLI and `cloudlet up`
// depend on them through here only. Also what a host needs before an agent can
// run on it (root, the tools on PATH), said in one line when missing.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from '../common/logging.js';
import { ExecRunner, type Runner } from '../host/linux/runner.js';
import type { AgentApi } from './client.js';
import { defaultStateDir, type AgentConfig } from './config.js';
import { DhcpReconciler } from './dhcp/reconciler.js';
import { L2Reconciler } from './l2/reconciler.js';
import type { Reconciler } from './reconciler.js';
import { AgentRuntime } from './run.js';

export { plugPort, unplugPort } from './plug.js';

export type AgentKind = 'l2' | 'dhcp';

/** a command found on PATH (an absolute or relative path is checked as it is) */
export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const candidates = cmd.includes('/') ? [cmd] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  return candidates.some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** why an agent of `kind` cannot run here, or undefined when it can */
export function missingFor(kind: AgentKind, cfg: Pick<AgentConfig, 'dhcp'>, isRoot = process.getuid?.() === 0): string | undefined {
  if (!isRoot) return 'not root (agents change network links)';
  const tools = kind === 'l2' ? ['ip', 'bridge'] : ['ip', cfg.dhcp.dnsmasq];
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length) return `${missing.join(' and ')} not on PATH (Debian: ${kind === 'l2' ? 'iproute2' : missing.includes('ip') ? 'iproute2, dnsmasq-base' : 'dnsmasq-base'})`;
  return undefined;
}

export function reconcilerFor(kind: AgentKind, host: string, cfg: AgentConfig, api: AgentApi, log: Logger, runner: Runner = new ExecRunner()): Reconciler {
  if (kind === 'l2') return new L2Reconciler(runner, { localIp: cfg.l2.localIp, physicalInterfaceMappings: cfg.l2.physicalInterfaceMappings }, log);
  return new DhcpReconciler(runner, { stateDir: cfg.stateDir ?? defaultStateDir(host), dnsmasqPath: cfg.dhcp.dnsmasq, dnsDomain: cfg.dhcp.dnsDomain }, log, (networkId) => api.dhcpPort(host, networkId));
}

/** a running agent of `kind` for `host`, following the server through `api` */
export function startAgent(kind: AgentKind, host: string, cfg: AgentConfig, api: AgentApi, log: Logger): AgentRuntime {
  const runtime = new AgentRuntime(api, reconcilerFor(kind, host, cfg, api, log), { host, reportInterval: cfg.reportInterval, availabilityZone: cfg.availabilityZone }, log);
  runtime.start();
  return runtime;
}
