// src/host/linux/netns.ts reads without root: `ip -json` output (iproute2 6.1) parsed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listNamespaces, namespacesState, namespaceState } from '../../src/host/linux/netns.js';
import { RecordingRunner } from '../../src/host/linux/runner.js';

test('namespaceState: links, addresses and both default routes from one ip -batch', async () => {
  const addrs = [
    { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
    {
      ifindex: 2,
      ifname: 'ns-aaaaaaaa-bb',
      flags: ['BROADCAST', 'MULTICAST'],
      mtu: 1450,
      address: 'fa:16:3e:00:00:02',
      addr_info: [
        { family: 'inet', local: '10.0.0.2', prefixlen: 24, scope: 'global' },
        { family: 'inet6', local: 'fe80::f816:3eff:fe00:2', prefixlen: 64, scope: 'link' },
      ],
    },
  ];
  const routes = [
    { dst: 'default', gateway: '10.0.0.1', dev: 'ns-aaaaaaaa-bb', flags: [] },
    { dst: 'default', gateway: '2001:db8::1', dev: 'ns-aaaaaaaa-bb', metric: 1024, flags: [] },
  ];
  const runner = new RecordingRunner({ 'ip -json -n qdhcp-x -batch -': { stdout: `${JSON.stringify(addrs)}\n${JSON.stringify(routes)}\n` } });
  const st = await namespaceState(runner, 'qdhcp-x');
  assert.equal(runner.commands[0]!.input, 'addr show\nroute show default table all\n');
  assert.deepEqual(st.links[1], {
    name: 'ns-aaaaaaaa-bb',
    ifindex: 2,
    mac: 'fa:16:3e:00:00:02',
    mtu: 1450,
    up: false,
    addresses: [
      { cidr: '10.0.0.2/24', family: 4, scope: 'global' },
      { cidr: 'fe80::f816:3eff:fe00:2/64', family: 6, scope: 'link' },
    ],
  });
  assert.equal(st.links[0]!.up, true);
  assert.deepEqual(st.routes, [
    { family: 4, gateway: '10.0.0.1', dev: 'ns-aaaaaaaa-bb' },
    { family: 6, gateway: '2001:db8::1', dev: 'ns-aaaaaaaa-bb' },
  ]);
});

test('listNamespaces: JSON, and nothing at all when there are none (older iproute2)', async () => {
  assert.deepEqual(await listNamespaces(new RecordingRunner({ 'ip -json netns list': { stdout: '[{"name":"qdhcp-a","id":0},{"name":"b"}]\n' } })), ['qdhcp-a', 'b']);
  assert.deepEqual(await listNamespaces(new RecordingRunner()), []);
});

test('namespacesState: many namespaces in two reads (xargs, in order, a JSON line each); all or nothing', async () => {
  const lo = (up: boolean) => ({ ifindex: 1, ifname: 'lo', flags: up ? ['LOOPBACK', 'UP'] : ['LOOPBACK'], mtu: 65536, address: '00:00:00:00:00:00' });
  const ns = { ifindex: 2, ifname: 'ns-aaaaaaaa-bb', flags: ['UP'], mtu: 1450, address: 'fa:16:3e:00:00:02', addr_info: [{ family: 'inet', local: '10.0.0.2', prefixlen: 24, scope: 'global' }] };
  const addrs = `${JSON.stringify([lo(true), ns])}\n${JSON.stringify([lo(false)])}\n`;
  const routes = `${JSON.stringify([{ dst: 'default', gateway: '10.0.0.1', dev: 'ns-aaaaaaaa-bb', flags: [] }])}\n[]\n`;
  const ADDR = 'xargs -r -I{} ip -json -n {} addr show';
  const ROUTE = 'xargs -r -I{} ip -json -n {} route show default table all';
  const runner = new RecordingRunner({ [ADDR]: { stdout: addrs }, [ROUTE]: { stdout: routes } });
  const all = await namespacesState(runner, ['qdhcp-a', 'qdhcp-b']);
  assert.deepEqual(runner.commands.map((c) => c.input), ['qdhcp-a\nqdhcp-b\n', 'qdhcp-a\nqdhcp-b\n']);
  assert.deepEqual([...all.keys()], ['qdhcp-a', 'qdhcp-b']);
  assert.deepEqual(all.get('qdhcp-a')!.links.map((l) => [l.name, l.up, l.addresses.map((a) => a.cidr)]), [['lo', true, []], ['ns-aaaaaaaa-bb', true, ['10.0.0.2/24']]]);
  assert.deepEqual(all.get('qdhcp-a')!.routes, [{ family: 4, gateway: '10.0.0.1', dev: 'ns-aaaaaaaa-bb' }]);
  assert.deepEqual(all.get('qdhcp-b')!.routes, []);
  // one namespace gone meanwhile: xargs stops (124) and nothing is trusted
  const gone = new RecordingRunner({ [ADDR]: { stdout: `${JSON.stringify([lo(true)])}\n`, code: 124 }, [ROUTE]: { stdout: '[]\n', code: 124 } });
  assert.equal((await namespacesState(gone, ['qdhcp-a', 'qdhcp-b'])).size, 0);
  assert.equal((await namespacesState(new RecordingRunner(), [])).size, 0);
});
