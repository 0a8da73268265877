// The registry's configuration: the CNCF distribution registry's config.yml and its
// REGISTRY_* environment overrides, so the classic private-registry recipe works as
// written, with cloudlet's defaults beneath (port 5000, root <data_dir>/registry) and
// the command-line flags above.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface RegistryConfig {
  /** where the docker/registry/v2/... tree lives */
  rootDirectory: string;
  /** storage.delete.enabled: DELETE of blobs and manifests answers 405 UNSUPPORTED unless set */
  deleteEnabled: boolean;
  /** undefined: every interface, as distribution's ":5000" means */
  host: string | undefined;
  port: number;
  /** http.tls: serve HTTPS with these PEM files (absolute paths) */
  tls?: { certificate: string; key: string };
  /** auth.htpasswd: Basic auth against a bcrypt htpasswd file (absolute path) */
  auth?: { htpasswd: { realm: string; path: string } };
  /** storage.maintenance.uploadpurging.age when purging is enabled (distribution's default: 168h) */
  uploadExpirySeconds?: number;
  /** log.level, when the file or REGISTRY_LOG_LEVEL says */
  logLevel?: string;
  /** the config.yml that was read, if any */
  file?: string;
}

export interface RegistryLoadOptions {
  /** distribution's config.yml (--config); else $REGISTRY_CONFIGURATION_PATH, as distribution reads it; else none */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** cloudlet's data_dir (src/common/config.ts): the default root is <data_dir>/registry */
  dataDir: string;
  /** command-line flags: the last word; --data-dir moves the root to <dir>/registry */
  flags?: { port?: number; dataDir?: string };
  /** relative paths in the file and the environment resolve against this (default: the working directory, as distribution does) */
  cwd?: string;
}

export const DEFAULT_REGISTRY_PORT = 5000;
const DEFAULT_UPLOAD_PURGE_AGE = 168 * 3600;

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys under `storage` that are settings, not the name of a storage driver. */
const STORAGE_SETTINGS = new Set(['delete', 'maintenance', 'cache', 'redirect', 'tag']);

/**
 * distribution's rule: REGISTRY_A_B_C overrides a.b.c (keys are single lower-case words).
 * REGISTRY_AUTH=htpasswd and REGISTRY_STORAGE=filesystem name the type of a typed section.
 * Names that lead nowhere known (Docker link variables such as REGISTRY_PORT_5000_TCP) are
 * harmless: nothing reads them. Values stay strings; each field coerces its own.
 */
export function applyEnv(doc: Plain, env: NodeJS.ProcessEnv): Plain {
  const out = structuredClone(doc);
  const names = Object.keys(env)
    .filter((n) => n.startsWith('REGISTRY_') && n !== 'REGISTRY_CONFIGURATION_PATH' && env[n] !== undefined)
    // shorter first, so REGISTRY_AUTH=htpasswd lands before REGISTRY_AUTH_HTPASSWD_PATH
    .sort((a, b) => a.split('_').length - b.split('_').length || a.localeCompare(b));
  for (const name of names) {
    const path = name.slice('REGISTRY_'.length).toLowerCase().split('_').filter(Boolean);
    if (path.length === 0) continue;
    const value = env[name]!;
    let node = out;
    for (const seg of path.slice(0, -1)) {
      const cur = node[seg];
      // a typed section set by name a moment ago ("htpasswd") becomes a mapping of that name
      node[seg] = isPlain(cur) ? cur : typeof cur === 'string' && cur !== '' ? { [cur]: {} } : {};
      node = node[seg] as Plain;
    }
    const leaf = path[path.length - 1];
    if (path.length === 1 && (leaf === 'auth' || leaf === 'storage')) {
      const cur = isPlain(out[leaf]) ? (out[leaf] as Plain) : {};
      const kept = leaf === 'storage' ? Object.fromEntries(Object.entries(cur).filter(([k]) => STORAGE_SETTINGS.has(k))) : {};
      out[leaf] = { ...kept, [value]: isPlain(cur[value]) ? cur[value] : {} };
    } else {
      node[leaf] = value;
    }
  }
  return out;
}

function get(doc: Plain, path: string): unknown {
  let v: unknown = doc;
  for (const seg of path.split('.')) v = isPlain(v) ? v[seg] : undefined;
  return v;
}

function str(doc: Plain, path: string): string | undefined {
  const v = get(doc, path);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw new Error(`${path}: expected a string, got ${JSON.stringify(v)}`);
}

function bool(doc: Plain, path: string, dflt: boolean): boolean {
  const v = get(doc, path);
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  // Go's strconv.ParseBool, which distribution's environment overrides go through
  if (typeof v === 'string' && /^(1|t|true)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(0|f|false)$/i.test(v)) return false;
  throw new Error(`${path}: expected true or false, got ${JSON.stringify(v)}`);
}

const GO_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** A Go duration ("168h", "1h30m", "90s") in seconds. */
export function parseGoDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (text === '0') return 0;
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${JSON.stringify(text)} (e.g. 168h, 90m)`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * GO_UNITS[p[2]], 0);
}

/** http.addr: ":5000", "0.0.0.0:5000", "[::1]:5000", "localhost:5000". */
export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`http.addr: expected [host]:port, got ${JSON.stringify(addr)}`);
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && isIP(m[1]) !== 6) throw new Error(`http.addr: not an IPv6 address: ${m[1]}`);
  return { host: host === '' ? undefined : host, port: port(m[3], 'http.addr') };
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`${what}: not a port number: ${text}`);
  return n;
}

/** Reads and merges: cloudlet defaults, then config.yml, then REGISTRY_* variables, then flags. */
export function loadRegistryConfig(opts: RegistryLoadOptions): RegistryConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.file ?? (env.REGISTRY_CONFIGURATION_PATH || undefined);
  let doc: Plain = {};
  if (file !== undefined) {
    if (!existsSync(file)) throw new Error(`registry configuration file ${file} does not exist`);
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (parsed !== null && !isPlain(parsed)) throw new Error(`${file}: expected a mapping at the top level`);
    doc = parsed ?? {};
  }
  doc = applyEnv(doc, env);
  const where = file ?? 'environment';
  try {
    return interpret(doc, opts, cwd, file);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

function interpret(doc: Plain, opts: RegistryLoadOptions, cwd: string, file: string | undefined): RegistryConfig {
  const version = str(doc, 'version');
  if (version !== undefined && version !== '0.1') throw new Error(`version: only 0.1 is known, got ${version}`);

  const storage = isPlain(doc.storage) ? doc.storage : {};
  const drivers = Object.keys(storage).filter((k) => !STORAGE_SETTINGS.has(k));
  const unsupported = drivers.filter((d) => d !== 'filesystem');
  if (unsupported.length) throw new Error(`storage: only the filesystem driver is supported, not ${unsupported.join(', ')}`);
  const configuredRoot = str(doc, 'storage.filesystem.rootdirectory');
  const rootDirectory = opts.flags?.dataDir
    ? join(resolve(cwd, opts.flags.dataDir), 'registry')
    : configuredRoot !== undefined
      ? resolve(cwd, configuredRoot)
      : join(resolve(cwd, opts.dataDir), 'registry');

  let uploadExpirySeconds: number | undefined;
  if (bool(doc, 'storage.maintenance.uploadpurging.enabled', true)) {
    const age = str(doc, 'storage.maintenance.uploadpurging.age');
    uploadExpirySeconds = age === undefined ? DEFAULT_UPLOAD_PURGE_AGE : parseGoDuration(age);
  }

  const net = str(doc, 'http.net');
  if (net !== undefined && net !== 'tcp') throw new Error(`http.net: only tcp is supported, not ${net}`);
  const addr = str(doc, 'http.addr');
  // with no http.addr, loopback only, like the network API: exposing the registry is a choice (REGISTRY_HTTP_ADDR=:5000)
  let { host, port: listenPort } = addr === undefined ? { host: '127.0.0.1' as string | undefined, port: DEFAULT_REGISTRY_PORT } : parseAddr(addr);
  if (opts.flags?.port !== undefined) listenPort = opts.flags.port;

  // refused rather than ignored: serving without them would weaken what the operator asked for
  if (get(doc, 'http.tls.clientcas') !== undefined) throw new Error('http.tls.clientcas: client certificates are not supported');
  if (get(doc, 'http.tls.letsencrypt') !== undefined) throw new Error('http.tls.letsencrypt: not supported; use cloudlet registry cert or your own certificate');
  const certificate = str(doc, 'http.tls.certificate');
  const key = str(doc, 'http.tls.key');
  if ((certificate === undefined) !== (key === undefined)) throw new Error('http.tls: certificate and key go together');
  const tls = certificate !== undefined && key !== undefined ? { certificate: resolve(cwd, certificate), key: resolve(cwd, key) } : undefined;

  const authTypes = isPlain(doc.auth) ? Object.keys(doc.auth) : [];
  if (authTypes.length > 1) throw new Error(`auth: one access controller only, got ${authTypes.join(', ')}`);
  let auth: RegistryConfig['auth'];
  if (authTypes.length === 1) {
    if (authTypes[0] !== 'htpasswd') throw new Error(`auth: only htpasswd is supported, not ${authTypes[0]}`);
    const realm = str(doc, 'auth.htpasswd.realm');
    const path = str(doc, 'auth.htpasswd.path');
    // as distribution: both are required
    if (realm === undefined) throw new Error('auth.htpasswd.realm must be set');
    if (path === undefined) throw new Error('auth.htpasswd.path must be set');
    auth = { htpasswd: { realm, path: resolve(cwd, path) } };
  }

  return { rootDirectory, deleteEnabled: bool(doc, 'storage.delete.enabled', false), host, port: listenPort, tls, auth, uploadExpirySeconds, logLevel: str(doc, 'log.level'), file };
}
