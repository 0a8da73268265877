// `cloudlet lab down`: undoes what the state file says `lab up` made, in reverse, and
// only that: a pid is signalled only while /proc says it is still the process started.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeCloudEntry } from '../cli/clouds-yaml.js';
import { deleteNetns } from '../host/linux/lab-links.js';
import { cmdlineOf, mountNamespaceOf, pidsInMountNamespace, stopPids } from '../host/linux/lab-processes.js';
import type { Runner } from '../host/linux/runner.js';
import { teardownSteps } from './plan.js';
import { readState, removeState, writeState, type LabState } from './state.js';

/** the pids to stop: each recorded process still running as started, and everything left in a lab host's mount namespace (its agents' dnsmasq) */
export function labPids(state: LabState): { leaders: number[]; others: number[] } {
  const own = mountNamespaceOf('self');
  const leaders = state.processes.filter((p) => p.cmdline !== '' && cmdlineOf(p.pid) === p.cmdline).map((p) => p.pid);
  const mntns = new Set(state.processes.map((p) => (leaders.includes(p.pid) ? (mountNamespaceOf(p.pid) ?? p.mntns) : p.mntns)).filter((m): m is string => !!m && m !== own));
  const others = [...mntns].flatMap(pidsInMountNamespace).filter((pid) => !leaders.includes(pid) && pid !== process.pid);
  return { leaders, others };
}

export async function labDown(name: string, runner: Runner, opts: { keepDir: boolean; say(line: string): void }): Promise<boolean> {
  const state = readState(name);
  if (!state) return false;
  const { leaders, others } = labPids(state);
  await stopPids(leaders, true);
  await stopPids(others.filter((pid) => cmdlineOf(pid) !== undefined), false);
  state.processes = [];
  writeState(state);
  for (const step of teardownSteps(state.made)) {
    if (step.kind === 'netns' && (await deleteNetns(runner, step.name))) opts.say(`deleted namespace ${step.name}`);
  }
  state.made = [];
  writeState(state);
  if (state.cloud && removeCloudEntry(state.cloud.path, state.cloud.entry)) opts.say(`removed the cloud "${state.cloud.entry}" from ${state.cloud.path}`);
  rmSync(join(state.dir, 'sockets'), { recursive: true, force: true });
  if (state.madeDir && !opts.keepDir) rmSync(state.dir, { recursive: true, force: true });
  removeState(name);
  return true;
}
