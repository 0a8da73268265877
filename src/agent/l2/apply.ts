// Steps → the Linux adapter's commands. The only place the L2 agent's plan meets a Runner.
import { fdbAppendCommand, fdbDelCommand, fdbReplaceCommand, FLOOD_MAC } from '../../host/linux/fdb.js';
import { addMarkedLinkCommands, delLinkCommand, setLinkCommand } from '../../host/linux/links.js';
import { neighDelCommand, neighReplaceCommand } from '../../host/linux/neigh.js';
import { runEach } from '../../host/linux/batch.js';
import type { Command, Runner } from '../../host/linux/runner.js';
import { sysctlWriteCommand } from '../../host/linux/sysctl.js';
import type { Step } from './steps.js';

export function commandsFor(step: Step): Command[] {
  switch (step.op) {
    case 'create':
      return addMarkedLinkCommands(step.name, step.link, step.mark, step.mtu);
    case 'set':
      return [setLinkCommand(step.name, step.change)];
    case 'delete':
      return [delLinkCommand(step.name)];
    case 'flood-add':
      return [fdbAppendCommand(FLOOD_MAC, step.dev, step.dst)];
    case 'flood-del':
      return [fdbDelCommand(FLOOD_MAC, step.dev, step.dst)];
    case 'fdb-set':
      return [fdbReplaceCommand(step.mac, step.dev, step.dst)];
    case 'fdb-del':
      return [fdbDelCommand(step.mac, step.dev, step.dst ?? undefined)];
    case 'neigh-set':
      return [neighReplaceCommand(step.ip, step.mac, step.dev)];
    case 'neigh-del':
      return [neighDelCommand(step.ip, step.dev)];
    case 'sysctl':
      return [sysctlWriteCommand(step.key, step.value)];
  }
}

/**
 * Runs every step in order (runs of ip/bridge commands batched). A step that fails (a tap
 * unplugged meanwhile, say) does not stop the others: its error is returned, and the next
 * reconcile plans it again from the kernel.
 */
export async function applySteps(runner: Runner, steps: readonly Step[]): Promise<Array<{ step: Step; error: Error }>> {
  const cmds: Command[] = [];
  const stepOf: number[] = [];
  steps.forEach((step, i) => {
    for (const c of commandsFor(step)) {
      cmds.push(c);
      stepOf.push(i);
    }
  });
  const errors = await runEach(runner, cmds);
  const failed = new Map<number, Error>();
  for (const [k, error] of errors) if (!failed.has(stepOf[k])) failed.set(stepOf[k], error);
  return [...failed].map(([i, error]) => ({ step: steps[i], error }));
}
