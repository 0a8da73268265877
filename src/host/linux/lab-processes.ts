// The lab's long-running processes: started detached (their own session and process group,
// output to a log file), found again by pid from another shell, and stopped only after
// /proc says the pid is still the process the lab started.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/** starts argv in a new session, stdout and stderr appended to `log`; resolves with its pid once it runs */
export function startDetached(argv: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`${argv[0]}: ${err.message}`)));
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid!);
      });
    });
  } finally {
    closeSync(fd);
  }
}

const readOr = (read: () => string): string | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

export const cmdlineOf = (pid: number): string | undefined => readOr(() => readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
export const mountNamespaceOf = (pid: number | 'self'): string | undefined => readOr(() => readlinkSync(`/proc/${pid}/ns/mnt`));

export const netNamespaceOf = (pid: number | 'self'): string | undefined => readOr(() => readlinkSync(`/proc/${pid}/ns/net`));

/** a namespace file's id as /proc/PID/ns/net shows it (net:[inode]) */
export const netNamespaceId = (path: string): string | undefined => readOr(() => `net:[${statSync(path).ino}]`);

/** the namespace files a process sees in its own /run/netns (a lab host's private one: its qdhcp-… namespaces) */
export const netnsFilesSeenBy = (pid: number): string[] => readOr(() => readdirSync(`/proc/${pid}/root/run/netns`).map((n) => `/proc/${pid}/root/run/netns/${n}`).join('\n'))?.split('\n').filter(Boolean) ?? [];

/** the pids of every process in one of those mount namespaces or network namespaces */
export function pidsInNamespaces(mntns: ReadonlySet<string>, netns: ReadonlySet<string>): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => mntns.has(mountNamespaceOf(pid) ?? '') || netns.has(netNamespaceOf(pid) ?? ''));
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the pids (and their process groups when `groups`), SIGKILL to what is left after `graceMs` */
export async function stopPids(pids: number[], groups: boolean, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      for (const target of groups ? [-pid, pid] : [pid]) {
        try {
          process.kill(target, sig);
        } catch {
          // gone already, or not a group leader
        }
      }
    }
  };
  signal('SIGTERM');
  for (const end = Date.now() + graceMs; Date.now() < end && pids.some(alive); ) await sleep(100);
  if (pids.some(alive)) signal('SIGKILL');
  for (const end = Date.now() + 5_000; Date.now() < end && pids.some(alive); ) await sleep(50);
}
