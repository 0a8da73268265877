// What the lab runs where, as data: the controller's `cloudlet up`, the compute agents and
// their config files, the forwarders, and how each is launched into its host. No root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { planTopology } from '../../src/lab/plan.js';
import { cmdlineText, computeAgent, controller, forwarders, launchArgv, type ProcessOptions } from '../../src/lab/processes.js';
import { missingAgents } from '../../src/lab/ready.js';

const t = planTopology({ name: 'lab', hosts: 3, subnet: '10.99.0.0/24' });
const o: ProcessOptions = { dir: '/var/lib/cloudlet-lab/lab', cloudlet: ['node', 'main.js'], ports: { identity: 15357, network: 19696, registry: 15000 } };

test('the controller: cloudlet up bound to its underlay address, the catalog on 127.0.0.1, its clouds.yaml in the lab dir', () => {
  const { process: p, files } = controller(t, o);
  assert.equal(p.host, 'osad');
  assert.deepEqual(p.argv, ['node', 'main.js', 'up', '--config', '/var/lib/cloudlet-lab/lab/osad/cloudlet.yaml', '--data-dir', '/var/lib/cloudlet-lab/lab/osad', '--identity-port', '15357', '--network-port', '19696', '--bind', '10.99.0.1', '--host', 'osad', '--agent-state-dir', '/var/lib/cloudlet-lab/lab/state/osad']);
  assert.deepEqual(p.env, { REGISTRY_HTTP_ADDR: '10.99.0.1:15000', OS_CLIENT_CONFIG_FILE: '/var/lib/cloudlet-lab/lab/osad/clouds.yaml' });
  assert.deepEqual(parse(files[0]!.text), {
    data_dir: '/var/lib/cloudlet-lab/lab/osad',
    identity: { host: '10.99.0.1', port: 15357, public_host: '127.0.0.1' },
    network: { host: '10.99.0.1', port: 19696 },
  });
  assert.equal(files[0]!.mode, 0o600);
  // a build whose `up` has no --bind/--host: the config file binds it
});

test("a compute host's L2 agent and its config: the server on the underlay, the controller's agent password file", () => {
  const { process: p, files } = computeAgent(t, t.hosts[2]!, o);
  assert.deepEqual(p, { name: 'osad2-l2', host: 'osad2', argv: ['node', 'main.js', 'agent', 'l2', '--host', 'osad2', '--config', '/var/lib/cloudlet-lab/lab/osad2.yaml'] });
  assert.deepEqual(parse(files[0]!.text), {
    agent: {
      server: 'http://10.99.0.1:19696',
      auth_url: 'http://10.99.0.1:15357/v3',
      username: 'cloudlet-agent',
      password_file: '/var/lib/cloudlet-lab/lab/osad/agent-password',
      project_name: 'service',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      report_interval: 10,
      state_dir: '/var/lib/cloudlet-lab/lab/state/osad2',
    },
    l2: { local_ip: '10.99.0.12', physical_interface_mappings: {} },
    dhcp: { dnsmasq: 'dnsmasq' },
  });
});

test('forwarders: 127.0.0.1 on the machine to unix sockets, and inside osad the sockets and 127.0.0.1 to its underlay address', () => {
  const [inside, outside] = forwarders(t, o);
  assert.equal(outside!.host, null);
  assert.deepEqual(outside!.argv.slice(2), ['lab', 'forward', 'tcp:127.0.0.1:15357=unix:/var/lib/cloudlet-lab/lab/sockets/identity.sock', 'tcp:127.0.0.1:19696=unix:/var/lib/cloudlet-lab/lab/sockets/network.sock', 'tcp:127.0.0.1:15000=unix:/var/lib/cloudlet-lab/lab/sockets/registry.sock']);
  assert.equal(inside!.host, 'osad');
  assert.ok(inside!.argv.includes('unix:/var/lib/cloudlet-lab/lab/sockets/network.sock=tcp:10.99.0.1:19696'));
  assert.ok(inside!.argv.includes('tcp:127.0.0.1:19696=tcp:10.99.0.1:19696'));
});

test('launch: a host process through nsenter (its network and mount namespaces) into host-exec, no shell; a machine process as it is', () => {
  const p = computeAgent(t, t.hosts[1]!, o).process;
  const l = launchArgv(p, t, o.cloudlet);
  assert.deepEqual(l.argv.slice(0, 3), ['nsenter', '--net=/run/netns/lab-osad1', '--mount=/run/cloudlet-lab/lab/mnt/osad1/ns']);
  assert.deepEqual(l.becomes, ['node', 'main.js', 'lab', 'host-exec', '--', ...p.argv]);
  assert.deepEqual(l.argv.slice(3), l.becomes);
  assert.equal(cmdlineText(['a', 'b c']), 'a\0b c\0');
  const machine = forwarders(t, o)[1]!;
  assert.deepEqual(launchArgv(machine, t, o.cloudlet), { argv: machine.argv, becomes: machine.argv });
  assert.throws(() => launchArgv({ ...p, host: 'osad9' }, t, o.cloudlet), /no host osad9 in lab lab/);
});

test('waiting for agents: the ones not alive', () => {
  const agents = [
    { host: 'osad', agent_type: 'Linux bridge agent', alive: true },
    { host: 'osad', agent_type: 'DHCP agent', alive: false },
    { host: 'osad1', agent_type: 'Linux bridge agent', alive: true },
  ];
  const wanted = [
    { host: 'osad', type: 'DHCP agent' },
    { host: 'osad', type: 'Linux bridge agent' },
    { host: 'osad1', type: 'Linux bridge agent' },
    { host: 'osad2', type: 'Linux bridge agent' },
  ];
  assert.deepEqual(missingAgents(agents, wanted), ['osad: DHCP agent', 'osad2: Linux bridge agent']);
});
