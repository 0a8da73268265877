// `cloudlet lab down`: undoes what the state file says `lab up` made, in reverse, and
// only that: a pid is signalled only while /proc says it is still the process started.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeCloudEntry } from '../common/clouds-yaml.js';
import { deleteMountNs, deleteNetns, netnsInMountNs, netnsPath } from '../host/linux/lab-links.js';
import { cmdlineOf, mountNamespaceOf, netNamespaceId, netNamespaceOf, netnsFilesSeenBy, pidsInNamespaces, stopPids } from '../host/linux/lab-processes.js';
import type { Runner } from '../host/linux/runner.js';
import { teardownSteps } from './plan.js';
import { readState, removeState, writeState, type LabState } from './state.js';

/**
 * The pids to stop: each recorded process still running as started, and every other process
 * in a lab host's mount namespace or in a network namespace of the lab (the hosts', and the
 * qdhcp-… ones in each host's private /run/netns, `hostNetns` when read from the kept mount
 * namespaces: the agents' daemonized dnsmasq runs there, in a mount namespace of `ip netns
 * exec`'s own). Only a lab host's /run/netns is read, never the machine's.
 */
export function labPids(state: LabState, hostNetns: readonly string[] = []): { leaders: number[]; others: number[] } {
  const own = { mnt: mountNamespaceOf('self'), net: netNamespaceOf('self') };
  const running = state.processes.filter((p) => p.cmdline !== '' && cmdlineOf(p.pid) === p.cmdline);
  const leaders = running.map((p) => p.pid);
  const mntns = new Set(state.processes.map((p) => (leaders.includes(p.pid) ? (mountNamespaceOf(p.pid) ?? p.mntns) : p.mntns)).filter((m): m is string => !!m && m !== own.mnt));
  const files = [...state.topology.hosts.map((h) => netnsPath(h.netns)), ...running.filter((p) => p.host !== null).flatMap((p) => netnsFilesSeenBy(p.pid))];
  const netns = new Set([...files.map(netNamespaceId), ...hostNetns].filter((n): n is string => !!n && n !== own.net));
  const others = pidsInNamespaces(mntns, netns).filter((pid) => !leaders.includes(pid) && pid !== process.pid);
  return { leaders, others };
}

export async function labDown(name: string, runner: Runner, opts: { keepDir: boolean; say(line: string): void }): Promise<boolean> {
  const state = readState(name);
  if (!state) return false;
  const kept = state.made.flatMap((s) => (s.kind === 'mntns' ? [s.path] : []));
  const { leaders, others } = labPids(state, (await Promise.all(kept.map((path) => netnsInMountNs(runner, path)))).flat());
  await stopPids(leaders, true);
  await stopPids(others.filter((pid) => cmdlineOf(pid) !== undefined), false);
  state.processes = [];
  writeState(state);
  for (const step of teardownSteps(state.made)) {
    if (step.kind === 'netns' && (await deleteNetns(runner, step.name))) opts.say(`deleted namespace ${step.name}`);
    if (step.kind === 'mntns') await deleteMountNs(runner, step.path);
  }
  state.made = [];
  writeState(state);
  if (state.cloud && removeCloudEntry(state.cloud.path, state.cloud.entry)) opts.say(`removed the cloud "${state.cloud.entry}" from ${state.cloud.path}`);
  rmSync(join(state.dir, 'sockets'), { recursive: true, force: true });
  if (state.madeDir && !opts.keepDir) rmSync(state.dir, { recursive: true, force: true });
  removeState(name);
  return true;
}
