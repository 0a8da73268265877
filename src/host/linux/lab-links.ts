// The lab's kernel objects (namespaces, the switch bridge, underlay veths) as ip commands.
// Lab-owned: the agents' own link code lives beside it; the lab needs only these few.
import { existsSync } from 'node:fs';
import type { LabStep } from '../../lab/plan.js';
import type { Command, Runner } from './runner.js';

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
  }
}

export async function applyStep(runner: Runner, step: LabStep): Promise<void> {
  for (const cmd of stepCommands(step)) await runner.run(cmd);
}

export const netnsExists = (name: string): boolean => existsSync(netnsPath(name));

/** deletes a namespace the lab made (its veths go with it); a namespace already gone is no error */
export async function deleteNetns(runner: Runner, name: string): Promise<boolean> {
  if (!netnsExists(name)) return false;
  await runner.run({ argv: ['ip', 'netns', 'delete', name] });
  return true;
}

/**
 * What a lab host's processes run first, inside the host's network namespace and a private
 * mount namespace: a tmpfs on /run/netns, so the `qdhcp-…` namespaces its agents add do not
 * collide with another host's, and a sysfs of this network namespace (as `ip netns exec` does).
 */
export const privateNetnsMounts = (): Command[] => [
  { argv: ['mount', '--make-rprivate', '/'] },
  { argv: ['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'cloudlet-lab-netns', NETNS_DIR] },
  { argv: ['umount', '--lazy', '/sys'] },
  { argv: ['mount', '-t', 'sysfs', 'sysfs', '/sys'] },
];
