// Killing a lab's processes with SIGKILL and starting them again as `lab up` started them:
// what a crash or an OOM kill does to a host's agents or server, for the tests (and users)
// that check the data plane survives it. Only a pid /proc still shows as the lab's is signalled.
import { cmdlineOf, mountNamespaceOf, startDetached } from '../host/linux/lab-processes.js';
import { readState, writeState, type LabProcessRecord } from './state.js';
import { logPath } from './up.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stateOf(lab: string) {
  const state = readState(lab);
  if (!state) throw new Error(`no lab ${lab}`);
  return state;
}

function pick(records: LabProcessRecord[], names: readonly string[]): LabProcessRecord[] {
  const unknown = names.filter((n) => !records.some((p) => p.name === n));
  if (unknown.length > 0) throw new Error(`no process ${unknown.join(', ')} in the lab (it has ${records.map((p) => p.name).join(', ')})`);
  return records.filter((p) => names.includes(p.name));
}

/**
 * SIGKILL to the named processes' process groups (the `lab host-exec` leader and the command
 * it runs; a daemon that left the group, such as dnsmasq, is not hit), then waits until they are gone.
 */
export async function killLabProcesses(lab: string, names: readonly string[]): Promise<void> {
  const state = stateOf(lab);
  const targets = pick(state.processes, names).filter((p) => cmdlineOf(p.pid) === p.cmdline);
  for (const p of targets) {
    for (const target of [-p.pid, p.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  for (const end = Date.now() + 10_000; targets.some((p) => cmdlineOf(p.pid) !== undefined); ) {
    if (Date.now() > end) throw new Error(`still running after SIGKILL: ${targets.filter((p) => cmdlineOf(p.pid) !== undefined).map((p) => p.name).join(', ')}`);
    await sleep(20);
  }
}

/** starts the named processes again with the argv and environment `lab up` gave them; they must not be running */
export async function startLabProcesses(lab: string, names: readonly string[]): Promise<void> {
  const state = stateOf(lab);
  for (const p of pick(state.processes, names)) {
    if (cmdlineOf(p.pid) === p.cmdline) throw new Error(`${p.name} (pid ${p.pid}) is running`);
    if (!p.launch) throw new Error(`${p.name}: the state file does not say how it was started (a lab made by an older cloudlet)`);
    p.pid = await startDetached(p.launch.argv, { ...process.env, ...p.launch.env }, logPath(state.dir, p.name));
    writeState(state);
  }
  // once unshared, a process's mount namespace is what `lab down` looks for
  for (const p of pick(state.processes, names).filter((x) => x.host !== null)) {
    for (const end = Date.now() + 5_000; Date.now() < end; await sleep(20)) {
      const mnt = mountNamespaceOf(p.pid);
      if (cmdlineOf(p.pid) === p.cmdline && mnt && mnt !== mountNamespaceOf('self')) {
        p.mntns = mnt;
        break;
      }
    }
  }
  writeState(state);
}
