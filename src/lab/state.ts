// The lab's state file: what `lab up` made, written before each thing is made, so
// `lab down` from another shell (or after `lab up` died halfway) undoes exactly that.
// It lives under /run: the namespaces and processes it names do not outlive a reboot either.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_RUN_DIR, type LabStep, type LabTopology } from './plan.js';

export interface LabProcessRecord {
  /** its log: <lab dir>/logs/<name>.log */
  name: string;
  /** the lab host it runs in; null on the machine itself */
  host: string | null;
  pid: number;
  /** /proc/PID/cmdline when started (NUL-separated), checked before any signal */
  cmdline: string;
  /** its mount namespace (readlink /proc/PID/ns/mnt), once it is known: every process left in it is the lab's */
  mntns?: string;
  /** how it was started (argv and the environment it got beyond the caller's), so it can be started again */
  launch?: { argv: string[]; env?: Record<string, string> };
}

export interface LabPorts {
  identity: number;
  network: number;
  registry: number;
}

export interface LabState {
  name: string;
  /** the lab directory: data, configs, logs, sockets */
  dir: string;
  /** whether `lab up` made the directory (then `lab down` removes it) */
  madeDir: boolean;
  topology: LabTopology;
  /** kernel objects, each recorded before it is made */
  made: LabStep[];
  processes: LabProcessRecord[];
  /** the ports on 127.0.0.1 (and of the services inside the controller) */
  ports: LabPorts;
  /** the clouds.yaml entry written for the machine's user */
  cloud?: { path: string; entry: string };
}

export const statePath = (name: string, runDir = LAB_RUN_DIR): string => join(runDir, name, 'state.json');

export function readState(name: string, runDir = LAB_RUN_DIR): LabState | undefined {
  const path = statePath(name, runDir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LabState;
  } catch (err) {
    throw new Error(`${path}: not a lab state file (${(err as Error).message})`);
  }
}

export function writeState(state: LabState, runDir = LAB_RUN_DIR): void {
  const path = statePath(state.name, runDir);
  mkdirSync(join(runDir, state.name), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function removeState(name: string, runDir = LAB_RUN_DIR): void {
  rmSync(join(runDir, name), { recursive: true, force: true });
}

/** every lab with a state file on this machine */
export function labNames(runDir = LAB_RUN_DIR): string[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir).filter((n) => existsSync(statePath(n, runDir)));
}
