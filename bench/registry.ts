// Registry benchmark: cloudlet vs. the reference registry (Debian's docker-registry, CNCF distribution 2.8)
// on the same load, in the same run.
//   npm run bench:registry [-- --size-mib N] [--duration S] [--images N] [--write-md]
// See `--help`. Figures are quoted as ratios because the load generator shares the 2 cores with the server.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchArgs, log, positive } from './lib/args.js';
import { rateLoop, type Rate } from './lib/http.js';
import {
  MANIFEST_ACCEPT,
  RegistryClient,
  makeLayerFile,
  pullLayer,
  pushImageFor,
  pushLayer,
  pushSmallImages,
  type ImagePushes,
  type LayerFile,
  type Transfer,
} from './lib/registry-load.js';
import { errorNotes, fmt, runInfo, section, textTable, writeSection, type RunInfo } from './lib/report.js';
import { LoadWatch, RssSampler, type LoadSummary } from './lib/rss.js';
import { Servers, startCloudlet, startDockerRegistry, tempDir, type Server } from './lib/servers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** How cloudlet is started (needs `npx tsc -p .`). */
const CLOUDLET_ENTRY = join(ROOT, 'dist/src/cli/main.js');
const cloudletCommand = (port: number, dataDir: string): string[] => [
  // the V8 flag npm start and the cloudlet command use (see src/cli/main.ts)
  process.execPath, '--max-semi-space-size=2', CLOUDLET_ENTRY, 'registry', 'serve', '--port', String(port), '--data-dir', dataDir,
];
const REFERENCE_SCRIPT = join(ROOT, 'bench/anchors/docker-registry.sh');
const CONNECTIONS = [2, 32];
const IMAGE_WORKERS = 4;
const SMALL_LAYER_BYTES = 4096;
const LARGE_REPO = 'bench/large';
const SMALL_REPO = 'bench/small';
const TARGET_RATE = 2; // ≥2× the reference's request rates
const TARGET_TRANSFER = 1; // transfer times no worse than the reference's
const RSS_LIMIT_MIB = 100; // issue 3: memory stays well under 100 MiB while a large layer goes through

const HELP = `usage: npm run bench:registry -- [options]
  --size-mib N        size of the layer pushed and pulled, MiB (default 512; random, generated once into a temp file)
  --duration S        seconds per request-rate measurement (default 10; HEAD blob and GET manifest at ${CONNECTIONS.join(' and ')} connections)
  --images N          small images pushed (config + one ${SMALL_LAYER_BYTES}-byte layer + manifest; default 200, ${IMAGE_WORKERS} in parallel)
  --step-timeout S    the small-image step stops starting pushes after S s; a layer transfer is abandoned after
                      max(S, size/2 MiB/s) s (default 180)
  --no-reference      measure cloudlet only (no ratios)
  --write-md          write the "## Registry" section of docs/BENCHMARKS.md (the other sections are kept)
  --md-file PATH      write the section to PATH instead of docs/BENCHMARKS.md`;

const opt = benchArgs(HELP, {
  'size-mib': { type: 'string', default: '512' },
  duration: { type: 'string', default: '10' },
  images: { type: 'string', default: '200' },
  'step-timeout': { type: 'string', default: '180' },
  'no-reference': { type: 'boolean', default: false },
});
const SIZE_MIB = Math.floor(positive('size-mib', opt['size-mib'], 16_384));
const DURATION = positive('duration', opt.duration, 300);
const IMAGES = Math.floor(positive('images', opt.images, 100_000));
const STEP_TIMEOUT = positive('step-timeout', opt['step-timeout'], 3600);
const TRANSFER_TIMEOUT = Math.max(STEP_TIMEOUT, SIZE_MIB / 2);
const WARMUP = Math.min(1, DURATION / 5);
if (!existsSync(CLOUDLET_ENTRY)) {
  console.error(`${CLOUDLET_ENTRY} is missing: run npx tsc -p . first`);
  process.exit(1);
}

const servers = new Servers(log);
// Every step is bounded by its own limit; this is the backstop for the whole run (install included).
servers.guard(900 + 2 * (2 * TRANSFER_TIMEOUT + STEP_TIMEOUT + 4 * (DURATION + WARMUP)));
let layerDir: string | undefined;
servers.onStop(() => {
  if (layerDir !== undefined) rmSync(layerDir, { recursive: true, force: true });
  layerDir = undefined;
});

interface Result extends LoadSummary {
  name: string;
  url: string;
  startSeconds?: number;
  push: Transfer;
  pull: Transfer;
  pushPeakMiB?: number;
  pullPeakMiB?: number;
  images: ImagePushes;
  head: Rate[]; // per CONNECTIONS
  manifest: Rate[];
  errors: number;
  errorSamples: string[];
}

/** One system under load: its server, its client, and what was measured so far. */
class Run {
  readonly c: RegistryClient;
  private readonly watch: LoadWatch;
  push: Transfer = { ok: false, seconds: 0, bytes: 0 };
  pull: Transfer = { ok: false, seconds: 0, bytes: 0 };
  pushPeakMiB: number | undefined;
  pullPeakMiB: number | undefined;
  images: ImagePushes = { requested: IMAGES, pushed: 0, requests: 0, seconds: 0, truncated: true };
  readonly head: Rate[] = [];
  readonly manifest: Rate[] = [];

  constructor(readonly server: Server, readonly name: string) {
    this.c = new RegistryClient(server.url, IMAGE_WORKERS);
    this.watch = new LoadWatch(server.pid);
  }

  private async sampled(what: () => Promise<Transfer>): Promise<[Transfer, number | undefined]> {
    const sampler = this.server.pid === undefined ? undefined : new RssSampler(this.server.pid, 100).start();
    const t = await what();
    return [t, sampler?.stop()];
  }

  async pushStep(layer: LayerFile): Promise<void> {
    log(`${this.name}: push ${SIZE_MIB} MiB layer to ${LARGE_REPO} (POST + streamed PUT)`);
    [this.push, this.pushPeakMiB] = await this.sampled(() => pushLayer(this.c, LARGE_REPO, layer, TRANSFER_TIMEOUT * 1000));
    log(`${this.name}: push ${this.push.ok ? 'ok' : 'FAILED'} in ${this.push.seconds.toFixed(2)} s, peak RSS ${fmt(this.pushPeakMiB)} MiB`);
    // the image whose manifest the GET loop reads
    if (this.push.ok && !(await pushImageFor(this.c, LARGE_REPO, 'latest', layer))) log(`${this.name}: manifest ${LARGE_REPO}:latest refused`);
  }

  async pullStep(layer: LayerFile): Promise<void> {
    log(`${this.name}: pull the layer (GET, streamed, sha256 checked)`);
    [this.pull, this.pullPeakMiB] = await this.sampled(() => pullLayer(this.c, LARGE_REPO, layer, TRANSFER_TIMEOUT * 1000));
    log(`${this.name}: pull ${this.pull.ok ? 'ok' : 'FAILED'} in ${this.pull.seconds.toFixed(2)} s, peak RSS ${fmt(this.pullPeakMiB)} MiB`);
  }

  async imagesStep(): Promise<void> {
    log(`${this.name}: ${IMAGES} small image pushes to ${SMALL_REPO}, ${IMAGE_WORKERS} in parallel`);
    this.images = await pushSmallImages(this.c, SMALL_REPO, IMAGES, SMALL_LAYER_BYTES, IMAGE_WORKERS, STEP_TIMEOUT * 1000);
    log(`${this.name}: ${this.images.pushed}/${IMAGES} images in ${this.images.seconds.toFixed(1)} s (${this.images.requests} requests)`);
  }

  async rateStep(kind: 'head' | 'manifest', connections: number, layer: LayerFile): Promise<void> {
    const [method, path, headers] =
      kind === 'head'
        ? (['HEAD', `/v2/${LARGE_REPO}/blobs/${layer.digest}`, {}] as const)
        : (['GET', `/v2/${LARGE_REPO}/manifests/latest`, { Accept: MANIFEST_ACCEPT }] as const);
    log(`${this.name}: ${method} ${path.slice(0, 45)}${path.length > 45 ? '…' : ''} for ${DURATION} s, ${connections} connections`);
    const r = await rateLoop(this.c, { method, path, headers }, connections, DURATION, { warmupSeconds: WARMUP });
    this[kind].push(r);
    log(`${this.name}: ${fmt(rps(r))} req/s`);
  }

  finish(): Result {
    const load = this.watch.stop();
    this.c.close();
    log(`${this.name}: ${this.c.errors} non-2xx answers or errors; peak RSS ${fmt(load.peakRssMiB)} MiB`);
    return {
      name: this.name,
      url: this.server.url,
      startSeconds: this.server.startSeconds,
      push: this.push,
      pull: this.pull,
      pushPeakMiB: this.pushPeakMiB,
      pullPeakMiB: this.pullPeakMiB,
      ...load,
      images: this.images,
      head: this.head,
      manifest: this.manifest,
      errors: this.c.errors,
      errorSamples: this.c.samples,
    };
  }
}

/**
 * Both systems run side by side; every step runs on one and then at once on the other, the order alternating
 * from step to step, so that other work on the machine weighs on both alike.
 */
async function runLoad(runs: Run[], layer: LayerFile): Promise<Result[]> {
  const steps: Array<(r: Run) => Promise<void>> = [
    (r) => {
      // each push starts with no dirty page cache left by what ran before
      spawnSync('sync', { stdio: 'ignore', timeout: 120_000 });
      return r.pushStep(layer);
    },
    (r) => r.pullStep(layer),
    (r) => r.imagesStep(),
    ...CONNECTIONS.map((n) => (r: Run) => r.rateStep('head', n, layer)),
    ...CONNECTIONS.map((n) => (r: Run) => r.rateStep('manifest', n, layer)),
  ];
  for (const [i, step] of steps.entries()) {
    for (const r of i % 2 === 0 ? runs : [...runs].reverse()) await step(r);
  }
  return runs.map((r) => r.finish());
}

const rps = (r: Rate | undefined): number | undefined => (r && r.seconds > 0 ? r.ok / r.seconds : undefined);
const secs = (t: Transfer): number | undefined => (t.ok ? t.seconds : undefined);

type Target = { kind: 'rate' } | { kind: 'time' } | { kind: 'rss' } | { kind: 'info' };
interface Figure {
  label: string;
  unit: string;
  higherIsBetter: boolean;
  target: Target;
  value: (r: Result) => number | undefined;
}

const FIGURES: Figure[] = [
  { label: `push ${SIZE_MIB} MiB layer (POST + streamed PUT)`, unit: 's', higherIsBetter: false, target: { kind: 'time' }, value: (r) => secs(r.push) },
  { label: `pull ${SIZE_MIB} MiB layer (streamed GET, sha256 checked)`, unit: 's', higherIsBetter: false, target: { kind: 'time' }, value: (r) => secs(r.pull) },
  { label: 'server peak RSS during the push', unit: 'MiB', higherIsBetter: false, target: { kind: 'rss' }, value: (r) => r.pushPeakMiB },
  { label: 'server peak RSS during the pull', unit: 'MiB', higherIsBetter: false, target: { kind: 'rss' }, value: (r) => r.pullPeakMiB },
  ...CONNECTIONS.map(
    (n, i): Figure => ({ label: `HEAD blob, ${n} connections`, unit: 'req/s', higherIsBetter: true, target: { kind: 'rate' }, value: (r) => rps(r.head[i]) }),
  ),
  ...CONNECTIONS.map(
    (n, i): Figure => ({ label: `GET manifest by tag, ${n} connections`, unit: 'req/s', higherIsBetter: true, target: { kind: 'rate' }, value: (r) => rps(r.manifest[i]) }),
  ),
  {
    label: `${IMAGES} small image pushes, ${IMAGE_WORKERS} in parallel`,
    unit: 'images/s',
    higherIsBetter: true,
    target: { kind: 'rate' },
    value: (r) => (r.images.seconds > 0 ? r.images.pushed / r.images.seconds : undefined),
  },
  { label: 'server peak RSS over the whole load', unit: 'MiB', higherIsBetter: false, target: { kind: 'info' }, value: (r) => r.peakRssMiB },
];

/** cloudlet / reference for rates, reference / cloudlet for times and memory: bigger is better for cloudlet. */
function ratio(f: Figure, c: Result, ref: Result): number | undefined {
  const a = f.value(c);
  const b = f.value(ref);
  if (a === undefined || b === undefined || a <= 0 || b <= 0) return undefined;
  return f.higherIsBetter ? a / b : b / a;
}

function targetText(f: Figure): string {
  switch (f.target.kind) {
    case 'rate':
      return `≥${TARGET_RATE}×`;
    case 'time':
      return `≥${TARGET_TRANSFER}× (no slower)`;
    case 'rss':
      return `cloudlet <${RSS_LIMIT_MIB} MiB`;
    default:
      return '—';
  }
}

function verdict(f: Figure, c: Result, x: number | undefined): string {
  switch (f.target.kind) {
    case 'rate':
      return x === undefined ? 'n/a' : x >= TARGET_RATE ? 'met' : 'MISSED';
    case 'time':
      return x === undefined ? 'n/a' : x >= TARGET_TRANSFER ? 'met' : 'MISSED';
    case 'rss': {
      const v = f.value(c);
      return v === undefined ? 'n/a' : v < RSS_LIMIT_MIB ? 'met' : 'MISSED';
    }
    default:
      return '';
  }
}

function header(ref?: Result): string[] {
  return ref ? ['figure', 'unit', 'cloudlet', ref.name, 'ratio', 'target', 'verdict'] : ['figure', 'unit', 'cloudlet'];
}

function rows(c: Result, ref?: Result): string[][] {
  return FIGURES.map((f) => {
    const row = [f.label, f.unit, fmt(f.value(c))];
    if (ref) {
      const x = ratio(f, c, ref);
      row.push(fmt(f.value(ref)), x === undefined ? 'n/a' : `${fmt(x)}×`, targetText(f), verdict(f, c, x));
    }
    return row;
  });
}

function notes(all: Result[]): string[] {
  const out: string[] = [];
  for (const r of all) {
    const mibps = (t: Transfer): string => (t.ok && t.seconds > 0 ? `${fmt(t.bytes / 2 ** 20 / t.seconds)} MiB/s` : 'failed');
    out.push(
      `${r.name}: ${r.url}; push ${mibps(r.push)}, pull ${mibps(r.pull)}; ${r.images.pushed}/${r.images.requested} small images ` +
        `(${r.images.requests} requests in ${r.images.seconds.toFixed(1)} s); load ${r.loadSeconds.toFixed(0)} s` +
        (r.startSeconds !== undefined ? `; start-up ${r.startSeconds.toFixed(1)} s` : '') +
        `; RSS ${fmt(r.startRssMiB)} MiB at start, ${r.rssSamples} samples over the load; load average ${r.loadAvg.toFixed(2)} at the start`,
    );
    if (r.images.truncated) out.push(`${r.name}: SMALL IMAGE PUSHES STOPPED BY THE STEP TIME LIMIT (the rate is over what completed)`);
    const failed = [...r.head, ...r.manifest].reduce((s, x) => s + x.failed, 0);
    out.push(...errorNotes(r.name, r.errors, r.errorSamples, failed));
  }
  return out;
}

function printTable(c: Result, ref?: Result): void {
  console.log(['', ...textTable([header(ref), ...rows(c, ref)], (i) => i < 2 || i >= 5), ''].join('\n'));
  for (const s of notes(ref ? [c, ref] : [c])) console.log(s);
}

function markdownSection(info: RunInfo, c: Result, ref?: Result): string {
  const targets =
    `Targets (issue 3): at least ${TARGET_RATE}× the reference registry's request rates (HEAD blob, GET manifest, small image pushes), ` +
    `and layer transfer times no worse than the reference's; cloudlet's RSS stays under ${RSS_LIMIT_MIB} MiB while the layer goes through. ` +
    'Ratios: cloudlet / reference for rates, reference / cloudlet for times and memory (above 1 is better for cloudlet).';
  return section('Registry', info, targets, [header(ref), ...rows(c, ref)], notes(ref ? [c, ref] : [c]));
}

async function main(): Promise<number> {
  const t0 = Date.now();
  layerDir = tempDir('layer');
  log(`writing ${SIZE_MIB} MiB of random data to ${layerDir}/layer`);
  const layer = await makeLayerFile(join(layerDir, 'layer'), SIZE_MIB);
  log(`layer ${layer.digest}`);

  log(`starting cloudlet: ${cloudletCommand(0, 'DIR').slice(1).join(' ').replace('--port 0', '--port P')}`);
  const started = [await servers.start(() => startCloudlet(cloudletCommand, '/v2/'))];
  if (!opt['no-reference']) {
    log(`starting the reference registry: ${REFERENCE_SCRIPT} (installs docker-registry from Debian if missing)`);
    started.push(await servers.start(() => startDockerRegistry(REFERENCE_SCRIPT)));
  }
  const runs = started.map((server, i) => new Run(server, i === 0 ? 'cloudlet' : 'distribution 2.8'));
  const [cloudlet, reference] = await runLoad(runs, layer);
  await servers.stopAll(); // and removes the layer

  printTable(cloudlet, reference);
  if (opt['write-md']) {
    const file = resolve(ROOT, opt['md-file'] ?? 'docs/BENCHMARKS.md');
    const text = markdownSection(
      runInfo(
        'bench:registry',
          `both servers run side by side, each on a fresh empty root; every step below runs on one and then at once on the other, the order alternating from step to step. One ${SIZE_MIB} MiB layer of random data (generated once into a temp file) is pushed (after a \`sync\`) ` +
          `with POST + one PUT ?digest= streaming the file, then pulled with GET, streamed, sha256 checked and discarded (wall time ` +
          `per transfer; server RSS sampled every 100 ms during each). Then ${IMAGES} small images (a unique config, one unique ` +
          `${SMALL_LAYER_BYTES}-byte layer, an OCI manifest; 5 requests each) with ${IMAGE_WORKERS} pushing in parallel. Then ` +
          `HEAD /v2/${LARGE_REPO}/blobs/<layer digest> and GET /v2/${LARGE_REPO}/manifests/latest (an OCI manifest; Accept lists the OCI and Docker manifest and index types) ` +
          `for ${DURATION} s each after ${WARMUP} s of warm-up, at ${CONNECTIONS.join(' and ')} keep-alive connections with one request ` +
          `in flight each (a client of node:http; wrk and autocannon hang on HEAD). cloudlet: \`node --max-semi-space-size=2 ` +
          `dist/src/cli/main.js registry serve\`; the reference: Debian's docker-registry 2.8.2 with bench/anchors/docker-registry.sh ` +
          `(filesystem storage, inmemory blob descriptor cache, log level warn). Both on 127.0.0.1, storage on the same disk; ` +
          `the load generator shares the machine's cores with the server. Peak RSS: VmRSS of the server process (and descendants). ` +
          `Total run ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
      ),
      cloudlet,
      reference,
    );
    writeSection(file, text, 'Registry');
    log(`wrote the "## Registry" section of ${file}`);
  }
  return cloudlet.errors + (reference?.errors ?? 0) > 0 ? 1 : 0;
}

servers.exit(main());
