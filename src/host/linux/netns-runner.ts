// A Runner whose commands run inside one named network namespace: how an agent for one
// "host" of a lab (a namespace) is driven from outside it. Commands that name their own
// namespace are nested (ip netns exec HOST ip netns exec NS …; namespace names are global).
import type { Command, Result, Runner } from './runner.js';

export class NetnsRunner implements Runner {
  constructor(private readonly inner: Runner, readonly netns: string) {}

  run(cmd: Command): Promise<Result> {
    const argv: Command['argv'] = cmd.netns ? ['ip', 'netns', 'exec', cmd.netns, ...cmd.argv] : cmd.argv;
    return this.inner.run({ ...cmd, argv, netns: this.netns });
  }
}
