// The README's lab, as a new user types it: `cloudlet lab up`, a network and subnet through
// the clouds.yaml entry, two ports plugged into instances on osad1 and osad2 from the
// machine, a DHCP lease in each (the port's address) and a ping between them over VXLAN.
// Needs the agents (`cloudlet agent`, `cloudlet port`, `cloudlet up --bind/--host`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { requireTool } from '../support/backends.js';
import { cloudlet, exec, freePort, requireBuiltCli } from '../support/cli.js';

// udhcpc runs this with the lease in its environment (Debian's busybox ships none)
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
    ;;
esac
exit 0
`;

test('lab up, then two instances on two compute hosts get their ports\' addresses by DHCP and ping each other', async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab tests make network namespaces: run them as root');
  requireBuiltCli();
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nsenter', 'util-linux'], ['busybox', 'busybox-static'], ['openstack', 'python3-openstackclient'], ['dnsmasq', 'dnsmasq-base']]) requireTool(cmd!, pkg!);
  const name = `t${randomBytes(3).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'cloudlet-lab-home-'));
  const dir = join(mkdtempSync(join(tmpdir(), 'cloudlet-lab-')), name);
  const script = join(home, 'udhcpc-apply');
  writeFileSync(script, UDHCPC_SCRIPT);
  chmodSync(script, 0o755);
  const entry = `cloudlet-${name}`;
  const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', OS_CLOUD: entry };
  const vms = [`${name}vm1`, `${name}vm2`];
  t.after(async () => {
    await cloudlet(['lab', 'down', '--name', name], env);
    for (const ns of [...vms, ...readdirSync('/run/netns').filter((n) => n.startsWith(`${name}-`))]) await exec('ip', ['netns', 'delete', ns], env);
    rmSync(home, { recursive: true, force: true });
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
  const help = (await cloudlet(['--help'], env)).stdout;
  assert.match(help, /^ +agent\b/m, 'this build has no `cloudlet agent`: the lab runs no agents (merge the agents first)');
  assert.match(help, /^ +port\b/m, 'this build has no `cloudlet port` (plug)');

  const ports = ['--identity-port', String(await freePort()), '--network-port', String(await freePort()), '--registry-port', String(await freePort())];
  const up = await cloudlet(['lab', 'up', '--hosts', '3', '--name', name, '--dir', dir, ...ports], env);
  assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);

  const os = async (args: string[]) => {
    const r = await exec('openstack', args, env);
    assert.equal(r.code, 0, `openstack ${args.join(' ')}:\n${r.stderr}`);
    return r.stdout;
  };
  const agents = JSON.parse(await os(['network', 'agent', 'list', '-f', 'json'])) as Array<{ Host: string; 'Agent Type': string; Alive: boolean }>;
  for (const host of ['osad', 'osad1', 'osad2']) assert.ok(agents.some((a) => a.Host === host && a['Agent Type'] === 'Linux bridge agent' && a.Alive), `an alive L2 agent on ${host}`);
  await os(['network', 'create', 'net1']);
  await os(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1']);
  const addrs: string[] = [];
  for (const [i, vm] of vms.entries()) {
    const port = JSON.parse(await os(['port', 'create', '--network', 'net1', '-f', 'json', `vm${i + 1}`])) as { id: string; fixed_ips: Array<{ ip_address: string }> };
    addrs.push(port.fixed_ips[0]!.ip_address);
    await exec('ip', ['netns', 'add', vm], env);
    const plug = await cloudlet(['port', 'plug', '--host', `osad${i + 1}`, port.id, '--netns', vm, '--wait', '30'], env);
    assert.equal(plug.code, 0, `port plug:\n${plug.stdout}${plug.stderr}`);
    assert.equal((await exec('ip', ['-n', `${name}-osad${i + 1}`, 'link', 'show', `tap${port.id.slice(0, 11)}`], env)).code, 0, `the tap is in osad${i + 1}`);
  }
  for (const [i, vm] of vms.entries()) {
    const lease = await exec('ip', ['netns', 'exec', vm, 'busybox', 'udhcpc', '-i', 'eth0', '-q', '-n', '-t', '10', '-T', '2', '-O', 'mtu', '-s', script], env);
    assert.equal(lease.code, 0, `${vm} got no lease:\n${lease.stderr}`);
    const shown = await exec('ip', ['-n', vm, '-4', '-o', 'addr', 'show', 'eth0'], env);
    assert.match(shown.stdout, new RegExp(`inet ${addrs[i]!.replace(/\./g, '\\.')}/24`), `${vm} has its port's address`);
  }
  const ping = await exec('ip', ['netns', 'exec', vms[0]!, 'busybox', 'ping', '-c', '3', '-W', '2', addrs[1]!], env);
  assert.equal(ping.code, 0, `vm1 → vm2 over VXLAN:\n${ping.stdout}${ping.stderr}`);

  const down = await cloudlet(['lab', 'down', '--name', name], env);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`${name}-`)), []);
  assert.ok(!existsSync(dir));
});
