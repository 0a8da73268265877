// dnsmasq processes, one per network, each known by its --pid-file. dnsmasq daemonizes
// itself (fork, setsid, stdio to /dev/null) and its parent exits once the pid file is
// written, so starting it through the Runner returns with a process that is no child of
// ours and outlives the agent. A pid is trusted (signalled) only when /proc/PID/cmdline
// is dnsmasq carrying that very --pid-file: a recycled pid is never killed.
import { readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Runner } from './runner.js';

/** what dnsmasq.ts reads and signals, apart from the Runner (a fake in unit tests) */
export interface ProcessTable {
  readFile(path: string): Promise<string | null>;
  /** argv of a live process, null when there is none */
  cmdline(pid: number): Promise<string[] | null>;
  /** send a signal; false when the process is gone */
  signal(pid: number, sig: NodeJS.Signals): boolean;
  removeFile(path: string): Promise<void>;
  sleep(ms: number): Promise<void>;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export const procTable: ProcessTable = {
  readFile: readOrNull,
  async cmdline(pid) {
    const raw = await readOrNull(`/proc/${pid}/cmdline`);
    if (!raw) return null; // gone, or a zombie (empty cmdline)
    return raw.replace(/\0$/, '').split('\0');
  },
  signal(pid, sig) {
    try {
      process.kill(pid, sig);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  },
  removeFile: (path) => rm(path, { force: true }),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface DnsmasqProcess {
  pid: number;
  /** its argv, as /proc shows it */
  argv: string[];
}

/** the --pid-file argument of a dnsmasq argv */
export const pidFileArg = (pidFile: string): string => `--pid-file=${pidFile}`;

export class Dnsmasq {
  constructor(
    private readonly runner: Runner,
    private readonly procs: ProcessTable = procTable,
  ) {}

  /** the live dnsmasq that owns `pidFile`, or null (no file, dead, or a stranger's pid) */
  async find(pidFile: string): Promise<DnsmasqProcess | null> {
    const text = await this.procs.readFile(pidFile);
    const pid = Number.parseInt(text?.trim() ?? '', 10);
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const argv = await this.procs.cmdline(pid);
    if (!argv || basename(argv[0] ?? '') !== 'dnsmasq' || !argv.includes(pidFileArg(pidFile))) return null;
    return { pid, argv };
  }

  /** start dnsmasq with `args` (which must hold --pid-file) inside `netns`; returns once it runs */
  async start(netns: string, program: string, args: string[], pidFile: string): Promise<DnsmasqProcess> {
    if (!args.includes(pidFileArg(pidFile))) throw new Error(`dnsmasq arguments lack ${pidFileArg(pidFile)}`);
    await this.procs.removeFile(pidFile);
    await this.runner.run({ argv: [program, ...args], netns });
    for (let i = 0; i < 50; i++) {
      const proc = await this.find(pidFile);
      if (proc) return proc;
      await this.procs.sleep(20);
    }
    throw new Error(`dnsmasq started in ${netns} but ${pidFile} names no running dnsmasq`);
  }

  /** SIGHUP: dnsmasq rereads --dhcp-hostsfile, --dhcp-optsfile and --addn-hosts */
  reload(proc: DnsmasqProcess): boolean {
    return this.procs.signal(proc.pid, 'SIGHUP');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; removes the pid file */
  async stop(proc: DnsmasqProcess, pidFile: string, graceMs = 3000): Promise<void> {
    if (this.procs.signal(proc.pid, 'SIGTERM')) {
      const deadline = graceMs / 20;
      let i = 0;
      while ((await this.procs.cmdline(proc.pid)) !== null && i++ < deadline) await this.procs.sleep(20);
      if ((await this.procs.cmdline(proc.pid)) !== null) this.procs.signal(proc.pid, 'SIGKILL');
    }
    await this.procs.removeFile(pidFile);
  }
}
