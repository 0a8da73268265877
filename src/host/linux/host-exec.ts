// What runs first in a lab host, started as `nsenter --net=… --mount=… cloudlet lab host-exec
// -- CMD…` (the host's network namespace and its mount namespace, with the host's private
// /run/netns and sysfs): CMD as a child (Node cannot exec), which gets the signals this
// process gets and whose exit it ends with; its cmdline names the process for `lab down`.
// Here with the other process code: src/host/linux is the only place that starts programs.
import { spawn } from 'node:child_process';

export async function hostExec(argv: string[]): Promise<never> {
  if (argv.length === 0) throw new Error('host-exec: no command given');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((_, reject) => {
    child.once('error', (err) => reject(new Error(`${argv[0]}: ${err.message}`)));
    child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
  });
}
