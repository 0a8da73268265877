// The one place cloudlet runs system commands: argument arrays, never a shell string.
// Everything in src/host/linux builds Commands and hands them to a Runner; planners
// produce plain data and never see a Runner. RecordingRunner stands in for unit tests.
import { execFile } from 'node:child_process';

export interface Command {
  /** program and arguments; argv[0] is looked up in PATH */
  argv: readonly [string, ...string[]];
  /** run inside this named network namespace (ip netns exec NAME …) */
  netns?: string;
  /** written to stdin */
  input?: string;
  /** exit codes that are not failures (default: 0 only) */
  okCodes?: readonly number[];
  /** variables set for it, over this process's environment */
  env?: Readonly<Record<string, string>>;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Runner {
  run(cmd: Command): Promise<Result>;
}

/** A command that ended with a code it was not allowed to. */
export class CommandError extends Error {
  constructor(readonly argv: readonly string[], readonly result: Result) {
    super(`${argv.join(' ')}: exit ${result.code}: ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
    this.name = 'CommandError';
  }
}

/** the program itself was not found (ExecRunner: spawn's ENOENT) */
export const programMissing = (err: unknown): boolean => err instanceof CommandError && err.result.code === -1 && /\bENOENT\b/.test(err.result.stderr);

export const fullArgv = (cmd: Command): string[] => (cmd.netns ? ['ip', 'netns', 'exec', cmd.netns, ...cmd.argv] : [...cmd.argv]);

export class ExecRunner implements Runner {
  constructor(private readonly timeoutMs = 30_000) {}

  run(cmd: Command): Promise<Result> {
    const argv = fullArgv(cmd);
    return new Promise((resolve, reject) => {
      const child = execFile(argv[0], argv.slice(1), { timeout: this.timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8', env: cmd.env && { ...process.env, ...cmd.env } }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && typeof err.code !== 'number') return reject(new CommandError(argv, { code, stdout, stderr: stderr || err.message }));
        const result = { code, stdout, stderr };
        if (!(cmd.okCodes ?? [0]).includes(code)) return reject(new CommandError(argv, result));
        resolve(result);
      });
      if (cmd.input !== undefined) child.stdin?.end(cmd.input);
    });
  }
}

/** Records every command; answers from `replies` (matched by the full argv joined with spaces), else success with empty output. */
export class RecordingRunner implements Runner {
  readonly commands: Command[] = [];
  constructor(private readonly replies: Record<string, Partial<Result>> = {}) {}

  async run(cmd: Command): Promise<Result> {
    this.commands.push(cmd);
    const reply = this.replies[fullArgv(cmd).join(' ')] ?? {};
    const result = { code: reply.code ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
    if (!(cmd.okCodes ?? [0]).includes(result.code)) throw new CommandError(fullArgv(cmd), result);
    return result;
  }

  /** the commands run, each as one string (for assertions) */
  lines(): string[] {
    return this.commands.map((c) => fullArgv(c).join(' '));
  }
}
