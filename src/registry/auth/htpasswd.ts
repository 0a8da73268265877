// Basic auth against an htpasswd file, as distribution's htpasswd access controller:
// bcrypt entries only ($2y$, $2a$, $2b$, what `htpasswd -B` writes).
// bcryptjs: pure JavaScript, no install script, the well-kept standard; its async
// compare yields to the event loop between rounds, so a login does not stall transfers.
import { randomBytes } from 'node:crypto';
import { VerifiedSecrets } from '../../common/verified-secrets.js';
import { readFile, stat } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import type { Logger } from '../../common/logging.js';

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** Longer than any credential a client sends; bcrypt reads only 72 bytes of a password anyway. */
const MAX_HEADER = 8192;
/** How often the file is looked at for changes, at most. */
const RELOAD_CHECK_MS = 1000;
/** Verified credentials are remembered this long, so a push's hundred requests cost one bcrypt. */
const CACHE_TTL_MS = 5 * 60 * 1000;
const CACHE_MAX = 1024;

/** "Basic base64(user:password)" → its parts; undefined for anything else. */
export function parseBasic(authorization: string | undefined): { user: string; password: string } | undefined {
  if (!authorization || authorization.length > MAX_HEADER) return undefined;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(authorization);
  if (!m || m[1].length % 4 === 1) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** user → bcrypt hash; entries that are not bcrypt are refused (named in `refused`), as distribution cannot verify them either. */
export function parseHtpasswd(text: string): { entries: Map<string, string>; refused: string[] } {
  const entries = new Map<string, string>();
  const refused: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (BCRYPT.test(hash)) entries.set(user, hash);
    else {
      entries.delete(user);
      refused.push(user);
    }
  }
  return { entries, refused };
}

/** The cost most entries use, so an unknown user's dummy comparison takes as long as a real one. */
function dummyHash(entries: Map<string, string>): string {
  const counts = new Map<string, number>();
  for (const h of entries.values()) counts.set(h.slice(4, 6), (counts.get(h.slice(4, 6)) ?? 0) + 1);
  const cost = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '10';
  // any well-formed salt and digest will do: nothing can match a digest no password produced
  return `$2b$${cost}$${randomBytes(40).toString('base64').replace(/[^A-Za-z0-9]/g, '.').slice(0, 53)}`;
}

export class HtpasswdAuthenticator {
  private entries = new Map<string, string>();
  private dummy = dummyHash(this.entries);
  private fileId = '';
  private lastCheck = 0;
  private reloading: Promise<void> | undefined;
  private verified = new VerifiedSecrets(CACHE_TTL_MS, CACHE_MAX);

  private constructor(readonly realm: string, readonly path: string, private readonly log?: Logger) {}

  /** Reads the file now: a registry that cannot read its htpasswd file must not start. */
  static async open(realm: string, path: string, log?: Logger): Promise<HtpasswdAuthenticator> {
    const a = new HtpasswdAuthenticator(realm, path, log);
    await a.load(await a.identify());
    return a;
  }

  async check(authorization: string | undefined): Promise<boolean> {
    await this.maybeReload();
    const creds = parseBasic(authorization);
    if (!creds) return false;
    if (this.verified.has([authorization!])) return true;
    const hash = this.entries.get(creds.user);
    // the same bcrypt work whether the user exists or not
    const ok = await bcrypt.compare(creds.password, hash ?? this.dummy);
    if (!ok || hash === undefined) return false;
    this.verified.remember([authorization!]);
    return true;
  }

  /** The users the file grants (for logs and tests; no hashes). */
  users(): string[] {
    return [...this.entries.keys()];
  }

  private async identify(): Promise<string> {
    const s = await stat(this.path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  private async load(id: string): Promise<void> {
    const { entries, refused } = parseHtpasswd(await readFile(this.path, 'utf8'));
    if (refused.length) this.log?.warn({ path: this.path, users: refused }, 'htpasswd entries that are not bcrypt are refused');
    this.entries = entries;
    this.dummy = dummyHash(entries);
    this.verified.clear();
    this.fileId = id;
    this.log?.info({ path: this.path, users: entries.size }, 'htpasswd loaded');
  }

  /** Picks up edits (htpasswd -B, an editor's rename) within a second; keeps the last good file if it vanishes. */
  private async maybeReload(): Promise<void> {
    const now = Date.now();
    if (this.reloading) return this.reloading;
    if (now - this.lastCheck < RELOAD_CHECK_MS) return;
    this.lastCheck = now;
    this.reloading = (async () => {
      try {
        const id = await this.identify();
        if (id !== this.fileId) await this.load(id);
      } catch (err) {
        this.log?.warn({ path: this.path, err: (err as Error).message }, 'htpasswd not reloaded; the last good contents stay in force');
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }
}

