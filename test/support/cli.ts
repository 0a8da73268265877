// The built `cloudlet` command in a child process, as a person runs it: on a
// pipe, or on a pseudo-terminal (util-linux `script`), where Ctrl-C is a byte
// written to the terminal. HOME and the data directory are the test's own.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backends.js';

export const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'src', 'cli', 'main.js');

export function requireBuiltCli(): void {
  assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface Sandbox {
  home: string;
  fresh: Awaited<ReturnType<Backend['fresh']>>;
  ports: { identity: number; network: number; registry: number };
  /** `up`'s flags for these ports, and --no-agents: a test's `up` must not wire this machine (tests run as root) */
  portFlags: string[];
  /** HOME (so clouds.yaml) and the data directory the test's own, the backend's database */
  env: NodeJS.ProcessEnv;
}

/** a temp HOME, a fresh database and free ports, all removed after the test (even when it fails) */
export async function sandbox(t: { after(fn: () => unknown): void }, backend: Backend): Promise<Sandbox> {
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const fresh = await backend.fresh();
  t.after(() => fresh.cleanup());
  const ports = { identity: await freePort(), network: await freePort(), registry: await freePort() };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    CLOUDLET_DATA_DIR: fresh.dataDir,
    ...(fresh.databaseUrl ? { CLOUDLET_DATABASE_URL: fresh.databaseUrl } : {}),
  };
  const portFlags = ['--identity-port', String(ports.identity), '--network-port', String(ports.network), '--registry-port', String(ports.registry), '--no-agents'];
  return { home, fresh, ports, portFlags, env };
}

export type Run = { code: number; stdout: string; stderr: string };

/** runs a command to its end */
export function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

export const cloudlet = (args: string[], env: NodeJS.ProcessEnv): Promise<Run> => exec(process.execPath, [CLI, ...args], env);

export interface Served {
  child: ChildProcess;
  /** what it wrote so far (stdout and stderr; on a terminal, one stream with \r\n) */
  out(): string;
  /** waits until the output matches */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Ctrl-C on a terminal, SIGINT otherwise; resolves with the exit code */
  stop(): Promise<number | null>;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** starts `cloudlet <args>` and resolves once its output matches `ready` */
export async function serve(args: string[], env: NodeJS.ProcessEnv, opts: { tty?: boolean; ready?: RegExp; prefix?: string[] } = {}): Promise<Served> {
  // prefix: a command that runs cloudlet (setpriv as another user)
  const command = [...(opts.prefix ?? []), process.execPath, CLI, ...args];
  const child = opts.tty
    ? // exec: the shell would die of Ctrl-C's SIGINT itself (130) instead of waiting for cloudlet's own exit
      spawn('script', ['-qefc', `exec ${command.map(quote).join(' ')}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const add = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const served: Served = {
    child,
    out: () => out,
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in ${ms} ms:\n${out}`));
        }, ms);
        const gone = () => {
          done();
          reject(new Error(`cloudlet ${args.join(' ')} exited before ${pattern}:\n${out}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', gone);
        };
        listeners.add(check);
        child.once('exit', gone);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      if (opts.tty) child.stdin!.write('\x03');
      else child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await served.waitFor(opts.ready ?? /Ctrl-C stops it/);
  } catch (err) {
    await served.stop();
    throw err;
  }
  return served;
}
