// Peak resident memory of a process and all its descendants, from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** [pid, ppid, pgrp] of every live process (the kernel here has no /proc/PID/task/TID/children). */
function processes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ..." — comm may contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push([Number(name), Number(rest[1]), Number(rest[2])]);
  }
  return out;
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return processes()
    .filter(([, , g]) => g === pgid)
    .map(([p]) => p);
}

/** pid and all its descendants that are alive now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [p, ppid] of processes()) {
    const list = children.get(ppid);
    if (list) list.push(p);
    else children.set(ppid, [p]);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    out.push(p);
    for (const c of children.get(p) ?? []) todo.push(c);
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples the summed VmRSS of a process tree every intervalMs until stop(). */
export class RssSampler {
  peakKiB = 0;
  peakProcs = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number, private readonly intervalMs = 200) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.peakMiB;
  }

  get peakMiB(): number {
    return this.peakKiB / 1024;
  }

  private sample(): void {
    const tree = processTree(this.pid);
    let sum = 0;
    let live = 0;
    for (const p of tree) {
      const kib = rssKiB(p);
      if (kib > 0) live++;
      sum += kib;
    }
    this.samples++;
    if (sum > this.peakKiB) {
      this.peakKiB = sum;
      this.peakProcs = live;
    }
  }
}

export interface LoadSummary {
  loadSeconds: number;
  peakRssMiB?: number;
  startRssMiB?: number;
  rssSamples: number;
  loadAvg: number; // 1-minute load average when the load started (other work on the machine shows here)
}

/** Watches one server over a whole load, from construction to stop(): time taken, RSS of its tree, machine load. */
export class LoadWatch {
  private readonly t0 = performance.now();
  private readonly loadAvg = os.loadavg()[0]!;
  private readonly sampler: RssSampler | undefined;
  private readonly startRssMiB: number | undefined;

  constructor(pid: number | undefined) {
    this.sampler = pid === undefined ? undefined : new RssSampler(pid).start();
    this.startRssMiB = this.sampler?.peakMiB;
  }

  stop(): LoadSummary {
    return {
      loadSeconds: (performance.now() - this.t0) / 1000,
      peakRssMiB: this.sampler?.stop(),
      startRssMiB: this.startRssMiB,
      rssSamples: this.sampler?.samples ?? 0,
      loadAvg: this.loadAvg,
    };
  }
}
