// The lab's kernel objects (namespaces, the switch bridge, underlay veths) as ip commands.
// Lab-owned: the agents' own link code lives beside it; the lab needs only these few.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command, Runner } from './runner.js';

/** one kernel object of a lab, in creation order: the plain data this module turns into commands */
export type LabStep =
  | { kind: 'netns'; name: string }
  | { kind: 'bridge'; netns: string; name: string }
  | { kind: 'veth'; netns: string; name: string; peerNetns: string; peer: string; master: string }
  | { kind: 'address'; netns: string; dev: string; cidr: string }
  | { kind: 'up'; netns: string; dev: string }
  /** a host's mount namespace, kept by a bind mount at `path`: its own /run/netns (the agents' qdhcp-… namespaces) and sysfs, outliving any one process */
  | { kind: 'mntns'; netns: string; path: string };

export const NETNS_DIR = '/run/netns';
export const netnsPath = (name: string): string => `${NETNS_DIR}/${name}`;

/** the commands that make one step; a veth is made with both ends already in their namespaces */
export function stepCommands(step: LabStep): Command[] {
  switch (step.kind) {
    case 'netns':
      return [{ argv: ['ip', 'netns', 'add', step.name] }];
    case 'bridge':
      return [{ argv: ['ip', '-n', step.netns, 'link', 'add', step.name, 'type', 'bridge'] }];
    case 'veth':
      return [
        { argv: ['ip', 'link', 'add', step.name, 'netns', step.netns, 'type', 'veth', 'peer', 'name', step.peer, 'netns', step.peerNetns] },
        { argv: ['ip', '-n', step.peerNetns, 'link', 'set', step.peer, 'master', step.master, 'up'] },
      ];
    case 'address':
      return [{ argv: ['ip', '-n', step.netns, 'addr', 'add', step.cidr, 'dev', step.dev] }];
    case 'up':
      return [{ argv: ['ip', '-n', step.netns, 'link', 'set', step.dev, 'up'] }];
    case 'mntns': {
      // a persistent mount namespace: the host's processes come and go (a crash, a restart), its qdhcp-… namespaces stay
      const dir = dirname(step.path);
      const inside = ['nsenter', `--mount=${step.path}`] as const;
      return [
        { argv: ['mkdir', '-p', '-m', '0700', dir] },
        { argv: ['mount', '--bind', dir, dir] },
        { argv: ['touch', step.path] },
        { argv: ['mount', '--make-private', dir] },
        { argv: ['unshare', `--mount=${step.path}`, '--propagation', 'private', 'true'] },
        { argv: [...inside, 'mount', '-t', 'tmpfs', '-o', 'mode=0755', 'cloudlet-lab-netns', NETNS_DIR] },
        // a sysfs of the host's network namespace, as `ip netns exec` mounts one
        { argv: [...inside, 'umount', '--lazy', '/sys'] },
        { argv: [...inside, `--net=${netnsPath(step.netns)}`, 'mount', '-t', 'sysfs', 'sysfs', '/sys'] },
      ];
    }
  }
}

export async function applyStep(runner: Runner, step: LabStep): Promise<void> {
  for (const cmd of stepCommands(step)) await runner.run(cmd);
}

/** releases a host's mount namespace (its private /run/netns goes with it once no process is left in it) */
export async function deleteMountNs(runner: Runner, path: string): Promise<boolean> {
  let released = false;
  for (const target of [path, dirname(path)]) {
    try {
      await runner.run({ argv: ['umount', target] });
      released = true;
    } catch {
      // never mounted (lab up stopped before), or gone already
    }
  }
  return released;
}

export const netnsExists = (name: string): boolean => existsSync(netnsPath(name));

/** deletes a namespace the lab made (its veths go with it); a namespace already gone is no error */
export async function deleteNetns(runner: Runner, name: string): Promise<boolean> {
  if (!netnsExists(name)) return false;
  await runner.run({ argv: ['ip', 'netns', 'delete', name] });
  return true;
}


/**
 * The network namespaces (as /proc/PID/ns/net names them, net:[inode]) a host's kept mount
 * namespace lists in its /run/netns: its agents' qdhcp-… ones, found even when none of the
 * host's processes runs any more (a daemon in one of them is still the lab's to stop).
 */
export async function netnsInMountNs(runner: Runner, path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  try {
    const r = await runner.run({ argv: ['nsenter', `--mount=${path}`, 'find', NETNS_DIR, '-mindepth', '1', '-maxdepth', '1', '-exec', 'stat', '-L', '-c', '%i', '{}', '+'] });
    return r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map((ino) => `net:[${ino}]`);
  } catch {
    // not a namespace kept there (lab up stopped before it was made)
    return [];
  }
}
