// Many ip/bridge commands in one process: `ip -batch -` reads them from stdin. A reconcile
// that makes a thousand ports' links runs a handful of processes, not thousands (a spawn
// costs milliseconds). On a failure iproute2 stops and names the line; the rest runs on.
import { CommandError, type Command, type Runner } from './runner.js';

/** consecutive commands of one program batched from this many on (fewer run one by one) */
const MIN_BATCH = 4;

// batch lines are split on blanks: only plain words go there
const plainWord = (a: string): boolean => a.length > 0 && !/[\s"'\\#]/.test(a);

const batchable = (c: Command): boolean =>
  (c.argv[0] === 'ip' || c.argv[0] === 'bridge') && !c.netns && c.input === undefined && (c.okCodes === undefined || (c.okCodes.length === 1 && c.okCodes[0] === 0)) && c.argv.every(plainWord);

/**
 * Runs `cmds` in order, batching runs of ip or bridge commands. Returns the failures by index
 * into `cmds`; a failure does not stop the commands after it.
 */
export async function runEach(runner: Runner, cmds: readonly Command[]): Promise<Map<number, Error>> {
  const failed = new Map<number, Error>();
  let i = 0;
  while (i < cmds.length) {
    let j = i;
    while (j < cmds.length && batchable(cmds[j]) && cmds[j].argv[0] === cmds[i].argv[0]) j++;
    if (j - i >= MIN_BATCH) {
      await runBatch(runner, cmds, i, j, failed);
      i = j;
      continue;
    }
    let k = i;
    while (k < cmds.length && isSysctlWrite(cmds[k])) k++;
    if (k - i >= 2 && (await runSysctls(runner, cmds.slice(i, k)))) {
      i = k;
      continue;
    }
    const end = Math.max(j, i + 1);
    for (; i < end; i++) {
      try {
        await runner.run(cmds[i]);
      } catch (e) {
        failed.set(i, e as Error);
      }
    }
  }
  return failed;
}

const isSysctlWrite = (c: Command): boolean => c.argv[0] === 'sysctl' && c.argv[1] === '-q' && c.argv[2] === '-w' && c.argv.length === 4 && !c.netns && c.okCodes === undefined;

/** several `sysctl -q -w K=V` as one; false when that failed (then they run one by one, for their own errors) */
async function runSysctls(runner: Runner, cmds: readonly Command[]): Promise<boolean> {
  const r = await runner.run({ argv: ['sysctl', '-q', '-w', ...cmds.map((c) => c.argv[3])], okCodes: [0, 1, 255] });
  return r.code === 0;
}

async function runBatch(runner: Runner, cmds: readonly Command[], from: number, to: number, failed: Map<number, Error>): Promise<void> {
  const program = cmds[from].argv[0];
  while (from < to) {
    const lines = cmds.slice(from, to).map((c) => c.argv.slice(1).join(' '));
    const r = await runner.run({ argv: [program, '-batch', '-'], input: lines.join('\n') + '\n', okCodes: [0, 1, 2, 255] });
    if (r.code === 0) return;
    const at = /Command failed -:(\d+)/.exec(r.stderr);
    const line = at ? Number(at[1]) : NaN;
    if (!(line >= 1 && line <= lines.length)) {
      // not iproute2's usual report: every command of the batch counts as failed
      for (let k = from; k < to; k++) failed.set(k, new CommandError([program, '-batch', '-'], r));
      return;
    }
    const idx = from + line - 1;
    const own = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Command failed')).join('\n');
    failed.set(idx, new CommandError([...cmds[idx].argv], { ...r, stderr: own }));
    from = idx + 1;
  }
}
