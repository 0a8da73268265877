// Starting and stopping the two servers under test.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitReady } from './http.js';
import { groupMembers, processTree } from './rss.js';

export interface Server {
  name: string;
  url: string;
  pid?: number; // root of the process tree whose RSS is measured
  dbPid?: number; // the reference's database server, when it has one of its own (not in `pid`'s tree)
  note: string; // what the RSS covers
  startSeconds?: number;
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free loopback port p (and p+1 free too when `pair`: the anchor puts MariaDB on p+1). */
export async function freePort(pair = false): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if ((await portFree(p)) && (!pair || (await portFree(p + 1)))) return p;
  }
  throw new Error('no free port found');
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `cloudlet-bench-${tag}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM the process group `pgid` (if any) and every process in the trees of `pids`; SIGKILL after 10 s. */
export async function killTrees(pids: number[], pgid?: number): Promise<void> {
  const all = new Set<number>();
  for (const p of pids) for (const q of processTree(p)) all.add(q);
  if (pgid !== undefined) for (const q of groupMembers(pgid)) for (const r of processTree(q)) all.add(r);
  if (pgid !== undefined) signal(-pgid, 'SIGTERM');
  for (const p of all) signal(p, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && [...all].some(alive)) await new Promise((r) => setTimeout(r, 100));
  if (pgid !== undefined) signal(-pgid, 'SIGKILL');
  for (const p of all) if (alive(p)) signal(p, 'SIGKILL');
}

// Process groups of servers still starting up (the script and all it started share the group).
const starting = new Set<number>();

/** Stop servers interrupted while starting (Ctrl-C during neutron's install or migrations). */
export async function killStarting(): Promise<void> {
  const groups = [...starting];
  starting.clear();
  await Promise.all(groups.map((g) => killTrees([g], g)));
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/**
 * cloudlet: `node <entry> network serve --port P --data-dir DIR` (the command is built by the benchmark);
 * `readyPath` is the GET that says the service is up (default the network service's); `env` is added to
 * this process's environment.
 */
export async function startCloudlet(
  command: (port: number, dataDir: string) => string[],
  readyPath?: string,
  env: Record<string, string> = {},
): Promise<Server> {
  const port = await freePort();
  const dir = tempDir('cloudlet');
  const log = join(dir, 'server.log');
  const fd = openSync(log, 'w');
  const [cmd, ...args] = command(port, join(dir, 'data'));
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, ...env } });
  closeSync(fd);
  if (child.pid !== undefined) starting.add(child.pid);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const kill = async (): Promise<void> => {
    if (child.pid !== undefined) await killTrees([child.pid], child.pid);
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = await waitReady(url, 30_000, () => !exited, readyPath);
  if (child.pid !== undefined) starting.delete(child.pid);
  if (!ready) {
    await kill(); // keeps the log
    throw new Error(`cloudlet did not answer on ${url} within 30 s; log ${log}:\n${tail(log)}`);
  }
  return { name: 'cloudlet', url, pid: child.pid, note: 'server process + descendants', startSeconds: (performance.now() - t0) / 1000, stop };
}

/**
 * Runs an anchor script `SCRIPT PORT DIR` in a new process group (the script and what it starts share it)
 * and waits for it to print the PIDs of what it started; installs on first use may take minutes.
 */
export async function runAnchor(script: string, port: number, tag: string): Promise<{ dir: string; t0: number; pgid: number | undefined; code: number | null; out: string; err: string }> {
  const dir = tempDir(tag);
  const t0 = performance.now();
  const child = spawn('bash', [script, String(port), dir], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) starting.add(child.pid);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      signal(-child.pid!, 'SIGTERM');
      resolve(null);
    }, 900_000);
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (child.pid !== undefined) starting.delete(child.pid);
  return { dir, t0, pgid: child.pid, code, out, err };
}

/**
 * A reference that runs with a private MariaDB: `script PORT DIR` prints "SERVER_PID MARIADB_PID" and
 * possibly more fields (returned in `extra`); the database listens on PORT+1.
 */
async function startWithDatabase(script: string, tag: string, name: string, note: string): Promise<Server & { extra: string[] }> {
  if (!existsSync(script)) throw new Error(`missing ${script}`);
  const port = await freePort(true);
  // the anchor installs packages on first use (minutes), then waits for the API
  const { dir, t0, pgid, code, out, err } = await runAnchor(script, port, tag);
  const [spid, dbpid, ...extra] = out.trim().split(/\s+/);
  const pids = [Number(spid), Number(dbpid)];
  const kill = async (): Promise<void> => {
    await killTrees(pids.filter((p) => Number.isInteger(p) && p > 0), pgid);
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true }); // MariaDB data and logs
  };
  if (code !== 0 || !(pids[0]! > 0) || !(pids[1]! > 0)) {
    await kill(); // keeps the logs
    throw new Error(`${script} failed (exit ${code}): ${err.trim()}\nlogs in ${dir}/logs`);
  }
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: pids[0],
    dbPid: pids[1],
    note,
    startSeconds: (performance.now() - t0) / 1000,
    stop,
    extra,
  };
}

/** neutron-server via bench/anchors/neutron-server.sh PORT DIR, which prints "NEUTRON_PID MARIADB_PID". */
export async function startNeutron(script: string): Promise<Server> {
  const { extra: _, ...server } = await startWithDatabase(script, 'neutron', 'neutron-server', 'neutron-server + its API/RPC/periodic workers; MariaDB not counted');
  return server;
}

/**
 * keystone via bench/anchors/keystone.sh PORT DIR, which prints "UWSGI_PID MARIADB_PID SETUP_T0 SERVE_T0":
 * the epoch seconds when it began setting up (after any package install) and when it started uwsgi.
 * `startSeconds` runs from SETUP_T0 (MariaDB, db_sync, keys, bootstrap, serve: what cloudlet's first start
 * does), `serveSeconds` from SERVE_T0, both until the anchor saw GET /v3 answer.
 */
export async function startKeystone(script: string): Promise<Server & { serveSeconds?: number }> {
  const { extra, ...server } = await startWithDatabase(script, 'keystone', 'keystone', 'uwsgi master + workers; MariaDB not counted');
  const now = Date.now() / 1000;
  const since = (t: string | undefined): number | undefined => {
    const v = Number(t);
    return t !== undefined && Number.isFinite(v) && v > 0 && v <= now ? now - v : undefined;
  };
  return { ...server, startSeconds: since(extra[0]), serveSeconds: since(extra[1]) };
}

/**
 * The reference registry (Debian's docker-registry, CNCF distribution) via bench/anchors/docker-registry.sh PORT DIR,
 * which installs it on first use, starts it on 127.0.0.1:PORT with its storage under DIR and prints its PID.
 */
export async function startDockerRegistry(script: string): Promise<Server> {
  if (!existsSync(script)) throw new Error(`missing ${script}`);
  const port = await freePort();
  const { dir, t0, pgid, code, out, err } = await runAnchor(script, port, 'distribution');
  const pid = Number(out.trim());
  const kill = async (): Promise<void> => {
    await killTrees(Number.isInteger(pid) && pid > 0 ? [pid] : [], pgid);
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  if (code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    await kill(); // keeps the log
    throw new Error(`docker-registry.sh failed (exit ${code}): ${err.trim()}\nlog: ${tail(join(dir, 'registry.log'))}`);
  }
  return {
    name: 'distribution',
    url: `http://127.0.0.1:${port}`,
    pid,
    note: 'docker-registry process',
    startSeconds: (performance.now() - t0) / 1000,
    stop,
  };
}

/**
 * The servers a benchmark started, stopped on every way out: `guard` stops them (and those still starting)
 * on SIGINT/SIGTERM and, given a limit, when the whole run exceeds it; `exit` when `main` fails.
 */
export class Servers {
  private readonly live = new Set<Server>();
  private readonly cleanups: Array<() => void> = [];

  constructor(private readonly say: (s: string) => void) {}

  async start(what: () => Promise<Server>): Promise<Server> {
    const server = await what();
    this.live.add(server);
    return server;
  }

  async stop(server: Server): Promise<void> {
    if (!this.live.delete(server)) return;
    this.say(`stopping ${server.name}`);
    await server.stop();
  }

  /** `undo` (removing a temp file…) runs once, after the servers have stopped, on whichever way out comes first. */
  onStop(undo: () => void): void {
    this.cleanups.push(undo);
  }

  async stopAll(): Promise<void> {
    await Promise.all([killStarting(), ...[...this.live].map((s) => this.stop(s))]);
    for (const undo of this.cleanups.splice(0)) undo();
  }

  /** Without `limitSeconds`, only the signals. */
  guard(limitSeconds?: number): void {
    const bail = async (why: string, code: number): Promise<void> => {
      this.say(why);
      await this.stopAll();
      process.exit(code);
    };
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void bail(`${sig}: stopping servers`, 130));
    if (limitSeconds !== undefined) {
      setTimeout(() => void bail(`run limit of ${limitSeconds.toFixed(0)} s reached: stopping`, 1), limitSeconds * 1000).unref();
    }
  }

  /** Exits with the code `main` resolves to; if it fails, prints why, stops everything and exits 1. */
  exit(main: Promise<number>): void {
    void main.then(
      (code) => process.exit(code),
      async (e: unknown) => {
        console.error(e instanceof Error ? e.message : e);
        await this.stopAll();
        process.exit(1);
      },
    );
  }
}
