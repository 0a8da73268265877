// `cloudlet lab up|down|status`: several hosts on one machine, as network namespaces on a
// switch, running the controller's services and the compute hosts' agents.
import { Command } from 'commander';
import { join } from 'node:path';
import { cmdlineOf } from '../host/linux/lab-processes.js';
import { netnsExists } from '../host/linux/lab-links.js';
import { ExecRunner } from '../host/linux/runner.js';
import { labDown } from '../lab/down.js';
import { forward, parseRule } from '../lab/forward.js';
import { hostExec } from '../host/linux/host-exec.js';
import { LabExists, labUp } from '../lab/up.js';
import { labNames, readState } from '../lab/state.js';
import { cloudsYamlPath } from '../common/clouds-yaml.js';
import { registerHostNetns } from './host-runner.js';
import { labHostNetns } from '../lab/hosts.js';
import { portNumber, run } from './serve.js';

export const LAB_DIR = '/var/lib/cloudlet-lab';
const DEFAULT_PORTS = { identity: 15357, network: 19696, registry: 15000 };

/** the clouds.yaml entry of a lab: cloudlet-lab for the default lab */
export const cloudEntryOf = (name: string): string => `cloudlet-${name}`;

/** how this process was started, to start cloudlet again (node, its flags such as a loader, the entry) */
const cloudletArgv = (): string[] => [process.execPath, ...process.execArgv, process.argv[1]!];

const say = (line: string) => process.stdout.write(`${line}\n`);

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab makes network namespaces: run it as root');
}

interface UpFlags {
  hosts: string;
  name: string;
  subnet: string;
  dir?: string;
  identityPort?: string;
  networkPort?: string;
  registryPort?: string;
  timeout: string;
}

function upCommand(): Command {
  const cmd = new Command('up');
  return cmd
    .description('make a lab: a controller osad and compute hosts osad1…, each a network namespace on a switch, with cloudlet running in them')
    .option('--hosts <n>', 'hosts in all, the controller included', '3')
    .option('--name <name>', "the lab's name (prefixes its namespaces)", 'lab')
    .option('--subnet <cidr>', 'the underlay: osad at .1, osadN at .10+N', '10.99.0.0/24')
    .option('--dir <dir>', `data, configs and logs (default ${LAB_DIR}/<name>)`)
    .option('--identity-port <n>', `the identity API's port, inside osad and on 127.0.0.1 (default ${DEFAULT_PORTS.identity})`)
    .option('--network-port <n>', `the network API's port, inside osad and on 127.0.0.1 (default ${DEFAULT_PORTS.network})`)
    .option('--registry-port <n>', `the registry's port, inside osad and on 127.0.0.1 (default ${DEFAULT_PORTS.registry})`)
    .option('--timeout <seconds>', 'how long to wait for the services and agents', '120')
    .action(
      run(async (flags: UpFlags) => {
        requireRoot();
        const hosts = Number(flags.hosts);
        const timeout = Number(flags.timeout);
        if (!(timeout > 0)) throw new Error(`--timeout: a number of seconds, not ${flags.timeout}`);
        const runner = new ExecRunner();
        // Ctrl-C while making the lab: stop at the next step, then undo what was made
        const interrupted = new AbortController();
        const interrupt = () => interrupted.abort(new Error('interrupted'));
        process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
        try {
          const state = await labUp(
            {
              name: flags.name,
              hosts,
              subnet: flags.subnet,
              dir: flags.dir ?? join(LAB_DIR, flags.name),
              ports: {
                identity: portNumber('--identity-port', flags.identityPort) ?? DEFAULT_PORTS.identity,
                network: portNumber('--network-port', flags.networkPort) ?? DEFAULT_PORTS.network,
                registry: portNumber('--registry-port', flags.registryPort) ?? DEFAULT_PORTS.registry,
              },
              cloudlet: cloudletArgv(),
              cloudsYaml: cloudsYamlPath(),
              cloudEntry: cloudEntryOf(flags.name),
              timeoutMs: timeout * 1000,
              signal: interrupted.signal,
              say,
            },
            runner,
          );
          say(`lab ${state.name} is up: openstack --os-cloud ${cloudEntryOf(state.name)} network list; logs in ${join(state.dir, 'logs')}; cloudlet lab down --name ${state.name} removes it`);
        } catch (err) {
          // leave nothing half-made: what was recorded is undone
          process.stderr.write(`cloudlet: lab up failed: ${(err as Error).message}\n`);
          if (!(err instanceof LabExists) && readState(flags.name)) {
            await labDown(flags.name, runner, { keepDir: true, say });
            say(`removed what was made; the logs stay in ${join(flags.dir ?? join(LAB_DIR, flags.name), 'logs')}`);
          }
          process.exit(1);
        }
      }),
    );
}

function downCommand(): Command {
  return new Command('down')
    .description('stop every process of the lab and delete its namespaces, links, clouds.yaml entry and directory')
    .option('--name <name>', "the lab's name", 'lab')
    .option('--keep-dir', "keep the lab's directory (its database and logs)")
    .action(
      run(async (flags: { name: string; keepDir?: boolean }) => {
        requireRoot();
        const done = await labDown(flags.name, new ExecRunner(), { keepDir: flags.keepDir ?? false, say });
        say(done ? `lab ${flags.name} is down` : `no lab ${flags.name}: nothing to do`);
      }),
    );
}

function statusCommand(): Command {
  return new Command('status')
    .description("the lab's hosts, namespaces and processes")
    .option('--name <name>', "the lab's name (default: every lab)")
    .action(
      run(async (flags: { name?: string }) => {
        const names = flags.name ? [flags.name] : labNames();
        if (names.length === 0) {
          say('no lab');
          return;
        }
        for (const name of names) {
          const s = readState(name);
          if (!s) {
            say(`no lab ${name}`);
            continue;
          }
          say(`lab ${s.name}  dir ${s.dir}  cloud ${s.cloud?.entry ?? '-'}  identity 127.0.0.1:${s.ports.identity}  network 127.0.0.1:${s.ports.network}`);
          say(`  switch ${s.topology.switchNetns} ${netnsExists(s.topology.switchNetns) ? 'present' : 'MISSING'}`);
          for (const h of s.topology.hosts) say(`  host ${h.name.padEnd(7)} ${h.role.padEnd(10)} ${h.address.padEnd(15)} netns ${h.netns} ${netnsExists(h.netns) ? 'present' : 'MISSING'}`);
          for (const p of s.processes) say(`  process ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} ${cmdlineOf(p.pid) === p.cmdline ? 'running' : 'NOT RUNNING'}  log ${join(s.dir, 'logs', `${p.name}.log`)}`);
        }
      }),
    );
}

export function labCommand(): Command {
  // `cloudlet port plug --host osad1` on the machine: the tap goes into that lab host's namespace
  registerHostNetns((host, cloud) => labHostNetns(host, undefined, undefined, cloud)?.netns);
  const lab = new Command('lab').description('several cloudlet hosts on this machine, as network namespaces (root)');
  lab.addCommand(upCommand());
  lab.addCommand(downCommand());
  lab.addCommand(statusCommand());
  lab.addCommand(
    new Command('forward')
      .description('forward connections: LISTEN=CONNECT, each tcp:HOST:PORT or unix:PATH (used by lab up)')
      .argument('<rule...>')
      .action(
        run(async (rules: string[]) => {
          for (const r of rules.map(parseRule)) await forward(r.listen, r.connect);
          process.on('SIGTERM', () => process.exit(0));
        }),
      ),
    { hidden: true },
  );
  lab.addCommand(
    new Command('host-exec')
      .description("run a command as a lab host: a private /run/netns and sysfs (used by lab up, inside the host's namespaces)")
      .argument('<command...>')
      .action(run(async (argv: string[]) => void (await hostExec(argv)))),
    { hidden: true },
  );
  return lab;
}
