// `cloudlet lab up` as root: three hosts as namespaces on a switch, pinging each other over
// the underlay, the API reachable from the machine through the clouds.yaml entry, and
// `cloudlet lab down` leaving no namespace, process, file or entry behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { requireTool } from '../support/backends.js';
import { CLI, cloudlet, exec, freePort, requireBuiltCli } from '../support/cli.js';
import { labHostNetns } from '../../src/lab/hosts.js';
import { plugPort } from '../../src/agent/plug.js';
import { registerHostNetns, runnerForHost } from '../../src/cli/host-runner.js';
import { planTopology, topologySteps } from '../../src/lab/plan.js';
import { readState, writeState, statePath } from '../../src/lab/state.js';
import { applyStep } from '../../src/host/linux/lab-links.js';
import { ExecRunner } from '../../src/host/linux/runner.js';

function requireLabTools(): void {
  assert.equal(process.getuid?.(), 0, 'the lab tests make network namespaces: run them as root');
  requireBuiltCli();
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nsenter', 'util-linux'], ['unshare', 'util-linux'], ['busybox', 'busybox-static'], ['openstack', 'python3-openstackclient'], ['dnsmasq', 'dnsmasq-base']]) requireTool(cmd!, pkg!);
}

const netnsList = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);
/** pids whose command line mentions `text` */
const pidsMentioning = (text: string): number[] =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);

/** a unique lab: its name, directory, temp HOME and free ports; whatever it leaves is removed after the test */
async function freshLab(t: { after(fn: () => unknown): void }) {
  const name = `t${randomBytes(3).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-lab-home-'));
  const dir = join(mkdtempSync(join(tmpdir(), 'cloudlet-lab-')), name);
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const ports = ['--identity-port', String(await freePort()), '--network-port', String(await freePort()), '--registry-port', String(await freePort())];
  t.after(async () => {
    await cloudlet(['lab', 'down', '--name', name], env);
    for (const pid of pidsMentioning(dir)) process.kill(pid, 'SIGKILL');
    for (const ns of netnsList().filter((n) => n.startsWith(`${name}-`))) await exec('ip', ['netns', 'delete', ns], env);
    rmSync(home, { recursive: true, force: true });
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
  return { name, home, dir, env, ports };
}

test('lab up --hosts 3: hosts on the underlay, the API from the machine, a private /run/netns per host; lab down leaves nothing', async (t) => {
  requireLabTools();
  const { name, home, dir, env, ports } = await freshLab(t);
  const entry = `cloudlet-${name}`;
  const up = await cloudlet(['lab', 'up', '--hosts', '3', '--name', name, '--dir', dir, ...ports], env);
  assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);
  for (const line of up.stdout.split('\n').filter((l) => /no `cloudlet agent`|no agents extension/.test(l))) t.diagnostic(`this build: ${line}`);

  await t.test('a switch and three host namespaces, each with lo and its underlay address', async () => {
    for (const ns of ['sw', 'osad', 'osad1', 'osad2']) assert.ok(netnsList().includes(`${name}-${ns}`), `${name}-${ns} in ${netnsList().join(' ')}`);
    const addr = await exec('ip', ['-n', `${name}-osad2`, '-j', 'addr', 'show'], env);
    const links = JSON.parse(addr.stdout) as Array<{ ifname: string; operstate: string; flags: string[]; addr_info: Array<{ local: string; prefixlen: number }> }>;
    assert.ok(links.find((l) => l.ifname === 'lo')?.flags.includes('UP'));
    assert.deepEqual(links.find((l) => l.ifname === 'underlay0')?.addr_info.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !a.startsWith('fe80')), ['10.99.0.12/24']);
  });

  await t.test('the hosts ping each other over the underlay', async () => {
    for (const [from, to] of [['osad1', '10.99.0.12'], ['osad2', '10.99.0.1'], ['osad', '10.99.0.11']]) {
      const ping = await exec('ip', ['netns', 'exec', `${name}-${from}`, 'busybox', 'ping', '-c', '1', '-W', '2', to!], env);
      assert.equal(ping.code, 0, `${from} → ${to}:\n${ping.stdout}${ping.stderr}`);
    }
  });

  await t.test('the machine reaches the API through the clouds.yaml entry; the catalog points at the forwarders', async () => {
    const os = (args: string[]) => exec('openstack', ['--os-cloud', entry, ...args], env);
    const created = await os(['network', 'create', '-f', 'value', '-c', 'id', 'lab-net']);
    assert.equal(created.code, 0, created.stderr);
    const list = await os(['network', 'list', '-f', 'value', '-c', 'Name']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^lab-net$/m);
    const catalog = await os(['catalog', 'list', '-f', 'json']);
    assert.doesNotMatch(catalog.stdout, /10\.99\.0\.1/, 'no underlay address in the catalog: the machine cannot reach it');
  });

  await t.test("each host's processes see their own, private /run/netns; the lab's hosts are found by name for port plug", async () => {
    const state = readState(name)!;
    const osad = state.processes.find((p) => p.name === 'osad')!;
    assert.ok(osad.mntns, 'the controller\'s mount namespace is recorded');
    const fs = await exec('nsenter', [`--mount=/proc/${osad.pid}/ns/mnt`, 'findmnt', '-n', '-o', 'FSTYPE', '/run/netns'], env);
    assert.equal(fs.stdout.trim().split('\n').pop(), 'tmpfs');
    const inside = await exec('nsenter', [`--mount=/proc/${osad.pid}/ns/mnt`, 'ls', '-A', '/run/netns'], env);
    assert.doesNotMatch(inside.stdout, new RegExp(name), 'the machine\'s namespaces are not listed inside a host');
    assert.deepEqual(labHostNetns('osad1', name), { lab: name, netns: `${name}-osad1`, path: `/run/netns/${name}-osad1` });
    const status = await cloudlet(['lab', 'status', '--name', name], env);
    assert.match(status.stdout, /process osad +pid \d+ +running/);
    assert.doesNotMatch(status.stdout, /NOT RUNNING|MISSING/);
  });

  // the user's instance namespace, on the machine; lab down must leave it (and only lose the lab's side of the veth)
  const vm = `${name}vm1`;
  await exec('ip', ['netns', 'add', vm], env);
  t.after(() => exec('ip', ['netns', 'delete', vm], env));
  await t.test("port plug on a lab host from the machine: the tap in the host's namespace, eth0 in the instance", async () => {
    // what `cloudlet port plug --host osad1` runs its links through once the lab registered its lookup
    registerHostNetns((h) => labHostNetns(h, name)?.netns);
    const port = { portId: 'feedbeef-0000-4000-8000-000000000001', mac: 'fa:16:3e:00:00:01', mtu: 1450, netns: vm };
    const { tap } = await plugPort(runnerForHost('osad1'), port);
    assert.equal((await exec('ip', ['-n', `${name}-osad1`, 'link', 'show', tap], env)).code, 0, 'the tap is in osad1');
    assert.notEqual((await exec('ip', ['link', 'show', tap], env)).code, 0, "not on the machine's own interfaces");
    const eth0 = await exec('ip', ['-n', vm, 'link', 'show', 'eth0'], env);
    assert.match(eth0.stdout, /mtu 1450 .*\n.*fa:16:3e:00:00:01/, 'eth0 is in the instance, with the port\'s MAC and MTU');
    assert.equal((await plugPort(runnerForHost('osad1'), port)).changed, false, 'plugging again changes nothing');
  });

  // what a DHCP agent does in a host: a qdhcp- namespace in its private /run/netns, a daemon in it
  const marker = String(900000 + Math.floor(Math.random() * 99999));
  await t.test("a namespace a host's agent adds is the host's alone; a daemon in it is the lab's", async () => {
    const osad = readState(name)!.processes.find((p) => p.name === 'osad')!;
    const enter = ['nsenter', `--mount=/proc/${osad.pid}/ns/mnt`, `--net=/proc/${osad.pid}/ns/net`];
    const add = await exec(enter[0]!, [...enter.slice(1), 'ip', 'netns', 'add', `qdhcp-${name}`], env);
    assert.equal(add.code, 0, add.stderr);
    assert.ok(!netnsList().includes(`qdhcp-${name}`), "not in the machine's /run/netns");
    const same = readState(name)!.processes.find((p) => p.name === 'forward-osad')!;
    const shared = await exec('nsenter', [`--mount=/proc/${same.pid}/ns/mnt`, 'ls', '-A', '/run/netns'], env);
    assert.match(shared.stdout, new RegExp(`qdhcp-${name}`), "the host's other processes see it: one /run/netns per host, as on a machine");
    const other = readState(name)!.processes.find((p) => p.host === 'osad1')!;
    const seen = await exec('nsenter', [`--mount=/proc/${other.pid}/ns/mnt`, 'ls', '-A', '/run/netns'], env);
    assert.doesNotMatch(seen.stdout, /qdhcp-/, "another host's /run/netns does not see it");
    // daemonized as dnsmasq is: its own session, in the namespace, through ip netns exec (a mount namespace of its own)
    spawn(enter[0]!, [...enter.slice(1), 'ip', 'netns', 'exec', `qdhcp-${name}`, 'sleep', marker], { env, detached: true, stdio: 'ignore' }).unref();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pidsMentioning(`sleep\0${marker}`).length, 1, 'the daemon runs');
  });

  await t.test('a second lab up of the same name is refused and changes nothing', async () => {
    const again = await cloudlet(['lab', 'up', '--name', name, '--dir', dir, ...ports], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`lab ${name} exists: cloudlet lab down --name ${name} first`));
    assert.ok(netnsList().includes(`${name}-osad`));
  });

  const down = await cloudlet(['lab', 'down', '--name', name], env);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), [], 'no namespace left');
  assert.deepEqual(pidsMentioning(dir), [], 'no process left');
  assert.ok(netnsList().includes(vm), "the user's instance namespace stays");
  // the kernel frees a deleted namespace (and its veths) a moment later
  let eth0Left = true;
  for (let i = 0; i < 50 && eth0Left; i++) {
    eth0Left = (await exec('ip', ['-n', vm, 'link', 'show', 'eth0'], env)).code === 0;
    if (eth0Left) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!eth0Left, "the instance's veth went with the host");
  assert.deepEqual(pidsMentioning(`sleep\0${marker}`), [], "no daemon left in a host's namespaces");
  assert.ok(!existsSync(dir), 'the lab directory is removed');
  assert.ok(!existsSync(statePath(name)), 'the state file is removed');
  assert.doesNotMatch(readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8'), new RegExp(entry));
  const again = await cloudlet(['lab', 'down', '--name', name], env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing to do/);
});

test('lab down after lab up died halfway: removes what the state file says was made, and only that', async (t) => {
  requireLabTools();
  const { name, dir, env } = await freshLab(t);
  const topology = planTopology({ name, hosts: 3, subnet: '10.99.0.0/24' });
  const steps = topologySteps(topology).slice(0, 6); // the switch, osad, its veth: then "killed"
  const state = { name, dir, madeDir: false, topology, made: [] as typeof steps, processes: [], ports: { identity: 1, network: 2, registry: 3 } };
  const runner = new ExecRunner();
  for (const step of steps) {
    state.made.push(step);
    writeState(state);
    await applyStep(runner, step);
  }
  // a namespace of the same prefix that the lab did not make stays
  const stranger = `${name}-osad9`;
  await exec('ip', ['netns', 'add', stranger], env);
  t.after(() => exec('ip', ['netns', 'delete', stranger], env));
  const down = await cloudlet(['lab', 'down', '--name', name], env);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), [stranger]);
  assert.ok(!existsSync(statePath(name)));
});

test('lab up refuses a namespace it did not make, before making anything', async (t) => {
  requireLabTools();
  const { name, dir, env, ports } = await freshLab(t);
  await exec('ip', ['netns', 'add', `${name}-osad1`], env);
  const up = await cloudlet(['lab', 'up', '--name', name, '--dir', dir, ...ports], env);
  assert.equal(up.code, 1);
  assert.match(up.stderr, new RegExp(`network namespace ${name}-osad1 exists and is not this lab's`));
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), [`${name}-osad1`], 'nothing made, the stranger kept');
  assert.ok(!existsSync(statePath(name)));
});

test('lab up that fails (here: out of time) removes what it made and says where the logs are', async (t) => {
  requireLabTools();
  const { name, dir, env, ports } = await freshLab(t);
  const up = await cloudlet(['lab', 'up', '--hosts', '2', '--name', name, '--dir', dir, '--timeout', '0.001', ...ports], env);
  assert.equal(up.code, 1, up.stdout);
  assert.match(up.stderr, /lab up failed: timed out after 0 s waiting for the network API/);
  assert.match(up.stdout, new RegExp(`removed what was made; the logs stay in ${dir}/logs`));
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), []);
  assert.deepEqual(pidsMentioning(dir), []);
  assert.ok(!existsSync(statePath(name)));
  assert.ok(existsSync(join(dir, 'logs', 'osad.log')));
});

test('Ctrl-C during lab up: it stops and removes what it made', async (t) => {
  requireLabTools();
  const { name, dir, env, ports } = await freshLab(t);
  const child = spawn(process.execPath, [CLI, 'lab', 'up', '--hosts', '2', '--name', name, '--dir', dir, ...ports], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // once the namespaces are made and the processes are starting
  for (let i = 0; i < 200 && !out.includes(`lab ${name}: switch`); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(out.includes(`lab ${name}: switch`), out);
  child.kill('SIGINT');
  assert.equal(await exited, 1, out);
  assert.match(out, /lab up failed: interrupted/);
  assert.deepEqual(netnsList().filter((n) => n.startsWith(`${name}-`)), []);
  assert.deepEqual(pidsMentioning(dir), []);
  assert.ok(!existsSync(statePath(name)));
});
