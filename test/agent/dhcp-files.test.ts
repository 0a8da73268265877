// The DHCP agent's pure planners: dnsmasq's files and command line, compared with the
// strings Neutron's dnsmasq driver writes (neutron/tests/unit/agent/linux/test_dhcp.py
// formats), and the namespace/interface plan. No root.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsmasqArgs, networkFiles } from '../../src/agent/dhcp/dnsmasq-args.js';
import { addnHostsFile, formatOption, hostsFile, optsFile } from '../../src/agent/dhcp/files.js';
import { desiredInterface, planInterface, planTeardown } from '../../src/agent/dhcp/interface-plan.js';
import type { SubnetState } from '../../src/agent/protocol.js';
import { fullArgv } from '../../src/host/linux/runner.js';
import { NET, network, port, subnet } from './dhcp-fixtures.js';

const V4 = 'dddddddd-dddd-dddd-dddd-dddddddddddd';
const V6 = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

const v4 = subnet({ id: V4, cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', dns_nameservers: ['8.8.8.8'], host_routes: [{ destination: '20.0.0.1/24', nexthop: '20.0.0.1' }] });
const v6 = subnet({ id: V6, cidr: 'fdca:3ba5:a17a:4ba3::/64', gateway_ip: 'fdca:3ba5:a17a:4ba3::1', dns_nameservers: ['2001:0200:feed:7ac0::1'], ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });

test('hosts file: mac,fqdn,ip per address; IPv6 in brackets with the dhcpv6 tag; dns_name; extra options and client-id', () => {
  const net = network(
    [v4, v6],
    [
      port('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', '00:00:80:aa:bb:cc', [[V4, '192.168.0.2'], [V6, 'fdca:3ba5:a17a:4ba3::2']]),
      port('bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', '00:00:f3:aa:bb:cc', [[V4, '192.168.0.3']], { dns_name: 'web1' }),
      port('cccccccc-cccc-cccc-cccc-cccccccccccc', '00:00:0f:aa:bb:cc', [[V4, '192.168.0.4']], {
        extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }],
      }),
      port('eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee', '00:00:0e:aa:bb:cc', [[V4, '192.168.0.5']], {
        extra_dhcp_opts: [{ opt_name: 'client-id', opt_value: 'client1', ip_version: 4 }],
      }),
    ],
  );
  assert.equal(
    hostsFile(net, 'openstacklocal'),
    [
      '00:00:80:aa:bb:cc,host-192-168-0-2.openstacklocal,192.168.0.2',
      '00:00:80:aa:bb:cc,tag:dhcpv6,host-fdca-3ba5-a17a-4ba3--2.openstacklocal,[fdca:3ba5:a17a:4ba3::2]',
      '00:00:f3:aa:bb:cc,web1.openstacklocal,192.168.0.3',
      '00:00:0f:aa:bb:cc,host-192-168-0-4.openstacklocal,192.168.0.4,set:port-cccccccc-cccc-cccc-cccc-cccccccccccc',
      '00:00:0e:aa:bb:cc,id:client1,host-192-168-0-5.openstacklocal,192.168.0.5',
      '',
    ].join('\n'),
  );
  assert.equal(
    addnHostsFile(net, 'openstacklocal').split('\n')[0] + '\n' + addnHostsFile(net, 'openstacklocal').split('\n')[2],
    '192.168.0.2\thost-192-168-0-2.openstacklocal host-192-168-0-2\n192.168.0.3\tweb1.openstacklocal web1',
  );
});

test('hosts file: SLAAC addresses are left out; stateless ones with options only tag the port; DHCP-disabled subnets skipped', () => {
  const slaac = subnet({ id: V6, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
  const stateless = subnet({ id: 'ssssssss-ssss-ssss-ssss-ssssssssssss', cidr: '2001:db9::/64', ipv6_address_mode: 'dhcpv6-stateless', ipv6_ra_mode: 'dhcpv6-stateless' });
  const off = subnet({ id: 'oooooooo-oooo-oooo-oooo-oooooooooooo', cidr: '10.9.0.0/24', enable_dhcp: false });
  const p = port('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', '00:00:80:aa:bb:cc', [[V4, '192.168.0.2'], [V6, '2001:db8::5'], [stateless.id, '2001:db9::5'], [off.id, '10.9.0.5']], {
    extra_dhcp_opts: [{ opt_name: 'dns-server', opt_value: '[2001:db8::53]', ip_version: 6 }],
  });
  assert.equal(
    hostsFile(network([v4, slaac, stateless, off], [p]), 'openstacklocal'),
    [
      '00:00:80:aa:bb:cc,tag:dhcpv6,set:port-aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
      '00:00:80:aa:bb:cc,host-192-168-0-2.openstacklocal,192.168.0.2,set:port-aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
      '',
    ].join('\n'),
  );
});

test('opts file: dns-server, classless routes with the default, option 249, router; IPv6 dns and domain-search; per-port options', () => {
  const p = port('eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee', '00:00:80:aa:bb:cc', [[V4, '192.168.0.3']], {
    extra_dhcp_opts: [
      { opt_name: 'tftp-server', opt_value: '192.168.0.3', ip_version: 4 },
      { opt_name: 'tag:ipxe,bootfile-name', opt_value: 'http://x/boot.ipxe', ip_version: 4 },
      { opt_name: '150', opt_value: '10.0.0.1', ip_version: 4 },
      { opt_name: 'dns-server', opt_value: '[2001::1]', ip_version: 6 }, // no IPv6 address: left out
    ],
  });
  assert.equal(
    optsFile(network([v4, v6], [p]), 'openstacklocal'),
    [
      `tag:subnet-${V4},option:dns-server,8.8.8.8`,
      `tag:subnet-${V4},option:classless-static-route,20.0.0.1/24,20.0.0.1,0.0.0.0/0,192.168.0.1`,
      `tag:subnet-${V4},249,20.0.0.1/24,20.0.0.1,0.0.0.0/0,192.168.0.1`,
      `tag:subnet-${V4},option:router,192.168.0.1`,
      `tag:subnet-${V6},option6:dns-server,[2001:0200:feed:7ac0::1]`,
      `tag:subnet-${V6},option6:domain-search,openstacklocal`,
      'tag:port-eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee,option:tftp-server,192.168.0.3',
      'tag:port-eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee,tag:ipxe,option:bootfile-name,http://x/boot.ipxe',
      'tag:port-eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee,150,10.0.0.1',
    ].join('\n'),
  );
});

test('opts file: no nameservers -> none written (dnsmasq names itself); 0.0.0.0 -> an empty dns-server; no gateway -> an empty router; a 0.0.0.0/0 route is the gateway', () => {
  const bare = subnet({ id: V4, cidr: '10.0.0.0/24' });
  assert.equal(optsFile(network([bare], []), 'd'), `tag:subnet-${V4},option:router`);
  const any = subnet({ id: V4, cidr: '10.0.0.0/24', dns_nameservers: ['0.0.0.0'], host_routes: [{ destination: '0.0.0.0/0', nexthop: '10.0.0.254' }] });
  assert.equal(optsFile(network([any], []), 'd'), [`tag:subnet-${V4},option:dns-server`, `tag:subnet-${V4},option:router,10.0.0.254`].join('\n'));
  assert.equal(formatOption(6, 'port-x', 'tag:foo,23', 'v'), 'tag:port-x,tag:foo,option6:23,v');
});

test('dnsmasq argv: as Neutron builds it, with the MTU forced, lease max from the subnet size, the domain and the interface', () => {
  const files = networkFiles('/var/lib/cloudlet/dhcp', NET);
  const args = dnsmasqArgs(network([v4, v6], []), files, { interfaceName: 'ns-aaaaaaaa-aa', domain: 'openstacklocal', leaseDuration: 86400 });
  const d = `/var/lib/cloudlet/dhcp/${NET}`;
  assert.deepEqual(args, [
    '--no-hosts',
    '--no-resolv',
    `--pid-file=${d}/pid`,
    `--dhcp-hostsfile=${d}/host`,
    `--addn-hosts=${d}/addn_hosts`,
    `--dhcp-optsfile=${d}/opts`,
    `--dhcp-leasefile=${d}/leases`,
    '--leasefile-ro',
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
    `--dhcp-range=set:subnet-${V4},192.168.0.0,static,255.255.255.0,86400s`,
    `--dhcp-range=set:subnet-${V6},fdca:3ba5:a17a:4ba3::,static,64,86400s`,
    '--enable-ra',
    '--dhcp-option-force=option:mtu,1450',
    `--dhcp-lease-max=${2 ** 24}`,
    '--conf-file=/dev/null',
    '--domain=openstacklocal',
    '--interface=ns-aaaaaaaa-aa',
  ]);
});

test('dnsmasq argv: IPv6 modes — SLAAC advertised ra-only, stateless ra-stateless, no RA mode no advertisements; DHCP-off subnets out; infinite leases', () => {
  const ranges = (s: SubnetState) =>
    dnsmasqArgs(network([s], [], { mtu: 0 }), networkFiles('/d', NET), { interfaceName: 'ns-x', domain: '', leaseDuration: -1 }).filter((a) => /^--(dhcp-range|enable-ra|dhcp-option-force|domain|dhcp-lease-max)/.test(a));
  const id = V6;
  assert.deepEqual(ranges(subnet({ id, cidr: '2001:db8::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })), [`--dhcp-range=set:subnet-${id},2001:db8::,ra-only,64,infinite`, '--enable-ra', `--dhcp-lease-max=${2 ** 24}`]);
  assert.deepEqual(ranges(subnet({ id, cidr: '2001:db8::/64', ipv6_ra_mode: 'dhcpv6-stateless', ipv6_address_mode: 'dhcpv6-stateless' })), [
    `--dhcp-range=set:subnet-${id},2001:db8::,ra-stateless,64,infinite`,
    '--enable-ra',
    `--dhcp-lease-max=${2 ** 24}`,
  ]);
  assert.deepEqual(ranges(subnet({ id, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac' })), ['--dhcp-lease-max=0']);
  assert.deepEqual(ranges(subnet({ id, cidr: '2001:db8::/64' })), [`--dhcp-range=set:subnet-${id},2001:db8::,static,64,infinite`, `--dhcp-lease-max=${2 ** 24}`]);
  assert.deepEqual(ranges(subnet({ id: V4, cidr: '10.0.0.0/28', enable_dhcp: false })), ['--dhcp-lease-max=0']);
});

test('interface plan: a new network is namespace, accept_ra off, lo up, veth with the MAC and MTU, addresses, default route', () => {
  const dhcp = port('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'FA:16:3E:00:00:02', [[V4, '192.168.0.2'], [V6, 'fdca:3ba5:a17a:4ba3:0::2']], { device_owner: 'network:dhcp' });
  const want = desiredInterface(network([v4, v6], [dhcp]), dhcp);
  const ns = `qdhcp-${NET}`;
  assert.deepEqual(planInterface(want, { namespaceExists: false, nsLinks: [], hostTap: null, routes: [] }).map((c) => fullArgv(c).join(' ')), [
    `ip netns add ${ns}`,
    `ip netns exec ${ns} sysctl -q -w net.ipv6.conf.default.accept_ra=0`,
    `ip -n ${ns} link set dev lo up`,
    `ip link add tapaaaaaaaa-bb type veth peer name ns-aaaaaaaa-bb netns ${ns}`,
    `ip -n ${ns} link set dev ns-aaaaaaaa-bb address fa:16:3e:00:00:02 mtu 1450 up`,
    'ip link set dev tapaaaaaaaa-bb mtu 1450 up',
    `ip -n ${ns} addr add 192.168.0.2/24 dev ns-aaaaaaaa-bb`,
    `ip -n ${ns} addr add fdca:3ba5:a17a:4ba3::2/64 dev ns-aaaaaaaa-bb nodad`,
    `ip -4 -n ${ns} route replace default via 192.168.0.1 dev ns-aaaaaaaa-bb`,
    `ip -6 -n ${ns} route replace default via fdca:3ba5:a17a:4ba3::1 dev ns-aaaaaaaa-bb`,
  ]);

  // as made: nothing to do
  const made = {
    namespaceExists: true,
    nsLinks: [
      { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', mtu: 65536, up: true, addresses: [{ cidr: '127.0.0.1/8', family: 4 as const, scope: 'host' }] },
      {
        name: 'ns-aaaaaaaa-bb',
        ifindex: 2,
        mac: 'fa:16:3e:00:00:02',
        mtu: 1450,
        up: true,
        addresses: [
          { cidr: '192.168.0.2/24', family: 4 as const, scope: 'global' },
          { cidr: 'fdca:3ba5:a17a:4ba3::2/64', family: 6 as const, scope: 'global' },
          { cidr: 'fe80::f816:3eff:fe00:2/64', family: 6 as const, scope: 'link' },
        ],
      },
    ],
    hostTap: null,
    routes: [
      { family: 4 as const, gateway: '192.168.0.1', dev: 'ns-aaaaaaaa-bb' },
      { family: 6 as const, gateway: 'fdca:3ba5:a17a:4ba3::1', dev: 'ns-aaaaaaaa-bb' },
    ],
  };
  assert.deepEqual(planInterface(want, made), []);

  // drift: MTU, a stale address, an old DHCP port's device, no gateway any more
  const drifted = { ...made, nsLinks: [made.nsLinks[0]!, { ...made.nsLinks[1]!, mtu: 1500, addresses: [...made.nsLinks[1]!.addresses, { cidr: '192.168.0.9/24', family: 4 as const, scope: 'global' }] }, { ...made.nsLinks[1]!, name: 'ns-old' }] };
  const noGw = desiredInterface(network([{ ...v4, gateway_ip: null }, v6], [dhcp]), dhcp);
  assert.deepEqual(planInterface(noGw, drifted).map((c) => fullArgv(c).join(' ')), [
    `ip -n ${ns} link del dev ns-old`,
    `ip -n ${ns} link set dev ns-aaaaaaaa-bb mtu 1450`,
    `ip -n ${ns} addr del 192.168.0.9/24 dev ns-aaaaaaaa-bb`,
    `ip -4 -n ${ns} route del default`,
  ]);
});

test('interface plan: a half-made pair (host end alone) is made again; teardown deletes the namespace end, then the namespace', () => {
  const dhcp = port('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'fa:16:3e:00:00:02', [[V4, '192.168.0.2']]);
  const want = desiredInterface(network([v4], [dhcp]), dhcp);
  const tap = { name: 'tapaaaaaaaa-bb', ifindex: 9, mac: 'x', mtu: 1450, up: true, addresses: [] };
  const lines = planInterface(want, { namespaceExists: true, nsLinks: [], hostTap: tap, routes: [] }).map((c) => fullArgv(c).join(' '));
  assert.deepEqual(lines.slice(0, 3), [`ip -n qdhcp-${NET} link set dev lo up`, 'ip link del dev tapaaaaaaaa-bb', `ip link add tapaaaaaaaa-bb type veth peer name ns-aaaaaaaa-bb netns qdhcp-${NET}`]);
  const ns = `qdhcp-${NET}`;
  const dev = { ...tap, name: 'ns-aaaaaaaa-bb' };
  assert.deepEqual(planTeardown(ns, [dev], true, null).map((c) => fullArgv(c).join(' ')), [`ip -n ${ns} link del dev ns-aaaaaaaa-bb`, `ip netns del ${ns}`]);
  assert.deepEqual(planTeardown(ns, [], false, 'tapaaaaaaaa-bb').map((c) => fullArgv(c).join(' ')), ['ip link del dev tapaaaaaaaa-bb']);
});
