// Namespaces for the L2 root tests: two "hosts" joined by a veth underlay, instances
// plugged into them, every name unique to the run and everything removed by cleanup().
import { randomBytes } from 'node:crypto';
import { requireTool } from '../support/backends.js';
import { ExecRunner, type Command, type Result, type Runner } from '../../src/host/linux/runner.js';

export const exec = new ExecRunner();
export const sh = (argv: Command['argv'], okCodes?: number[]): Promise<Result> => exec.run({ argv, okCodes });

export function requireRootNetworking(): void {
  if (process.getuid?.() !== 0) throw new Error('this test makes network namespaces and needs root (run it as root; CI does)');
  requireTool('ip', 'iproute2');
  requireTool('bridge', 'iproute2');
  requireTool('busybox', 'busybox-static');
}

export class Lab {
  readonly suffix = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];

  /** a new namespace named `${prefix}-${suffix}`, with lo up */
  async netns(prefix: string): Promise<string> {
    const name = `${prefix}-${this.suffix}`;
    await sh(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** two hosts on one underlay: `a` and `b` with addresses ipA/ipB (/24) */
  async underlay(a: string, ipA: string, b: string, ipB: string): Promise<void> {
    await sh(['ip', 'link', 'add', 'ul0', 'netns', a, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', b]);
    for (const [ns, ip] of [[a, ipA], [b, ipB]] as const) {
      await sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0']);
      await sh(['ip', '-n', ns, 'link', 'set', 'ul0', 'up']);
    }
  }

  /** removes every namespace made (their links go with them); never throws */
  async cleanup(): Promise<void> {
    for (const ns of this.namespaces.reverse()) await sh(['ip', 'netns', 'del', ns], [0, 1, 255]).catch(() => undefined);
  }
}

/** a Runner that records what it runs and passes it on */
export class TeeRunner implements Runner {
  readonly lines: string[] = [];
  constructor(private readonly inner: Runner) {}
  run(cmd: Command): Promise<Result> {
    this.lines.push(cmd.argv.join(' '));
    return this.inner.run(cmd);
  }
}

/** reads are `… show`, `sysctl -e`, and the 802.1Q probe (which makes nothing here) */
export const isMutating = (line: string): boolean => !/ show( |$)/.test(line) && !line.startsWith('sysctl -e') && !line.includes('cl-vlan-probe');

export async function ping(fromNs: string, ip: string, waitS = 2): Promise<boolean> {
  const r = await sh(['ip', 'netns', 'exec', fromNs, 'busybox', 'ping', '-c', '1', '-W', String(waitS), ip], [0, 1]);
  return r.code === 0;
}
