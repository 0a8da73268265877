// placeholder: replaced at merge by dp-l2
// (the real plugPort/unplugPort: a veth pair, tap<port> in the network's bridge, the port's MAC and MTU inside the netns)
import type { Runner } from '../host/linux/runner.js';

export async function plugPort(_runner: Runner, _p: { portId: string; mac: string; mtu: number; netns: string; ifname: string }): Promise<void> {
  throw new Error('plugPort is a placeholder on this branch');
}

export async function unplugPort(_runner: Runner, _portId: string): Promise<void> {
  throw new Error('unplugPort is a placeholder on this branch');
}
