// `cloudlet lab up`: the topology, then the controller's services and forwarders, then the
// compute hosts' agents; each thing recorded in the state file before it is made.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { writeCloudEntry } from '../common/clouds-yaml.js';
import { applyStep, netnsExists } from '../host/linux/lab-links.js';
import { cmdlineOf, mountNamespaceOf, startDetached } from '../host/linux/lab-processes.js';
import type { Runner } from '../host/linux/runner.js';
import { planTopology, topologySteps, type LabOptions, type LabTopology } from './plan.js';
import { cmdlineText, computeAgent, controller, controllerDir, forwarders, labStateDir, launchArgv, type LabFile, type LabProcess, type ProcessOptions } from './processes.js';
import { answers, listAgents, missingAgents, passwordToken, waitUntil } from './ready.js';
import { readState, writeState, type LabState } from './state.js';

export interface LabUpOptions extends LabOptions, Omit<ProcessOptions, 'dir'> {
  dir: string;
  /** the machine user's clouds.yaml and the entry to write there */
  cloudsYaml: string;
  cloudEntry: string;
  timeoutMs: number;
  /** Ctrl-C: stop making things (the caller then undoes what was made) */
  signal?: AbortSignal;
  say(line: string): void;
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

const writeFiles = (files: LabFile[]) => {
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true, mode: 0o700 });
    writeFileSync(f.path, f.text, { mode: f.mode });
    chmodSync(f.path, f.mode);
  }
};

export const logPath = (dir: string, name: string): string => join(dir, 'logs', `${name}.log`);

/** the last lines of a process's log, for an error message */
export function logTail(dir: string, name: string, lines = 15): string {
  try {
    return readFileSync(logPath(dir, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** a lab of that name exists already: nothing was made, and it is not this run's to undo */
export class LabExists extends Error {}

/** refuses before making anything: a lab of that name, a namespace of that name, a port in use */
async function checkFree(o: LabUpOptions, t: LabTopology): Promise<void> {
  if (readState(o.name)) throw new LabExists(`lab ${o.name} exists: cloudlet lab down --name ${o.name} first`);
  for (const ns of [t.switchNetns, ...t.hosts.map((h) => h.netns)]) {
    if (netnsExists(ns)) throw new Error(`network namespace ${ns} exists and is not this lab's: pick another --name`);
  }
  for (const [service, port] of Object.entries(o.ports)) {
    if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} (the lab's ${service} port) is in use: pick another with --${service}-port`);
  }
}

/** the programs a lab runs, each with the Debian package that has it */
export const LAB_TOOLS: Array<[string, string]> = [
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['unshare', 'util-linux'],
  ['mount', 'mount'],
  ['dnsmasq', 'dnsmasq-base'],
];

const onPath = (cmd: string): boolean => (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && isExecutable(join(d, cmd)));
const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export async function labUp(o: LabUpOptions, runner: Runner): Promise<LabState> {
  const t = planTopology(o);
  const missing = LAB_TOOLS.filter(([cmd]) => !onPath(cmd));
  if (missing.length > 0) throw new Error(`missing ${missing.map(([cmd, pkg]) => `${cmd} (Debian package ${pkg})`).join(', ')}: the lab needs them`);
  await checkFree(o, t);
  const madeDir = !existsSync(o.dir);
  const state: LabState = { name: o.name, dir: o.dir, madeDir, topology: t, made: [], processes: [], ports: o.ports };
  writeState(state);
  // 0711: dnsmasq (nobody) passes through to state/; logs, sockets and each host's data stay 0700
  mkdirSync(o.dir, { recursive: true, mode: 0o711 });
  chmodSync(o.dir, 0o711);
  mkdirSync(join(o.dir, 'state'), { recursive: true, mode: 0o755 });
  for (const sub of ['logs', 'sockets']) mkdirSync(join(o.dir, sub), { recursive: true, mode: 0o700 });

  for (const step of topologySteps(t)) {
    o.signal?.throwIfAborted();
    state.made.push(step);
    writeState(state);
    await applyStep(runner, step);
  }
  o.say(`lab ${o.name}: switch ${t.switchNetns}, hosts ${t.hosts.map((h) => `${h.name} (${h.netns}, ${h.address})`).join(', ')}`);

  const po: ProcessOptions = { ...o, dir: o.dir };
  const start = async (p: LabProcess) => {
    o.signal?.throwIfAborted();
    const launch = launchArgv(p, t, o.cloudlet);
    const pid = await startDetached(launch.argv, { ...process.env, ...p.env }, logPath(o.dir, p.name));
    state.processes.push({ name: p.name, host: p.host, pid, cmdline: cmdlineText(launch.becomes), launch: { argv: launch.argv, ...(p.env ? { env: p.env } : {}) } });
    writeState(state);
  };
  // a process that ends while we wait: its log says why
  const stillRunning = () => {
    o.signal?.throwIfAborted();
    for (const p of state.processes) {
      if (cmdlineOf(p.pid) === undefined) throw new Error(`${p.name} ended; its log ${logPath(o.dir, p.name)} ends with:\n${logTail(o.dir, p.name)}`);
    }
  };

  const ctl = controller(t, po);
  writeFiles(ctl.files);
  for (const p of [...forwarders(t, po), ctl.process]) await start(p);
  const network = `http://127.0.0.1:${o.ports.network}`;
  const identity = `http://127.0.0.1:${o.ports.identity}/v3`;
  await waitUntil(`the network API at ${network} (through the forwarders)`, o.timeoutMs, () => answers(network), stillRunning);
  // the controller writes its admin's clouds.yaml once identity runs, which may be after the network API answers
  const ctlClouds = join(controllerDir(o.dir, t), 'clouds.yaml');
  const password = await waitUntil(ctlClouds, o.timeoutMs, async () => (existsSync(ctlClouds) ? adminPassword(ctlClouds) : undefined), stillRunning);

  state.cloud = { path: o.cloudsYaml, entry: o.cloudEntry };
  writeState(state);
  writeCloudEntry(o.cloudsYaml, o.cloudEntry, { authUrl: identity, username: 'admin', password, projectName: 'admin', region: 'RegionOne' });
  o.say(`wrote the cloud "${o.cloudEntry}" to ${o.cloudsYaml}`);

  const secret = join(controllerDir(o.dir, t), 'agent-password');
  await waitUntil(secret, o.timeoutMs, async () => (existsSync(secret) ? true : undefined), stillRunning);
  for (const h of t.hosts.slice(1)) {
    const agent = computeAgent(t, h, po);
    writeFiles(agent.files);
    mkdirSync(labStateDir(o.dir, h.name), { recursive: true, mode: 0o755 });
    await start(agent.process);
  }
  // the controller's `cloudlet up` runs an L2 and a DHCP agent; each compute host an L2 agent
  // (a busy machine can take seconds to answer the first requests: retried until the timeout)
  const wanted = [{ host: t.hosts[0]!.name, type: 'DHCP agent' }, ...t.hosts.map((h) => ({ host: h.name, type: 'Linux bridge agent' }))];
  await waitUntil(`the agents (${wanted.map((w) => `${w.host}: ${w.type}`).join(', ')})`, o.timeoutMs, async () => {
    const missing = missingAgents((await listAgents(network, await passwordToken(identity, 'admin', password, 'admin'))) ?? [], wanted);
    if (missing.length > 0) throw new Error(`not alive yet: ${missing.join(', ')}`);
    return true;
  }, stillRunning);
  // every process has unshared by now: its mount namespace names what `lab down` must stop
  for (const p of state.processes) if (p.host !== null) p.mntns = mountNamespaceOf(p.pid);
  writeState(state);
  return state;
}

function adminPassword(path: string): string {
  const doc = parse(readFileSync(path, 'utf8')) as { clouds?: { cloudlet?: { auth?: { password?: string } } } } | null;
  const password = doc?.clouds?.cloudlet?.auth?.password;
  if (!password) throw new Error(`${path}: no password for the controller's admin (cloud "cloudlet")`);
  return password;
}
