// Figures, the stdout table and the docs/BENCHMARKS.md section.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import type { CreatePhase, CreateStep, ReadResult } from './load.js';

export interface SystemResult {
  name: string;
  url: string;
  startSeconds?: number;
  rssNote: string;
  phases: CreatePhase[];
  listNetworks: ReadResult;
  listedNetworks: number;
  portsOfNetwork: ReadResult;
  peakRssMiB?: number;
  errors: number;
  errorSamples: string[];
  loadSeconds: number;
}

export interface Figure {
  label: string;
  unit: string;
  higherIsBetter: boolean;
  value: (r: SystemResult) => number | undefined;
}

const rate = (s: CreateStep): number => (s.seconds > 0 ? s.ok / s.seconds : 0);
const both = (p: CreatePhase): CreateStep => ({
  requests: p.netSubnet.requests + p.ports.requests,
  ok: p.netSubnet.ok + p.ports.ok,
  seconds: p.netSubnet.seconds + p.ports.seconds,
  truncated: p.netSubnet.truncated || p.ports.truncated,
});

export function figures(phaseLabels: string[]): Figure[] {
  const out: Figure[] = [];
  phaseLabels.forEach((label, i) => {
    out.push(
      { label: `${label}: all creates/s`, unit: 'req/s', higherIsBetter: true, value: (r) => rate(both(r.phases[i])) },
      { label: `${label}: network+subnet creates/s`, unit: 'req/s', higherIsBetter: true, value: (r) => rate(r.phases[i].netSubnet) },
      { label: `${label}: port-creating requests/s`, unit: 'req/s', higherIsBetter: true, value: (r) => rate(r.phases[i].ports) },
    );
  });
  out.push(
    { label: 'GET /v2.0/networks (full list), 8 clients', unit: 'req/s', higherIsBetter: true, value: (r) => rps(r.listNetworks) },
    { label: 'GET /v2.0/ports?network_id=X, 8 clients', unit: 'req/s', higherIsBetter: true, value: (r) => rps(r.portsOfNetwork) },
    { label: 'server peak RSS', unit: 'MiB', higherIsBetter: false, value: (r) => r.peakRssMiB },
  );
  return out;
}

const rps = (r: ReadResult): number => (r.seconds > 0 ? r.ok / r.seconds : 0);

export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** cloudlet / neutron for throughputs, neutron / cloudlet for memory: bigger is better for cloudlet. */
function ratio(f: Figure, c: SystemResult, n: SystemResult): number | undefined {
  const a = f.value(c);
  const b = f.value(n);
  if (a === undefined || b === undefined || a <= 0 || b <= 0) return undefined;
  return f.higherIsBetter ? a / b : b / a;
}

const TARGET_THROUGHPUT = 100; // ≥100× neutron-server on every throughput figure
const TARGET_MEMORY = 8; // < 1/8 of neutron-server's memory

function verdict(f: Figure, x: number | undefined): string {
  if (x === undefined) return 'n/a';
  return f.higherIsBetter ? (x >= TARGET_THROUGHPUT ? 'met' : 'MISSED') : x > TARGET_MEMORY ? 'met' : 'MISSED';
}

function rows(figs: Figure[], c: SystemResult, n?: SystemResult): string[][] {
  return figs.map((f) => {
    const row = [f.label, f.unit, fmt(f.value(c))];
    if (n) {
      const x = ratio(f, c, n);
      row.push(fmt(f.value(n)), x === undefined ? 'n/a' : `${fmt(x)}×`, f.higherIsBetter ? `≥${TARGET_THROUGHPUT}×` : `>${TARGET_MEMORY}× (<1/8)`, verdict(f, x));
    }
    return row;
  });
}

function header(c: SystemResult, n?: SystemResult): string[] {
  return n ? ['figure', 'unit', c.name, n.name, 'ratio', 'target', 'verdict'] : ['figure', 'unit', c.name];
}

function notes(all: SystemResult[]): string[] {
  const out: string[] = [];
  for (const r of all) {
    const trunc = r.phases.filter((p) => p.netSubnet.truncated || p.ports.truncated).map((p) => p.label);
    out.push(
      `${r.name}: ${r.url}; ${r.listedNetworks} networks listed at read time; load ${r.loadSeconds.toFixed(0)} s` +
        (r.startSeconds !== undefined ? `; start-up ${r.startSeconds.toFixed(1)} s` : '') +
        `; RSS: ${r.peakRssMiB === undefined ? 'not measured (no --pid)' : r.rssNote}`,
    );
    if (trunc.length > 0) out.push(`${r.name}: STOPPED BY THE STEP TIME LIMIT in ${trunc.join(', ')} (rates are over what completed)`);
    out.push(...errorNotes(r.name, r.errors, r.errorSamples));
  }
  return out;
}

/**
 * The notes on a system's failed requests: how many (`inWindows` of them inside measured windows, when
 * known), then the samples kept, indented.
 */
export function errorNotes(name: string, errors: number, samples: string[], inWindows?: number): string[] {
  if (errors === 0) return [`${name}: no non-2xx answers`];
  const where = inWindows === undefined ? '' : ` (${inWindows} inside the request-rate windows)`;
  return [`${name}: ${errors} NON-2xx ANSWERS OR ERRORS${where} — figures are not clean`, ...samples.map((s) => `  ${name} error: ${s}`)];
}

export function printTable(figs: Figure[], c: SystemResult, n?: SystemResult): void {
  console.log(['', ...textTable([header(c, n), ...rows(figs, c, n)], (i) => i < 2), ''].join('\n'));
  for (const s of notes(n ? [c, n] : [c])) console.log(s);
}

export interface RunInfo {
  command: string;
  date: string;
  machine: string;
  load: string;
}

/** `title`: the section's heading, "Network service" for the SQLite run, another one per database. */
export function markdownSection(info: RunInfo, figs: Figure[], c: SystemResult, n?: SystemResult, title = 'Network service'): string {
  return section(
    title,
    info,
    `Targets: at least ${TARGET_THROUGHPUT}× neutron-server's throughput on every figure, and less than 1/${TARGET_MEMORY} of its memory` +
      ' (ratios: cloudlet / neutron-server for throughputs, neutron-server / cloudlet for memory).',
    [header(c, n), ...rows(figs, c, n)],
    notes(n ? [c, n] : [c]),
  );
}

/** A plain-text table, header first then a rule: columns for which `left(i)` pad on the right, the others on the left. */
export function textTable(table: string[][], left: (column: number) => boolean): string[] {
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((cell, i) => (left(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)];
}

/** The command line, date and machine of this run, for a section; `script` is the npm script's name. */
export function runInfo(script: string, load: string): RunInfo {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return {
    command: [`npm run ${script}`, ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `nproc ${os.availableParallelism()} (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}`,
    load,
  };
}

/** A "## title" section of docs/BENCHMARKS.md: the run, the targets, the table (header first) and the notes. */
export function section(title: string, info: RunInfo, targets: string, table: string[][], notes: string[]): string {
  const md = (r: string[]): string => `| ${r.join(' | ')} |`;
  return [
    `## ${title}`,
    '',
    `Command: \`${info.command}\``,
    '',
    `Date: ${info.date}. Machine: ${info.machine}.`,
    '',
    `Load: ${info.load}`,
    '',
    targets,
    '',
    md(table[0]!),
    md(table[0]!.map(() => '---')),
    ...table.slice(1).map(md),
    '',
    ...notes.map((s) => `- ${s.trim()}`),
    '',
  ].join('\n');
}

/** Write `section` into `file`, replacing an existing "## <title>" section (the other sections are kept). */
export function writeSection(file: string, section: string, title = 'Network service'): void {
  const head = '# Benchmarks\n\nFigures measured by `npm run bench:*` on the project machines; ratios come from the same run.\n\n';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : head;
  const start = text.search(new RegExp(`^## ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*$`, 'm'));
  if (start >= 0) {
    const after = text.slice(start + 1).search(/^## /m);
    const end = after >= 0 ? start + 1 + after : text.length;
    text = text.slice(0, start) + section.trimEnd() + '\n' + (end < text.length ? '\n' + text.slice(end) : '');
  } else {
    text = text.trimEnd() + '\n\n' + section.trimEnd() + '\n';
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
