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
 * `readyPath` is the GET that says the service is up (default the network service's).
 */
export async function startCloudlet(command: (port: number, dataDir: string) => string[], readyPath?: string): Promise<Server> {
  const port = await freePort();
  const dir = tempDir('cloudlet');
  const log = join(dir, 'server.log');
  const fd = openSync(log, 'w');
  const [cmd, ...args] = command(port, join(dir, 'data'));
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', fd, fd], detached: true });
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
async function runAnchor(script: string, port: number, tag: string): Promise<{ dir: string; t0: number; pgid: number | undefined; code: number | null; out: string; err: string }> {
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

/** neutron-server via bench/anchors/neutron-server.sh PORT DIR, which prints "NEUTRON_PID MARIADB_PID". */
export async function startNeutron(script: string): Promise<Server> {
  if (!existsSync(script)) throw new Error(`missing ${script}`);
  const port = await freePort(true);
  // the anchor installs packages on first use (minutes), then waits up to 60 s for the API
  const { dir, t0, pgid, code, out, err } = await runAnchor(script, port, 'neutron');
  const [npid, dbpid] = out.trim().split(/\s+/).map(Number);
  const kill = async (): Promise<void> => {
    await killTrees([npid, dbpid].filter((p): p is number => Number.isInteger(p) && p > 0), pgid);
  };
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true }); // MariaDB data and logs
  };
  if (code !== 0 || !npid || !dbpid) {
    await kill(); // keeps the logs
    throw new Error(`neutron-server.sh failed (exit ${code}): ${err.trim()}\nlogs in ${dir}/logs`);
  }
  return {
    name: 'neutron-server',
    url: `http://127.0.0.1:${port}`,
    pid: npid,
    note: 'neutron-server + its API/RPC/periodic workers; MariaDB not counted',
    startSeconds: (performance.now() - t0) / 1000,
    stop,
  };
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
