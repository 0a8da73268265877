// Agents and DHCP scheduling with Debian's stock `openstack` client, as an operator
// types the commands: network agent list/show/set/delete, agent add/remove network --dhcp,
// agent list --network, network list --agent.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backends, requireTool } from '../support/backends.js';
import { exec } from '../support/cli.js';
import { startNetwork } from '../support/network-server.js';
import { DHCP, L2, l2Configurations, networkWithSubnet, report } from '../support/agents.js';

for (const backend of backends()) {
  test(`network agents with the stock openstack client (${backend.name})`, async (t) => {
    requireTool('openstack', 'python3-openstackclient');
    const home = await mkdtemp(join(tmpdir(), 'cloudlet-oshome-'));
    t.after(() => rm(home, { recursive: true, force: true }));
    // noauth: every caller is an admin, as Neutron's noauth
    const net = await startNetwork(backend);
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
      const ok = async (...args: string[]): Promise<any> => {
        const r = await exec('openstack', ['--os-auth-type', 'none', '--os-endpoint', net.url, ...args], env);
        assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
        return r.stdout.trim() ? JSON.parse(r.stdout) : null;
      };
      const l2 = await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      const dhcp = await report(net, 'osad', DHCP, { networks: 0 });
      const { networkId } = await networkWithSubnet(net);

      const list = await ok('network', 'agent', 'list', '-f', 'json');
      assert.deepEqual(list.map((a: any) => [a['Agent Type'], a.Host, a.Alive, a.State, a.Binary]).sort(), [
        ['DHCP agent', 'osad', true, true, 'neutron-dhcp-agent'],
        ['Linux bridge agent', 'osad1', true, true, 'neutron-linuxbridge-agent'],
      ]);
      const shown = await ok('network', 'agent', 'show', l2, '-f', 'json');
      assert.equal(shown.host, 'osad1');
      assert.deepEqual(shown.configuration ?? shown.configurations, l2Configurations('192.0.2.11'));

      await ok('network', 'agent', 'set', '--disable', '--description', 'maintenance', l2);
      const disabled = await ok('network', 'agent', 'show', l2, '-f', 'json');
      assert.equal(disabled.admin_state_up, false);
      assert.equal(disabled.description, 'maintenance');

      // the DHCP scheduler: the network went to the DHCP agent on subnet create
      assert.deepEqual((await ok('network', 'agent', 'list', '--network', networkId, '-f', 'json')).map((a: any) => a.ID), [dhcp]);
      assert.deepEqual((await ok('network', 'list', '--agent', dhcp, '-f', 'json')).map((n: any) => n.ID), [networkId]);
      await ok('network', 'agent', 'remove', 'network', '--dhcp', dhcp, networkId);
      assert.deepEqual(await ok('network', 'list', '--agent', dhcp, '-f', 'json'), []);
      await ok('network', 'agent', 'add', 'network', '--dhcp', dhcp, networkId);
      assert.deepEqual((await ok('network', 'agent', 'list', '--network', networkId, '-f', 'json')).map((a: any) => a.ID), [dhcp]);

      await ok('network', 'agent', 'delete', l2);
      assert.deepEqual((await ok('network', 'agent', 'list', '-f', 'json')).map((a: any) => a.ID), [dhcp]);
    } finally {
      await net.close();
    }
  });
}
