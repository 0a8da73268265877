// The lab's processes as data: what runs where, with which files. Swapping a process
// for another (a stand-in in a test, a new agent) is a change to this list only.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { netnsPath } from '../host/linux/lab-links.js';
import { mountNsPath, type LabHost, type LabTopology } from './plan.js';
import type { LabPorts } from './state.js';

export interface LabProcess {
  /** names its log, <lab dir>/logs/<name>.log */
  name: string;
  /** the lab host it runs in (its network namespace and a private /run/netns); null: the machine */
  host: string | null;
  argv: string[];
  env?: Record<string, string>;
}

/** a file a process needs, written before it starts */
export interface LabFile {
  path: string;
  text: string;
  mode: number;
}

export interface ProcessOptions {
  dir: string;
  /** how to run cloudlet itself: node, its flags, the entry script */
  cloudlet: string[];
  ports: LabPorts;
}

export const controllerDir = (dir: string, t: LabTopology): string => join(dir, t.hosts[0]!.name);
export const socketPath = (dir: string, service: keyof LabPorts): string => join(dir, 'sockets', `${service}.sock`);
const SERVICES: Array<keyof LabPorts> = ['identity', 'network', 'registry'];

/**
 * The forwarders that make the controller's services reachable from the machine without an
 * address on the machine's interfaces: 127.0.0.1:P on the machine → a unix socket in the lab
 * dir (filesystem sockets cross network namespaces) → inside the controller, its underlay
 * address:P. Inside the controller 127.0.0.1:P forwards too, so the catalog's URLs (which
 * say 127.0.0.1) work there as on the machine.
 */
export function forwarders(t: LabTopology, o: ProcessOptions): LabProcess[] {
  const c = t.hosts[0]!;
  const outside = SERVICES.map((s) => `tcp:127.0.0.1:${o.ports[s]}=unix:${socketPath(o.dir, s)}`);
  const inside = SERVICES.flatMap((s) => [`unix:${socketPath(o.dir, s)}=tcp:${c.address}:${o.ports[s]}`, `tcp:127.0.0.1:${o.ports[s]}=tcp:${c.address}:${o.ports[s]}`]);
  return [
    { name: `forward-${c.name}`, host: c.name, argv: [...o.cloudlet, 'lab', 'forward', ...inside] },
    { name: 'forward-machine', host: null, argv: [...o.cloudlet, 'lab', 'forward', ...outside] },
  ];
}

/** a host's agent files (dnsmasq's, which it reads as nobody: every directory above is traversable) */
export const labStateDir = (dir: string, host: string): string => join(dir, 'state', host);

/** the controller: every service bound to its underlay address, the catalog pointing at 127.0.0.1 (the forwarders) */
export function controller(t: LabTopology, o: ProcessOptions): { process: LabProcess; files: LabFile[] } {
  const c = t.hosts[0]!;
  const data = controllerDir(o.dir, t);
  const config = join(data, 'cloudlet.yaml');
  const yaml = {
    data_dir: data,
    identity: { host: c.address, port: o.ports.identity, public_host: '127.0.0.1' },
    network: { host: c.address, port: o.ports.network },
  };
  const argv = [...o.cloudlet, 'up', '--config', config, '--data-dir', data, '--identity-port', String(o.ports.identity), '--network-port', String(o.ports.network)];
  argv.push('--bind', c.address, '--host', c.name);
  // the lab's own: the default (/var/lib/cloudlet/agents/osad) would be shared by every lab's osad
  argv.push('--agent-state-dir', labStateDir(o.dir, c.name));
  const env = {
    REGISTRY_HTTP_ADDR: `${c.address}:${o.ports.registry}`,
    // its admin's clouds.yaml entry stays in the lab dir; `lab up` writes the machine user's own
    OS_CLIENT_CONFIG_FILE: join(data, 'clouds.yaml'),
  };
  return { process: { name: c.name, host: c.name, argv, env }, files: [{ path: config, text: stringify(yaml), mode: 0o600 }] };
}

/** a compute host's L2 agent, with the config file it reads */
export function computeAgent(t: LabTopology, h: LabHost, o: ProcessOptions): { process: LabProcess; files: LabFile[] } {
  const c = t.hosts[0]!;
  const config = join(o.dir, `${h.name}.yaml`);
  const yaml = {
    agent: {
      server: `http://${c.address}:${o.ports.network}`,
      auth_url: `http://${c.address}:${o.ports.identity}/v3`,
      username: 'cloudlet-agent',
      password_file: join(controllerDir(o.dir, t), 'agent-password'),
      project_name: 'service',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      report_interval: 10,
      state_dir: labStateDir(o.dir, h.name),
    },
    l2: { local_ip: h.address, physical_interface_mappings: {} },
    dhcp: { dnsmasq: 'dnsmasq' },
  };
  return {
    process: { name: `${h.name}-l2`, host: h.name, argv: [...o.cloudlet, 'agent', 'l2', '--host', h.name, '--config', config] },
    files: [{ path: config, text: stringify(yaml), mode: 0o600 }],
  };
}

/**
 * The argv that starts a process where it belongs: in a lab host, through nsenter (into the
 * host's network and mount namespaces) and `cloudlet lab host-exec`. `becomes` is what
 * /proc/PID/cmdline says once nsenter has exec'd (it does not fork), which `lab down` checks before a signal.
 */
export function launchArgv(p: LabProcess, t: LabTopology, cloudlet: string[]): { argv: string[]; becomes: string[] } {
  if (p.host === null) return { argv: p.argv, becomes: p.argv };
  const h = t.hosts.find((x) => x.name === p.host);
  if (!h) throw new Error(`no host ${p.host} in lab ${t.name}`);
  const becomes = [...cloudlet, 'lab', 'host-exec', '--', ...p.argv];
  return { argv: ['nsenter', `--net=${netnsPath(h.netns)}`, `--mount=${mountNsPath(t.name, h.name)}`, ...becomes], becomes };
}

/** /proc/PID/cmdline of a process with that argv */
export const cmdlineText = (argv: readonly string[]): string => argv.map((a) => `${a}\0`).join('');
