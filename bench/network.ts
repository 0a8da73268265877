// Network service benchmark: cloudlet vs. OpenStack neutron-server on the same load, same run.
//   npm run bench:network [-- --vs-neutron] [--networks N] [--duration S] [--database-url URL] [--url URL [--pid PID]] [--write-md]
// See `--help`. Figures are quoted as ratios because the load generator shares the 2 cores with the server.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchArgs, log, positive } from './lib/args.js';
import { Client, waitReady } from './lib/http.js';
import { countNetworks, createPhase, networkIds, readLoop, PORTS_PER_NETWORK } from './lib/load.js';
import { figures, markdownSection, printTable, runInfo, writeSection, type SystemResult } from './lib/report.js';
import { freshDatabase } from './lib/pg-database.js';
import { RssSampler } from './lib/rss.js';
import { Servers, startCloudlet, startNeutron, type Server } from './lib/servers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// the reference neutron-server runs with auth_strategy = noauth: the figures compare the
// network API, not token checks (bench:identity measures those); the server inherits this
process.env.CLOUDLET_NETWORK__AUTH_STRATEGY = 'noauth';
// and, as the reference's [quotas] (bench/anchors/neutron-server.sh), no quotas: one project makes every
// network; set CLOUDLET_NETWORK__QUOTAS__QUOTA_* to measure cloudlet counting them
for (const r of ['network', 'subnet', 'port', 'security_group', 'security_group_rule', 'rbac_policy']) {
  process.env[`CLOUDLET_NETWORK__QUOTAS__QUOTA_${r.toUpperCase()}`] ??= '-1';
}
/** How cloudlet is started (needs `npm run build`). */
const CLOUDLET_ENTRY = join(ROOT, 'dist/src/cli/main.js');
const cloudletCommand = (port: number, dataDir: string): string[] => [
  // the V8 flag npm start and the cloudlet command use (see src/cli/main.ts)
  process.execPath, '--max-semi-space-size=2', CLOUDLET_ENTRY, 'network', 'serve', '--port', String(port), '--data-dir', dataDir,
];
const NEUTRON_SCRIPT = join(ROOT, 'bench/anchors/neutron-server.sh');
const CONCURRENCY = 8;
const PHASES = ['A sequential', `B ${CONCURRENCY} parallel`];

const HELP = `usage: npm run bench:network -- [options]
  --vs-neutron        also start neutron-server (bench/anchors/neutron-server.sh; installs it from Debian
                      on first use) and run the same load against it; print ratios
  --database-url URL  run cloudlet on PostgreSQL: a fresh database made on the server of URL (postgres://,
                      credentials with CREATEDB), dropped after the run; default SQLite
  --url URL           measure an already running endpoint instead of starting cloudlet
  --pid PID           with --url: measure the RSS of this process and its descendants
  --name NAME         with --url: what to call that endpoint in the output (default cloudlet)
  --networks N        networks per create phase (default 200; each gets a /24 subnet and ${PORTS_PER_NETWORK} ports)
  --duration S        seconds per read measurement (default 10)
  --reads-only        with --url: no create phases, only the two reads, over the networks the endpoint
                      already has (for profiling the read path against a server you started)
  --step-timeout S    a create step (networks+subnets, or ports) stops starting requests after S s (default 240)
  --write-md          write the "## Network service" section of docs/BENCHMARKS.md ("## Network service on
                      PostgreSQL" with --database-url)
  --md-file PATH      write the section to PATH instead of docs/BENCHMARKS.md`;

const opt = benchArgs(HELP, {
  'vs-neutron': { type: 'boolean', default: false },
  'database-url': { type: 'string' },
  url: { type: 'string' },
  pid: { type: 'string' },
  name: { type: 'string', default: 'cloudlet' },
  networks: { type: 'string', default: '200' },
  duration: { type: 'string', default: '10' },
  'step-timeout': { type: 'string', default: '240' },
  'reads-only': { type: 'boolean', default: false },
});
const N = Math.floor(positive('networks', opt.networks, 25_600)); // 10.<0-99|100-199>.y.0/24 per phase
const DURATION = positive('duration', opt.duration, 600);
const STEP_TIMEOUT = positive('step-timeout', opt['step-timeout'], 3600);
const PID = opt.pid === undefined ? undefined : Math.floor(positive('pid', opt.pid, 2 ** 22));
const READS_ONLY = opt['reads-only'] ?? false;
if (READS_ONLY && (opt.url === undefined || opt['vs-neutron'] || opt['write-md'])) {
  console.error('--reads-only needs --url, and goes with neither --vs-neutron nor --write-md');
  process.exit(2);
}
if (opt.url === undefined && !existsSync(CLOUDLET_ENTRY)) {
  console.error(`${CLOUDLET_ENTRY} is missing: run npm run build first`);
  process.exit(1);
}

const servers = new Servers(log);
servers.guard(); // no run limit: the create steps have theirs (--step-timeout), the reads last --duration

async function runLoad(server: Server): Promise<SystemResult> {
  const client = new Client(server.url, CONCURRENCY);
  const sampler = server.pid === undefined ? undefined : new RssSampler(server.pid).start();
  const run = Date.now().toString(36);
  const t0 = performance.now();
  const phases = [];
  for (const [i, label] of (READS_ONLY ? [] : PHASES).entries()) {
    const conc = i === 0 ? 1 : CONCURRENCY;
    log(`${server.name}: phase ${label}: ${N} networks + subnets, then ${N * PORTS_PER_NETWORK} ports`);
    const p = await createPhase(client, label, `bench-${'ab'[i]}-${run}`, N, conc, i, STEP_TIMEOUT);
    log(
      `${server.name}: phase ${label}: ${p.netSubnet.ok}/${p.netSubnet.requests} net+subnet in ${p.netSubnet.seconds.toFixed(1)} s, ` +
        `${p.ports.ok}/${p.ports.requests} ports in ${p.ports.seconds.toFixed(1)} s; errors so far ${client.errors}`,
    );
    phases.push(p);
  }
  const listedNetworks = await countNetworks(client);
  log(`${server.name}: GET /v2.0/networks (${listedNetworks} networks) for ${DURATION} s, ${CONCURRENCY} clients`);
  const listNetworks = await readLoop(client, () => '/v2.0/networks', DURATION, CONCURRENCY);
  const ids = READS_ONLY ? await networkIds(client) : phases.flatMap((p) => p.networks);
  log(`${server.name}: GET /v2.0/ports?network_id=X over ${ids.length} networks for ${DURATION} s, ${CONCURRENCY} clients`);
  const portsOfNetwork =
    ids.length > 0
      ? await readLoop(client, (i) => `/v2.0/ports?network_id=${ids[i % ids.length]}`, DURATION, CONCURRENCY)
      : { ok: 0, failed: 0, seconds: 0 };
  const loadSeconds = (performance.now() - t0) / 1000;
  const peakRssMiB = sampler?.stop();
  client.close();
  log(`${server.name}: done in ${loadSeconds.toFixed(0)} s; ${client.errors} errors; peak RSS ${peakRssMiB?.toFixed(0) ?? 'n/a'} MiB`);
  return {
    name: server.name,
    url: server.url,
    startSeconds: server.startSeconds,
    rssNote: `${server.note}, sampled every 200 ms (${sampler?.samples ?? 0} samples, peak over ${sampler?.peakProcs ?? 0} processes)`,
    phases,
    listNetworks,
    listedNetworks,
    portsOfNetwork,
    peakRssMiB,
    errors: client.errors,
    errorSamples: client.samples,
    loadSeconds,
  };
}

async function measure(start: () => Promise<Server>): Promise<SystemResult> {
  const server = await servers.start(start);
  try {
    return await runLoad(server);
  } finally {
    await servers.stop(server);
  }
}

/** what cloudlet ran on, for the report */
let database = opt.url === undefined ? 'SQLite (WAL, synchronous = FULL)' : 'the database it was started with';

async function main(): Promise<number> {
  const t0 = Date.now();
  let cloudlet: SystemResult;
  if (opt.url !== undefined) {
    const url = opt.url.replace(/\/+$/, '');
    if (!(await waitReady(url, 10_000))) throw new Error(`${url} does not answer GET /v2.0/networks`);
    const pid = PID;
    cloudlet = await runLoad({ name: opt.name ?? 'cloudlet', url, pid, note: 'process --pid + descendants', stop: async () => {} });
    if (pid === undefined) cloudlet.peakRssMiB = undefined;
  } else {
    log(`starting cloudlet: ${cloudletCommand(0, 'DIR').slice(1).join(' ').replace('--port 0', '--port P')}`);
    const pgdb = opt['database-url'] === undefined ? undefined : await freshDatabase(opt['database-url']);
    if (pgdb) log(`cloudlet on ${pgdb.describe}: ${new URL(pgdb.url).pathname.slice(1)} on ${new URL(pgdb.url).host}`);
    database = pgdb?.describe ?? database;
    try {
      cloudlet = await measure(() => startCloudlet(cloudletCommand, undefined, pgdb ? { CLOUDLET_DATABASE_URL: pgdb.url } : {}));
    } finally {
      await pgdb?.drop();
    }
  }
  let neutron: SystemResult | undefined;
  if (opt['vs-neutron']) {
    log('starting neutron-server (first use installs Debian packages; migrations take about a minute)');
    neutron = await measure(() => startNeutron(NEUTRON_SCRIPT));
    neutron.name = 'neutron-server';
  }
  const figs = figures(READS_ONLY ? [] : PHASES);
  const title = opt['database-url'] === undefined ? 'Network service' : 'Network service on PostgreSQL';
  printTable(figs, cloudlet, neutron);
  if (opt['write-md']) {
    const file = resolve(ROOT, opt['md-file'] ?? 'docs/BENCHMARKS.md');
    const section = markdownSection(
      runInfo(
        'bench:network',
        `per system, phase A creates ${N} networks with one /24 IPv4 subnet each, then ${PORTS_PER_NETWORK} ports per network, ` +
          `one request at a time; phase B does the same with ${CONCURRENCY} concurrent workers (new names and subnets). ` +
          `Then GET /v2.0/networks (all ${2 * N} networks) and GET /v2.0/ports?network_id=X, ${DURATION} s each with ` +
          `${CONCURRENCY} keep-alive clients. Peak RSS: VmRSS of the server and its descendants summed every 200 ms. ` +
          `Noauth, quotas off on both (as the reference's [quotas]), on 127.0.0.1; cloudlet on ${database}, on this machine; the load generator shares the machine's cores with the server. Total run ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
      ),
      figs,
      cloudlet,
      neutron,
      title,
    );
    writeSection(file, section, title);
    log(`wrote the "## ${title}" section of ${file}`);
  }
  return cloudlet.errors + (neutron?.errors ?? 0) > 0 ? 1 : 0;
}

servers.exit(main());
