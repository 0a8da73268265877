// Identity benchmark: cloudlet's identity service vs. the reference (Debian's keystone 22 under uwsgi, MariaDB)
// on the same load, in the same run.
//   npm run bench:identity [-- --duration S] [--no-reference | --no-cloudlet] [--write-md]
// See `--help`. Figures are quoted as ratios because the load generator shares the 2 cores with the servers.
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchArgs, log, positive } from './lib/args.js';
import { Client, rateLoop, type LoopRequest, type Rate } from './lib/http.js';
import { errorNotes, fmt, runInfo, section, textTable, writeSection } from './lib/report.js';
import { LoadWatch, RssSampler, type LoadSummary } from './lib/rss.js';
import { Servers, startCloudlet, startKeystone, type Server } from './lib/servers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** How cloudlet is started (needs `npx tsc -p .`). */
const CLOUDLET_ENTRY = join(ROOT, 'dist/src/cli/main.js');
const cloudletCommand = (port: number, dataDir: string): string[] => [
  // the V8 flag npm start and the cloudlet command use (see src/cli/main.ts)
  process.execPath, '--max-semi-space-size=2', CLOUDLET_ENTRY, 'identity', 'serve', '--port', String(port), '--data-dir', dataDir,
];
const KEYSTONE_SCRIPT = join(ROOT, 'bench/anchors/keystone.sh');
/** the bootstrap password on both sides (the anchor's; cloudlet takes it from CLOUDLET_BOOTSTRAP_PASSWORD) */
const PASSWORD = 'adminpw';
const TARGET = 50; // issue 4: at least 50× keystone's request rates
const SUBJECT_TOKENS = 32; // validated in turn by the validation step
const REQUEST_TIMEOUT_MS = 30_000;

type Kind = 'password' | 'token' | 'validate';
interface Step {
  kind: Kind;
  connections: number;
}
const STEPS: Step[] = [
  { kind: 'password', connections: 2 },
  { kind: 'password', connections: 8 },
  { kind: 'token', connections: 2 },
  { kind: 'token', connections: 32 },
  { kind: 'validate', connections: 2 },
  { kind: 'validate', connections: 32 },
];
const KIND_LABEL: Record<Kind, string> = {
  password: 'token issue, password method',
  token: 'token issue, token method',
  validate: 'token validation',
};
const connectionsOf = (k: Kind): string =>
  STEPS.filter((s) => s.kind === k)
    .map((s) => s.connections)
    .join(' and ');

const HELP = `usage: npm run bench:identity -- [options]
  --duration S        seconds per request-rate measurement (default 10): token issue with the password method
                      (bcrypt cost 12 on both sides) at ${connectionsOf('password')} clients, with the token method at
                      ${connectionsOf('token')}, token validation at ${connectionsOf('validate')}
  --no-reference      measure cloudlet only (no ratios)
  --no-cloudlet       measure keystone only (bench/anchors/keystone.sh; installs it from Debian on first use)
  --write-md          write the "## Identity service" section of docs/BENCHMARKS.md (the other sections are kept)
  --md-file PATH      write the section to PATH instead of docs/BENCHMARKS.md`;

const opt = benchArgs(HELP, {
  duration: { type: 'string', default: '10' },
  'no-reference': { type: 'boolean', default: false },
  'no-cloudlet': { type: 'boolean', default: false },
});
const DURATION = positive('duration', opt.duration, 300);
const WARMUP = Math.min(1, DURATION / 5);
const WITH_CLOUDLET = !opt['no-cloudlet'];
const WITH_REFERENCE = !opt['no-reference'];
if (!WITH_CLOUDLET && !WITH_REFERENCE) {
  console.error('--no-cloudlet and --no-reference leave nothing to measure');
  process.exit(2);
}
if (WITH_CLOUDLET && !existsSync(CLOUDLET_ENTRY)) {
  console.error(`${CLOUDLET_ENTRY} is missing: run npx tsc -p . first`);
  process.exit(1);
}

const servers = new Servers(log);
// Every step is bounded by its own limit; this is the backstop for the whole run (install included).
servers.guard(900 + 2 * (120 + STEPS.length * (DURATION + WARMUP + REQUEST_TIMEOUT_MS / 1000)));

const SCOPE = { project: { name: 'admin', domain: { name: 'Default' } } };
const PASSWORD_AUTH = {
  auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: PASSWORD } } }, scope: SCOPE },
};
const tokenAuth = (token: string): object => ({ auth: { identity: { methods: ['token'], token: { id: token } }, scope: SCOPE } });
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };
const issue = (auth: object): LoopRequest => ({ method: 'POST', path: '/v3/auth/tokens', headers: JSON_HEADERS, body: JSON.stringify(auth) });
/** an issued token comes back in X-Subject-Token, with 201 */
const issued = (res: IncomingMessage): string | undefined =>
  res.statusCode !== 201 ? `status ${res.statusCode}, not 201` : res.headers['x-subject-token'] ? undefined : 'no X-Subject-Token';
const validated = (res: IncomingMessage): string | undefined => (res.statusCode === 200 ? undefined : `status ${res.statusCode}, not 200`);

interface Result extends LoadSummary {
  name: string;
  url: string;
  startSeconds?: number;
  serveSeconds?: number; // keystone: uwsgi alone, from its start to the first answer
  note: string; // what the RSS covers
  dbPeakMiB?: number;
  rates: Map<string, Rate>; // by stepKey
  errors: number;
  errorSamples: string[];
}

const stepKey = (s: Step): string => `${s.kind}/${s.connections}`;

/** One system under load: its server, its client, the tokens it issued, and what was measured so far. */
class Run {
  readonly c: Client;
  private readonly watch: LoadWatch;
  private readonly db: RssSampler | undefined;
  private adminToken = '';
  private subjects: string[] = [];
  readonly rates = new Map<string, Rate>();

  constructor(readonly server: Server & { serveSeconds?: number }) {
    this.c = new Client(server.url, 4, REQUEST_TIMEOUT_MS);
    this.watch = new LoadWatch(server.pid);
    this.db = server.dbPid === undefined ? undefined : new RssSampler(server.dbPid, 1000).start();
  }

  get name(): string {
    return this.server.name;
  }

  /** The admin token (password method), SUBJECT_TOKENS tokens to validate (token method), one validation checked. */
  async setup(): Promise<void> {
    const token = async (auth: object): Promise<string> => {
      const r = await this.c.request('POST', '/v3/auth/tokens', auth);
      const t = r.headers['x-subject-token'];
      if (r.status !== 201 || typeof t !== 'string') throw new Error(`${this.name}: POST /v3/auth/tokens -> ${r.status}: ${r.body.slice(0, 300)}`);
      return t;
    };
    log(`${this.name}: admin token (password method), then ${SUBJECT_TOKENS} tokens to validate (token method)`);
    this.adminToken = await token(PASSWORD_AUTH);
    for (let i = 0; i < SUBJECT_TOKENS; i++) this.subjects.push(await token(tokenAuth(this.adminToken)));
    const r = await this.c.request('GET', '/v3/auth/tokens', undefined, this.validationHeaders(0));
    let what: { user?: { name?: string }; project?: { name?: string } } | undefined;
    try {
      what = (JSON.parse(r.body) as { token?: typeof what }).token;
    } catch {
      /* reported below */
    }
    if (r.status !== 200 || what?.user?.name !== 'admin' || what?.project?.name !== 'admin') {
      throw new Error(`${this.name}: GET /v3/auth/tokens -> ${r.status}, not admin's token on project admin: ${r.body.slice(0, 300)}`);
    }
  }

  /** the i-th validation: the admin token checks one of the subject tokens, in turn */
  private validationHeaders(i: number): Record<string, string> {
    return { Accept: 'application/json', 'X-Auth-Token': this.adminToken, 'X-Subject-Token': this.subjects[i % this.subjects.length]! };
  }

  private validation(i: number): LoopRequest {
    return { method: 'GET', path: '/v3/auth/tokens', headers: this.validationHeaders(i) };
  }

  async rateStep(s: Step): Promise<void> {
    log(`${this.name}: ${KIND_LABEL[s.kind]} for ${DURATION} s, ${s.connections} clients`);
    const common = { warmupSeconds: WARMUP, timeoutMs: REQUEST_TIMEOUT_MS };
    const r =
      s.kind === 'validate'
        ? await rateLoop(this.c, this.validation(0), s.connections, DURATION, { ...common, vary: (i) => this.validation(i), check: validated })
        : await rateLoop(this.c, issue(s.kind === 'password' ? PASSWORD_AUTH : tokenAuth(this.adminToken)), s.connections, DURATION, { ...common, check: issued });
    this.rates.set(stepKey(s), r);
    log(`${this.name}: ${fmt(rps(r))} req/s${r.failed > 0 ? `, ${r.failed} failed` : ''}`);
  }

  finish(): Result {
    const load = this.watch.stop();
    this.c.close();
    log(`${this.name}: ${this.c.errors} non-2xx answers or errors; peak RSS ${fmt(load.peakRssMiB)} MiB`);
    const { name, server } = this;
    const db = this.db?.stop();
    return { name, ...load, url: server.url, startSeconds: server.startSeconds, serveSeconds: server.serveSeconds, note: server.note, dbPeakMiB: db, rates: this.rates, errors: this.c.errors, errorSamples: this.c.samples };
  }
}

/**
 * Both systems run side by side; every step runs on one and then on the other, the order alternating from
 * step to step, so that other work on the machine weighs on both alike.
 */
async function runLoad(runs: Run[]): Promise<Result[]> {
  const steps: Array<(r: Run) => Promise<void>> = [(r) => r.setup(), ...STEPS.map((s) => (r: Run) => r.rateStep(s))];
  for (const [i, step] of steps.entries()) {
    for (const r of i % 2 === 0 ? runs : [...runs].reverse()) await step(r);
  }
  return runs.map((r) => r.finish());
}

const rps = (r: Rate | undefined): number | undefined => (r && r.seconds > 0 ? r.ok / r.seconds : undefined);

interface Figure {
  label: string;
  unit: string;
  rate: boolean; // a request rate, with the target; otherwise lower is better and there is no target
  value: (r: Result) => number | undefined;
}

const FIGURES: Figure[] = [
  ...STEPS.map(
    (s): Figure => ({
      label: `${KIND_LABEL[s.kind]}, ${s.connections} clients`,
      unit: 'req/s',
      rate: true,
      value: (r) => rps(r.rates.get(stepKey(s))),
    }),
  ),
  { label: 'server peak RSS over the load', unit: 'MiB', rate: false, value: (r) => r.peakRssMiB },
  { label: 'start-up on a fresh data dir (schema, bootstrap, serve)', unit: 's', rate: false, value: (r) => r.startSeconds },
];

/** cloudlet / keystone for rates, keystone / cloudlet for memory and time: bigger is better for cloudlet. */
function ratio(f: Figure, c: Result, ref: Result): number | undefined {
  const a = f.value(c);
  const b = f.value(ref);
  if (a === undefined || b === undefined || a <= 0 || b <= 0) return undefined;
  return f.rate ? a / b : b / a;
}

/** The table, header first: one column per system, and ratio, target and verdict when there are two. */
function table(all: Result[]): string[][] {
  const [c, ref] = all.length === 2 ? all : [];
  const head = ['figure', 'unit', ...all.map((r) => r.name), ...(ref ? ['ratio', 'target', 'verdict'] : [])];
  return [
    head,
    ...FIGURES.map((f) => {
      const row = [f.label, f.unit, ...all.map((r) => fmt(f.value(r)))];
      if (c && ref) {
        const x = ratio(f, c, ref);
        const verdict = !f.rate ? '' : x === undefined ? 'n/a' : x >= TARGET ? 'met' : 'MISSED';
        row.push(x === undefined ? 'n/a' : `${fmt(x)}×`, f.rate ? `≥${TARGET}×` : '—', verdict);
      }
      return row;
    }),
  ];
}

function notes(all: Result[]): string[] {
  const out: string[] = [];
  for (const r of all) {
    out.push(
      `${r.name}: ${r.url}; load ${r.loadSeconds.toFixed(0)} s` +
        (r.serveSeconds !== undefined ? `; uwsgi alone answered ${r.serveSeconds.toFixed(1)} s after its start` : '') +
        `; RSS (${r.note}) ${fmt(r.startRssMiB)} MiB at start, ${r.rssSamples} samples over the load` +
        (r.dbPeakMiB !== undefined ? `; MariaDB peak ${fmt(r.dbPeakMiB)} MiB` : '') +
        `; load average ${r.loadAvg.toFixed(2)} at the start`,
    );
    const failed = [...r.rates.values()].reduce((s, x) => s + x.failed, 0);
    out.push(...errorNotes(r.name, r.errors, r.errorSamples, failed));
  }
  return out;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const started: Server[] = [];
  if (WITH_CLOUDLET) {
    log(`starting cloudlet: ${cloudletCommand(0, 'DIR').slice(1).join(' ').replace('--port 0', '--port P')} (CLOUDLET_BOOTSTRAP_PASSWORD=${PASSWORD})`);
    started.push(await servers.start(() => startCloudlet(cloudletCommand, '/v3', { CLOUDLET_BOOTSTRAP_PASSWORD: PASSWORD })));
  }
  if (WITH_REFERENCE) {
    log(`starting keystone: ${KEYSTONE_SCRIPT} (installs keystone, MariaDB and uwsgi from Debian if missing)`);
    started.push(await servers.start(() => startKeystone(KEYSTONE_SCRIPT)));
  }
  const results = await runLoad(started.map((s) => new Run(s)));
  await servers.stopAll();

  const rowsOut = table(results);
  console.log(['', ...textTable(rowsOut, (i) => i < 2 || i >= 2 + results.length + 1), ''].join('\n'));
  for (const s of notes(results)) console.log(s);
  if (opt['write-md']) {
    const file = resolve(ROOT, opt['md-file'] ?? 'docs/BENCHMARKS.md');
    const load =
      `both servers run side by side, each on a fresh data dir (cloudlet: SQLite; keystone: its own MariaDB on 127.0.0.1); every step below runs on one and then on the other, ` +
      `the order alternating from step to step. First an admin token (password method) and ${SUBJECT_TOKENS} more tokens (token method) per system. ` +
      `Then, for ${DURATION} s each after ${WARMUP} s of warm-up, keep-alive clients (node:http) with one request in flight each: ` +
      `POST /v3/auth/tokens with the password method (admin/${PASSWORD}, scoped to project admin in domain Default; both sides hash passwords with bcrypt cost 12: ` +
      `keystone's default, which the anchor checks in the stored hash, and cloudlet's \`identity.password_hash_rounds\` default) at ${connectionsOf('password')} clients; ` +
      `the same POST with the token method (re-scoping the admin token to the same project) at ${connectionsOf('token')} clients; ` +
      `GET /v3/auth/tokens (X-Auth-Token: the admin token, X-Subject-Token: one of the ${SUBJECT_TOKENS} tokens in turn) at ${connectionsOf('validate')} clients. ` +
      `Answers with the catalog, as clients ask by default; an issue counts when it answers 201 with X-Subject-Token, a validation when it answers 200. ` +
      `cloudlet: \`node --max-semi-space-size=2 dist/src/cli/main.js identity serve\`; the reference: Debian's keystone 22 with bench/anchors/keystone.sh ` +
      `(uwsgi, 2 processes of 4 threads, Fernet tokens, no cache: keystone's defaults otherwise). Peak RSS: VmRSS of the server process and its descendants ` +
      `(keystone: uwsgi master and workers, MariaDB not counted), sampled every 200 ms. Start-up: cloudlet from its start to GET /v3 answering 200 on an empty data dir ` +
      `(migrations and bootstrap included); keystone from MariaDB's initialisation to GET /v3 answering (db_sync, Fernet keys, bootstrap, uwsgi; package installs not counted). ` +
      `The load generator shares the machine's cores with the servers. Total run ${((Date.now() - t0) / 1000).toFixed(0)} s.`;
    const targets =
      `Targets (issue 4): at least ${TARGET}× keystone's request rates. Ratios: cloudlet / keystone for rates, keystone / cloudlet for memory and time ` +
      '(above 1 is better for cloudlet).';
    writeSection(file, section('Identity service', runInfo('bench:identity', load), targets, rowsOut, notes(results)), 'Identity service');
    log(`wrote the "## Identity service" section of ${file}`);
  }
  return results.some((r) => r.errors > 0) ? 1 : 0;
}

servers.exit(main());
