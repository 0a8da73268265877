// Files that hold secrets (password hashes, private keys, passwords) are made
// readable by their owner only, whatever the umask, and checked at start: a
// file or directory others can reach is named in a warning, as ssh names an
// "UNPROTECTED PRIVATE KEY FILE". Existing modes are never changed here: an
// operator may have opened one on purpose (a backup group), as keystone-manage
// only warns about its key repositories; the warning says what to run.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from './logging.js';

/** Makes `dir` (and its parents, with the default mode) if missing; `dir` itself is made 0700. */
export function makePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    // another process made it meanwhile: its mode is its maker's business
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  // the mode given to mkdir passes through the umask; chmod does not
  chmodSync(dir, 0o700);
}

/** Creates `file` empty with mode 0600 if it does not exist (before a library opens it with its own mode). */
export function makePrivateFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    chmodSync(file, 0o600);
  } finally {
    closeSync(fd);
  }
}

export interface OpenFile {
  path: string;
  /** e.g. "0644" */
  mode: string;
  directory: boolean;
}

/** The paths (files or directories) among `paths` that group or others can read, write or enter; missing ones are skipped. */
export function tooOpen(paths: string[]): OpenFile[] {
  const out: OpenFile[] = [];
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if ((st.mode & 0o077) !== 0) out.push({ path, mode: `0${(st.mode & 0o777).toString(8)}`, directory: st.isDirectory() });
  }
  return out;
}

/** `dir` and the files in it whose names match, when the directory exists. */
export function withEntries(dir: string, name: RegExp): string[] {
  try {
    return [dir, ...readdirSync(dir).filter((f) => name.test(f)).map((f) => join(dir, f))];
  } catch {
    return [];
  }
}

/** One warning per path that is too open, naming it, its mode and the fix. Returns what was found. */
export function warnTooOpen(paths: string[], log: Logger): OpenFile[] {
  const found = tooOpen(paths);
  for (const f of found) {
    const fix = `chmod ${f.directory ? '700' : '600'} ${f.path}`;
    log.warn({ file: f.path, mode: f.mode }, `UNPROTECTED PRIVATE ${f.directory ? 'DIRECTORY' : 'FILE'}: ${f.path} (mode ${f.mode}) is open to other users; run ${fix}`);
  }
  return found;
}
