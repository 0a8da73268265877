// The agent endpoints (src/agent/protocol.ts): only the service role or admins; report
// validation; a host's desired state for the L2 and the DHCP agent (networks, subnets, every
// port, VTEPs of the other hosts); devices up/down through the plugin; the DHCP port made
// once per (network, host) as Neutron's create_dhcp_port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_API, type HostState } from '../../src/agent/protocol.js';
import { keystoneAuth } from '../../src/network/api/keystone-auth.js';
import { dhcpDeviceId } from '../../src/network/agents/dhcp-device.js';
import { ensureDhcpPort } from '../../src/network/agents/api/dhcp-port.js';
import { makeCaller } from '../../src/network/model/caller.js';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startIdentity } from '../support/identity-server.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { ADMIN, DHCP, L2, SERVICE, l2Configurations, networkWithSubnet, report } from '../support/agents.js';

const MEMBER = as('project-a', 'member');
const REPORT = { host: 'osad', agent_type: L2, binary: 'neutron-linuxbridge-agent', topic: 'N/A', configurations: {} };

async function call(net: RunningNetwork, method: string, path: string, body?: unknown, headers = SERVICE, status = 200) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const state = (net: RunningNetwork, query: string): Promise<HostState> => call(net, 'GET', `${AGENT_API}/state?${query}`);
const L2_Q = 'agent_type=Linux%20bridge%20agent';
const DHCP_Q = 'agent_type=DHCP%20agent';

for (const backend of backends()) {
  test(`agent endpoints: keystone tokens with the service or admin role only (${backend.name})`, async () => {
    const identity = await startIdentity(backend);
    const net = await startNetwork(backend, () => {}, keystoneAuth(identity.server.tokens, identity.url));
    try {
      const admin = await identity.login();
      assert.equal((await net.call('POST', `${AGENT_API}/report`, REPORT, { 'x-auth-token': admin })).status, 200);
      for (const headers of [{}, { 'x-auth-token': 'garbage' }]) {
        const r = await net.call('POST', `${AGENT_API}/report`, REPORT, headers);
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.equal((await net.call('GET', `${AGENT_API}/state?host=osad&${L2_Q}`, undefined, headers)).status, 401);
      }
      // a member of some project may not speak for agents
      const project = (await identity.call('POST', '/v3/projects', { project: { name: 'p', domain_id: 'default' } }, { 'x-auth-token': admin })).body.project.id;
      const user = (await identity.call('POST', '/v3/users', { user: { name: 'u', password: 'pw-u-123', domain_id: 'default' } }, { 'x-auth-token': admin })).body.user.id;
      const roles = (await identity.call('GET', '/v3/roles', undefined, { 'x-auth-token': admin })).body.roles;
      const member = roles.find((r: any) => r.name === 'member').id;
      assert.equal((await identity.call('PUT', `/v3/projects/${project}/users/${user}/roles/${member}`, undefined, { 'x-auth-token': admin })).status, 204);
      const token = await identity.login({ user: 'u', password: 'pw-u-123', project: 'p' });
      for (const [method, path, body] of [['POST', `${AGENT_API}/report`, REPORT], ['GET', `${AGENT_API}/state?host=osad&${L2_Q}`, undefined],
        ['POST', `${AGENT_API}/devices`, { host: 'osad', up: [], down: [] }], ['POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: 'x' }]] as const) {
        const r = await net.call(method, path, body, { 'x-auth-token': token });
        assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.NeutronError.type, 'PolicyNotAuthorized');
      }
    } finally {
      await net.close();
      await identity.close();
    }
  });

  test(`agent endpoints: bad reports and queries are 400 (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      await call(net, 'POST', `${AGENT_API}/report`, REPORT, MEMBER, 403);
      const bad: unknown[] = [null, [], 'x', { ...REPORT, host: '' }, { ...REPORT, host: 'h'.repeat(256) }, { ...REPORT, agent_type: 'L3 agent' },
        { ...REPORT, binary: 3 }, { ...REPORT, topic: undefined }, { ...REPORT, configurations: [] }, { ...REPORT, start_flag: 'yes' },
        { ...REPORT, resources_synced: 1 }, { ...REPORT, availability_zone: 5 }, { ...REPORT, configurations: { big: 'x'.repeat(70_000) } }];
      for (const body of bad) assert.equal((await call(net, 'POST', `${AGENT_API}/report`, body, SERVICE, 400)).NeutronError.type, 'HTTPBadRequest');
      assert.deepEqual(await net.database.db.selectFrom('agents').selectAll().execute(), []);
      for (const q of ['', `${L2_Q}`, 'host=osad', 'host=osad&agent_type=L3%20agent']) {
        await call(net, 'GET', `${AGENT_API}/state?${q}`, undefined, SERVICE, 400);
      }
      for (const body of [{ host: 'osad', up: 'x' }, { host: 'osad', up: [1] }, { up: [] }, { host: 'osad', down: new Array(10_001).fill('x') }]) {
        await call(net, 'POST', `${AGENT_API}/devices`, body, SERVICE, 400);
      }
      await call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad' }, SERVICE, 400);
      await call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: '2ff0e4c3-1b7e-4e8b-b0a2-000000000000' }, SERVICE, 404);
      const bare = (await call(net, 'POST', '/v2.0/networks', { network: { name: 'bare' } }, ADMIN, 201)).network.id;
      assert.equal((await call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: bare }, SERVICE, 409)).NeutronError.type, 'Conflict');
    } finally {
      await net.close();
    }
  });

  test(`agent endpoints: host state, devices, DHCP port (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      await report(net, 'osad', L2, l2Configurations('192.0.2.10'));
      await report(net, 'osad1', L2, l2Configurations('192.0.2.11'));
      await report(net, 'osad2', L2, l2Configurations('192.0.2.12'));
      const dhcpAgent = await report(net, 'osad', DHCP, {});
      const a = await networkWithSubnet(net, '10.0.0.0/24');
      const b = await networkWithSubnet(net, '10.1.0.0/24');
      const extra = [{ opt_name: 'mtu', opt_value: '1400' }];
      const p1 = (await call(net, 'POST', '/v2.0/ports', { port: { network_id: a.networkId, 'binding:host_id': 'osad1', extra_dhcp_opts: extra } }, ADMIN, 201)).port;
      const p2 = (await call(net, 'POST', '/v2.0/ports', { port: { network_id: a.networkId, 'binding:host_id': 'osad2' } }, ADMIN, 201)).port;
      await call(net, 'POST', '/v2.0/ports', { port: { network_id: b.networkId, 'binding:host_id': 'osad2' } }, ADMIN, 201);

      // L2 on osad1: network a only, with every port and the other hosts' VTEPs
      const s1 = await state(net, `host=osad1&${L2_Q}`);
      assert.equal(typeof s1.revision, 'number');
      assert.equal(s1.host, 'osad1');
      assert.equal(s1.networks.length, 1);
      const na = s1.networks[0];
      assert.equal(na.id, a.networkId);
      assert.deepEqual([na.network_type, na.mtu, na.dns_domain, na.physical_network], ['vxlan', 1450, 'openstacklocal', null]);
      assert.equal(typeof na.segmentation_id, 'number');
      assert.deepEqual(na.subnets.map((s) => [s.id, s.cidr, s.enable_dhcp, s.gateway_ip, s.allocation_pools]),
        [[a.subnetId, '10.0.0.0/24', true, '10.0.0.1', [{ start: '10.0.0.2', end: '10.0.0.254' }]]]);
      assert.deepEqual(na.ports.map((p) => p.id).sort(), [p1.id, p2.id].sort());
      const mine = na.ports.find((p) => p.id === p1.id)!;
      assert.deepEqual(mine, {
        id: p1.id, mac_address: p1.mac_address, fixed_ips: p1.fixed_ips, device_owner: '', device_id: '', admin_state_up: true,
        status: 'DOWN', host: 'osad1', vif_type: 'bridge', dns_name: '', extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400', ip_version: 4 }],
      });
      assert.deepEqual(na.vteps, [{ host: 'osad2', ip: '192.0.2.12' }]);
      const s2 = await state(net, `host=osad2&${L2_Q}`);
      assert.deepEqual(s2.networks.map((n) => n.id).sort(), [a.networkId, b.networkId].sort());
      assert.deepEqual(s2.networks.find((n) => n.id === a.networkId)!.vteps, [{ host: 'osad1', ip: '192.0.2.11' }]);
      assert.deepEqual((await state(net, `host=osad2&${L2_Q}&network_id=${b.networkId}`)).networks.map((n) => n.id), [b.networkId]);
      assert.deepEqual((await state(net, `host=nowhere&${L2_Q}`)).networks, []);
      assert.equal((await state(net, `host=nowhere&${L2_Q}`)).agent_id, null);

      // DHCP on osad: both networks are scheduled to its agent
      const d = await state(net, `host=osad&${DHCP_Q}`);
      assert.equal(d.agent_id, dhcpAgent);
      assert.deepEqual(d.networks.map((n) => n.id).sort(), [a.networkId, b.networkId].sort());
      assert.deepEqual((await state(net, `host=osad1&${DHCP_Q}`)).networks, []);
      // a disabled DHCP agent serves nothing
      await call(net, 'PUT', `/v2.0/agents/${dhcpAgent}`, { agent: { admin_state_up: false } }, ADMIN);
      assert.deepEqual((await state(net, `host=osad&${DHCP_Q}`)).networks, []);
      await call(net, 'PUT', `/v2.0/agents/${dhcpAgent}`, { agent: { admin_state_up: true } }, ADMIN);

      // the DHCP port: once per (network, host), Neutron's device_id, bound to the host, the network's project
      const dp = await call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: a.networkId });
      assert.equal(dp.device_owner, 'network:dhcp');
      assert.equal(dp.device_id, dhcpDeviceId(a.networkId, 'osad'));
      assert.equal(dp.host, 'osad');
      assert.equal(dp.vif_type, 'bridge');
      assert.equal(dp.status, 'DOWN');
      assert.deepEqual(dp.fixed_ips.map((f: any) => f.subnet_id), [a.subnetId]);
      const same = await Promise.all([1, 2, 3].map(() => call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: a.networkId })));
      assert.deepEqual(same.map((p) => p.id), [dp.id, dp.id, dp.id]);
      // unserialized, as from several server processes: still one port
      const caller = makeCaller({ projectId: 'service', roles: ['service'] });
      const racing = await Promise.all([1, 2, 3, 4, 5, 6].map(() => ensureDhcpPort(net.server.plugin, caller, b.networkId, 'osad')));
      assert.equal(new Set(racing.map((p) => p.id)).size, 1);
      const dhcpPorts = await net.database.db.selectFrom('ports').select('id').where('device_id', '=', dhcpDeviceId(b.networkId, 'osad')).execute();
      assert.deepEqual(dhcpPorts.map((p) => p.id), [racing[0].id]);
      const shown = (await call(net, 'GET', `/v2.0/ports/${dp.id}`, undefined, ADMIN)).port;
      assert.equal(shown.project_id, 'admin-project');
      // a new DHCP subnet gets an address on the same port
      const v2 = (await call(net, 'POST', '/v2.0/subnets', { subnet: { network_id: a.networkId, cidr: '10.5.0.0/24', ip_version: 4 } }, ADMIN, 201)).subnet.id;
      const grown = await call(net, 'POST', `${AGENT_API}/dhcp-port`, { host: 'osad', network_id: a.networkId });
      assert.equal(grown.id, dp.id);
      assert.deepEqual(grown.fixed_ips.map((f: any) => f.subnet_id).sort(), [a.subnetId, v2].sort());
      // the DHCP port is in the L2 agent's state of its host
      const onOsad = (await state(net, `host=osad&${L2_Q}`)).networks;
      assert.deepEqual(onOsad.map((n) => n.id).sort(), [a.networkId, b.networkId].sort());
      assert.ok(onOsad.find((n) => n.id === a.networkId)!.ports.some((p) => p.id === dp.id));

      // devices: up goes ACTIVE, down goes DOWN; ports of other hosts and unknown ids are skipped
      const devices = await call(net, 'POST', `${AGENT_API}/devices`, { host: 'osad1', up: [p1.id, p2.id, 'nope'], down: [] });
      assert.deepEqual(devices, { updated: [p1.id], skipped: [p2.id, 'nope'] });
      const after = (await call(net, 'GET', `/v2.0/ports/${p1.id}`, undefined, ADMIN)).port;
      assert.equal(after.status, 'ACTIVE');
      assert.equal(after.revision_number, p1.revision_number + 1, 'through the plugin: the revision moves');
      assert.equal((await call(net, 'GET', `/v2.0/ports/${p2.id}`, undefined, ADMIN)).port.status, 'DOWN');
      await call(net, 'POST', `${AGENT_API}/devices`, { host: 'osad1', up: [], down: [p1.id] });
      assert.equal((await call(net, 'GET', `/v2.0/ports/${p1.id}`, undefined, ADMIN)).port.status, 'DOWN');
      await call(net, 'POST', `${AGENT_API}/devices`, { host: 'osad', up: [dp.id], down: [] });
      assert.equal((await call(net, 'GET', `/v2.0/ports/${dp.id}`, undefined, ADMIN)).port.status, 'ACTIVE');
    } finally {
      await net.close();
    }
  });
}
