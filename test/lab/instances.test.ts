// The README's lab, as a new user types it: `cloudlet lab up`, a network and subnet through
// the clouds.yaml entry, two ports plugged into instances on osad1 and osad2 from the
// machine, a DHCP lease in each (the port's address) and a ping between them over VXLAN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { cloudlet } from '../support/cli.js';
import { labUp, tapOf, until } from './lab-support.js';

test('lab up, then two instances on two compute hosts get their ports\' addresses by DHCP and ping each other', async (t) => {
  const lab = await labUp(t);
  const help = (await cloudlet(['--help'], lab.env)).stdout;
  assert.match(help, /^ +agent\b/m, 'this build has no `cloudlet agent`: the lab runs no agents (merge the agents first)');
  assert.match(help, /^ +port\b/m, 'this build has no `cloudlet port` (plug)');

  const agents = await lab.os<Array<{ Host: string; 'Agent Type': string; Alive: boolean }>>(['network', 'agent', 'list']);
  for (const host of ['osad', 'osad1', 'osad2']) assert.ok(agents.some((a) => a.Host === host && a['Agent Type'] === 'Linux bridge agent' && a.Alive), `an alive L2 agent on ${host}`);
  await lab.os(['network', 'create', 'net1']);
  await lab.os(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1']);
  const vms: Array<{ ns: string; ip: string }> = [];
  for (const i of [1, 2]) {
    const port = await lab.os<{ id: string; fixed_ips: Array<{ ip_address: string }> }>(['port', 'create', '--network', 'net1', `vm${i}`]);
    const ns = await lab.instance(`vm${i}`);
    await lab.plug(`osad${i}`, port.id, ns);
    assert.ok((await lab.links(`osad${i}`)).some((l) => l.ifname === tapOf(port.id)), `the tap is in osad${i}`);
    vms.push({ ns, ip: port.fixed_ips[0]!.ip_address });
  }
  for (const vm of vms) assert.equal((await lab.lease(vm.ns)).ip, vm.ip, `${vm.ns} has its port's address`);
  await until('vm1 → vm2 over VXLAN', async () => ((await lab.ping(vms[0]!.ns, vms[1]!.ip)) ? true : undefined), 10_000);

  const down = await cloudlet(['lab', 'down', '--name', lab.name], lab.env);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`${lab.name}-`)), []);
  assert.ok(!existsSync(lab.dir));
});
