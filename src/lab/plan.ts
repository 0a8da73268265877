// The lab's topology as plain data: a switch (a bridge in a namespace of its own) and
// one network namespace per host, each with a veth into the switch and its underlay
// address. `cloudlet lab up` turns this into kernel objects through src/host/linux;
// nothing here runs a command, so the planner is tested without root.
import type { LabStep } from '../host/linux/lab-links.js';

/** where labs keep their state and mount namespaces: under /run, as nothing they name outlives a reboot */
export const LAB_RUN_DIR = '/run/cloudlet-lab';

/** a lab name: it prefixes namespace names, so short and plain */
export const LAB_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** the controller/network node, as the seed names it; compute nodes are osad1, osad2, … */
export const CONTROLLER = 'osad';
/** the underlay interface inside every host namespace */
export const UNDERLAY_IF = 'underlay0';
/** the bridge inside the switch namespace */
export const SWITCH_BRIDGE = 'sw0';

export interface LabOptions {
  name: string;
  /** hosts in all: the controller and hosts-1 compute nodes */
  hosts: number;
  /** the underlay, an IPv4 CIDR with room for .1 and .11… */
  subnet: string;
}

export interface LabHost {
  /** the host name agents report (binding:host_id) */
  name: string;
  role: 'controller' | 'compute';
  /** its network namespace on the machine: <lab>-<host> */
  netns: string;
  /** its underlay address (no prefix) */
  address: string;
  /** the veth end inside the switch namespace, enslaved to the bridge */
  switchPort: string;
}

export interface LabTopology {
  name: string;
  /** the switch's namespace */
  switchNetns: string;
  bridge: string;
  prefixLength: number;
  hosts: LabHost[];
}

/** one kernel object the lab makes, in creation order (its shape is the adapter's); `lab down` deletes them in reverse */
export type { LabStep };

/** where a host's mount namespace is kept: a file in a directory of its own (bind-mounted private, as a persistent namespace needs) */
export const mountNsPath = (lab: string, host: string): string => `${LAB_RUN_DIR}/${lab}/mnt/${host}/ns`;

const parseIPv4 = (text: string): number | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};
const formatIPv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** the controller at .1, compute node k at .10+k: the seed's layout */
const hostOffset = (index: number): number => (index === 0 ? 1 : 10 + index);

export function planTopology(opts: LabOptions): LabTopology {
  if (!LAB_NAME.test(opts.name)) throw new Error(`--name: a lowercase letter, then up to 15 lowercase letters, digits or '-', not ${JSON.stringify(opts.name)}`);
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > 200) throw new Error(`--hosts: a whole number from 1 to 200, not ${opts.hosts}`);
  const m = /^([^/]+)\/(\d{1,2})$/.exec(opts.subnet);
  const base = m ? parseIPv4(m[1]!) : undefined;
  const prefixLength = m ? Number(m[2]) : NaN;
  if (base === undefined || !(prefixLength >= 8 && prefixLength <= 30)) throw new Error(`--subnet: an IPv4 CIDR such as 10.99.0.0/24, not ${JSON.stringify(opts.subnet)}`);
  const size = 2 ** (32 - prefixLength);
  const network = base - (base % size);
  const last = hostOffset(opts.hosts - 1);
  if (last >= size - 1) throw new Error(`--subnet ${opts.subnet} has no room for ${opts.hosts} hosts (the last at .${last})`);
  const hosts: LabHost[] = Array.from({ length: opts.hosts }, (_, i) => {
    const name = i === 0 ? CONTROLLER : `${CONTROLLER}${i}`;
    return { name, role: i === 0 ? 'controller' : 'compute', netns: `${opts.name}-${name}`, address: formatIPv4(network + hostOffset(i)), switchPort: name };
  });
  return { name: opts.name, switchNetns: `${opts.name}-sw`, bridge: SWITCH_BRIDGE, prefixLength, hosts };
}

/** the kernel objects, in the order they are made (each after what it needs) */
export function topologySteps(t: LabTopology): LabStep[] {
  const steps: LabStep[] = [
    { kind: 'netns', name: t.switchNetns },
    { kind: 'bridge', netns: t.switchNetns, name: t.bridge },
    { kind: 'up', netns: t.switchNetns, dev: t.bridge },
  ];
  for (const h of t.hosts) {
    steps.push(
      { kind: 'netns', name: h.netns },
      { kind: 'up', netns: h.netns, dev: 'lo' },
      { kind: 'veth', netns: h.netns, name: UNDERLAY_IF, peerNetns: t.switchNetns, peer: h.switchPort, master: t.bridge },
      { kind: 'address', netns: h.netns, dev: UNDERLAY_IF, cidr: `${h.address}/${t.prefixLength}` },
      { kind: 'up', netns: h.netns, dev: UNDERLAY_IF },
      { kind: 'mntns', netns: h.netns, path: mountNsPath(t.name, h.name) },
    );
  }
  return steps;
}

/** what must be deleted to undo `made` (namespaces take their links with them; the rest needs nothing) */
export function teardownSteps(made: readonly LabStep[]): LabStep[] {
  return made.filter((s) => s.kind === 'netns' || s.kind === 'mntns').reverse();
}
