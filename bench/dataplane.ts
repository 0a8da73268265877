// Data plane benchmark: cloudlet's L2 + DHCP agents vs. Neutron's (neutron-linuxbridge-agent,
// neutron-dhcp-agent, neutron-server, rabbitmq) on the same machine, same run.
//   npm run bench:dataplane [-- --vs-neutron] [--ports N] [--networks N] [--ports-per-network N] [--write-md]
// Needs root, iproute2, dnsmasq, busybox and `npm run build`. See `--help`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchArgs, log, positive } from './lib/args.js';
import { wipeAgentsWork } from './lib/dataplane-kernel.js';
import { buildFleet, converge, createdNetworks, leaseLatency, PidsRss, removeInstances, type LeaseResult } from './lib/dataplane-load.js';
import { startCloudletPlane, startNeutronPlane, type DataPlane } from './lib/dataplane-systems.js';
import { fmt, runInfo, section, textTable, writeSection } from './lib/report.js';
import { killStarting } from './lib/servers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLOUDLET_ENTRY = join(ROOT, 'dist/src/cli/main.js');
const NEUTRON_SCRIPT = join(ROOT, 'bench/anchors/neutron-agents.sh');

const HELP = `usage: npm run bench:dataplane -- [options]   (as root)
  --vs-neutron            also start Debian's neutron-server + neutron-linuxbridge-agent + neutron-dhcp-agent +
                          rabbitmq-server (bench/anchors/neutron-agents.sh; installs them on first use; l2population
                          on, VXLAN, loopback) and measure the same; print ratios
  --ports N               (a) ports created + plugged one after another, each timed to a DHCP lease (default 50)
  --networks N            (b) networks of the fleet (default 50)
  --ports-per-network N   (b) plugged ports on each (default 20)
  --keep-logs             keep the systems' data dirs and logs (their paths are printed)
  --write-md              write the "## Data plane" section of docs/BENCHMARKS.md
  --md-file PATH          write the section to PATH instead`;

const opt = benchArgs(HELP, {
  'vs-neutron': { type: 'boolean', default: false },
  ports: { type: 'string', default: '50' },
  networks: { type: 'string', default: '50' },
  'ports-per-network': { type: 'string', default: '20' },
  'keep-logs': { type: 'boolean', default: false },
});
const A_PORTS = Math.floor(positive('ports', opt.ports, 1000));
const NETS = Math.floor(positive('networks', opt.networks, 250));
const PER_NET = Math.floor(positive('ports-per-network', opt['ports-per-network'], 100));
if (process.getuid?.() !== 0) {
  console.error('bench:dataplane needs root (it makes namespaces, veths and bridges)');
  process.exit(2);
}
if (!existsSync(CLOUDLET_ENTRY)) {
  console.error(`${CLOUDLET_ENTRY} is missing: run npm run build first`);
  process.exit(1);
}

interface Result {
  name: string;
  lease: LeaseResult;
  setupSeconds: number;
  noChange: number;
  create: number;
  rssPeak: number;
  rssSteady: number;
}

let live: DataPlane | undefined;
async function cleanup(): Promise<void> {
  await killStarting(); // an anchor still starting (Ctrl-C during Neutron's install or migrations)
  const s = live;
  live = undefined;
  if (s) {
    log(`stopping ${s.name} and removing what it made`);
    await s.stop();
  }
  await removeInstances();
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** the kernel objects the agents made for the benchmark's networks, and the instances */
async function removeKernel(): Promise<void> {
  await removeInstances();
  await wipeAgentsWork([...createdNetworks]);
}

async function measure(sys: DataPlane, tag: string): Promise<Result> {
  live = sys;
  try {
    log(`${sys.name}: (a) ${A_PORTS} ports, each POST /v2.0/ports + plug until a DHCP lease in its namespace`);
    const lease = await leaseLatency(sys, A_PORTS, tag, log);
    log(`${sys.name}: (a) p50 ${lease.p50.toFixed(3)} s, p95 ${lease.p95.toFixed(3)} s`);
    log(`${sys.name}: (b) making ${NETS} networks × ${PER_NET} plugged ports`);
    const fleet = await buildFleet(sys, NETS, PER_NET, tag, log);
    log(`${sys.name}: (b) fleet wired and ACTIVE in ${fleet.setupSeconds.toFixed(0)} s`);
    const rss = new PidsRss(() => sys.agentPids());
    await sys.stopAgents();
    const noChange = await converge(sys, fleet);
    log(`${sys.name}: (b) restart, nothing to change: ${noChange.toFixed(2)} s`);
    await sys.stopAgents();
    await wipeAgentsWork(fleet.networks);
    rss.start();
    const create = await converge(sys, fleet);
    log(`${sys.name}: (b) restart, everything to create: ${create.toFixed(2)} s`);
    await new Promise((r) => setTimeout(r, 5000)); // settle, then the steady figure
    const rssPeak = rss.stop();
    const steady = rss.sample();
    log(`${sys.name}: (c) agents' RSS peak ${rssPeak.toFixed(0)} MiB, steady ${steady.toFixed(0)} MiB`);
    return { name: sys.name, lease, setupSeconds: fleet.setupSeconds, noChange, create, rssPeak, rssSteady: steady };
  } finally {
    await cleanup();
    createdNetworks.clear();
  }
}

interface Row {
  label: string;
  unit: string;
  value: (r: Result) => number;
  /** the target, given cloudlet's and Neutron's figures (Neutron's may be absent) */
  target?: { text: string; met: (c: number, n?: number) => boolean };
}

const ROWS: Row[] = [
  { label: '(a) POST port + plug → DHCP lease, p50', unit: 's', value: (r) => r.lease.p50, target: { text: '< 1 s and ≥10× faster', met: (c, n) => c < 1 && (n === undefined || n / c >= 10) } },
  { label: '(a) POST port + plug → DHCP lease, p95', unit: 's', value: (r) => r.lease.p95 },
  { label: `(b) agents restart, nothing to change (${NETS * PER_NET} ports)`, unit: 's', value: (r) => r.noChange, target: { text: '< 2 s and ≥10× faster', met: (c, n) => c < 2 && (n === undefined || n / c >= 10) } },
  { label: `(b) agents restart, everything to create (${NETS * PER_NET} ports)`, unit: 's', value: (r) => r.create },
  { label: '(c) agents RSS (L2 + DHCP), peak over (b) create', unit: 'MiB', value: (r) => r.rssPeak, target: { text: '< 1/4', met: (c, n) => n === undefined || c < n / 4 } },
  { label: '(c) agents RSS (L2 + DHCP), steady', unit: 'MiB', value: (r) => r.rssSteady },
];

function table(c: Result, n?: Result): string[][] {
  const head = n ? ['figure', 'unit', c.name, n.name, 'neutron/cloudlet', 'target', 'verdict'] : ['figure', 'unit', c.name, 'target', 'verdict'];
  return [
    head,
    ...ROWS.map((row) => {
      const cv = row.value(c);
      const nv = n ? row.value(n) : undefined;
      const verdict = row.target ? (row.target.met(cv, nv) ? 'met' : 'MISSED') : '';
      const cells = [row.label, row.unit, fmt(cv)];
      if (n) cells.push(fmt(nv), nv !== undefined && cv > 0 ? `${fmt(nv / cv)}×` : 'n/a');
      cells.push(row.target?.text ?? '', verdict);
      return cells;
    }),
  ];
}

function notes(all: Result[]): string[] {
  return all.map(
    (r) =>
      `${r.name}: (a) ${r.lease.samples.length} leases, max ${r.lease.max.toFixed(2)} s, ${r.lease.wrongAddress} with an address other than the port's; ` +
      `(b) fleet made, plugged and ACTIVE in ${r.setupSeconds.toFixed(0)} s`,
  );
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const tag = Date.now().toString(36).slice(-5);
  log('starting cloudlet: cloudlet up --no-agents (temp data dir), then cloudlet agent l2|dhcp as their own processes');
  const cloudlet = await measure(await startCloudletPlane(CLOUDLET_ENTRY, removeKernel, opt['keep-logs']), tag);
  let neutron: Result | undefined;
  if (opt['vs-neutron']) {
    log('starting Neutron: bench/anchors/neutron-agents.sh (first use installs Debian packages)');
    neutron = await measure(await startNeutronPlane(NEUTRON_SCRIPT, removeKernel, opt['keep-logs']), tag);
  }
  const t = table(cloudlet, neutron);
  console.log(['', ...textTable(t, (i) => i < 2), ''].join('\n'));
  const ns = notes(neutron ? [cloudlet, neutron] : [cloudlet]);
  for (const s of ns) console.log(s);
  if (opt['write-md']) {
    const file = resolve(ROOT, opt['md-file'] ?? 'docs/BENCHMARKS.md');
    const load =
      `(a) ${A_PORTS} ports one after another on one VXLAN network (/22): t0 before POST /v2.0/ports with binding:host_id = the agents' host, ` +
      `then the instance side plugged (a veth, tap<port11> on the host, the port's MAC in a fresh namespace: cloudlet's plugPort, the same for both), ` +
      `t1 when busybox udhcpc in the namespace reports a lease (a new one-DISCOVER udhcpc every 25 ms, so the resolution is 25 ms; a lease for an instance already wired takes about as long as one udhcpc run: ip netns exec, busybox, DISCOVER/OFFER/REQUEST/ACK). ` +
      `(b) ${NETS} VXLAN networks × ${PER_NET} plugged ports (one bulk POST /v2.0/ports per network), all ACTIVE; the L2 + DHCP agents stopped (SIGTERM) and started: ` +
      `"nothing to change" as they left it, "everything to create" after deleting every bridge, VXLAN device, qdhcp- namespace and dnsmasq of those networks (the instances' taps stay); ` +
      `timed from spawning the agents until both logged the end of their first full sync (cloudlet: "full sync done"; Neutron: "Port tap… updated" for every port and "Synchronizing state complete"), ` +
      `every tap is in its bridge and every network has its dnsmasq. (c) summed VmRSS of the agents' processes (Neutron: with their privsep helpers; dnsmasq not counted on either side), ` +
      `sampled every 200 ms over the "everything to create" restart, and 5 s after it. cloudlet: cloudlet up --no-agents in a temp data dir (SQLite) with cloudlet agent l2|dhcp as separate processes; ` +
      `Neutron 21 (Debian): neutron-server (ML2, linuxbridge + l2population, vxlan, noauth, 2 API workers), MariaDB, rabbitmq-server, polling_interval 2 s, firewall noop. ` +
      `Networks with port_security_enabled false on both (no filtering on either side: cloudlet has no security group or ARP-spoofing rules yet, and Neutron's ebtables rules failed here). One host, agents in the root namespace, VTEP on a veth, on 127.0.0.1. Total run ${((Date.now() - t0) / 1000).toFixed(0)} s.`;
    const md = section(
      'Data plane',
      runInfo('bench:dataplane', load),
      'Targets: (a) p50 under 1 s and at least 10× faster than Neutron; (b) the no-change resync under 2 s for 1,000 ports and at least 10× faster than Neutron\'s full sync; (c) under ¼ of Neutron\'s agents\' memory.',
      t,
      ns,
    );
    writeSection(file, md, 'Data plane');
    log(`wrote the "## Data plane" section of ${file}`);
  }
  return cloudlet.lease.wrongAddress + (neutron?.lease.wrongAddress ?? 0) > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    await cleanup();
    process.exit(1);
  },
);
