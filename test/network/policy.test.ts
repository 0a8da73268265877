// Neutron's default policy rules (src/network/model/policy-rules.ts) as the API
// enforces them: admin-only attributes, readers who cannot write, attributes
// hidden from non-admins, 403 for what a caller can see but may not change.
// Callers come from testHeaderAuth, which stands in for the keystone strategy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { dbState } from './db-counts.js';

const MEMBER = as('project-a', 'member');
const READER = as('project-a', 'reader');
const OTHER = as('project-b', 'member');
const ADMIN = as('admin-project', 'admin');
const SERVICE = as('service-project', 'service');

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 201) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function refused(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, rule: string) {
  const before = await dbState(net.database);
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, 403, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body, { NeutronError: { type: 'PolicyNotAuthorized', message: `(rule:${rule}) is disallowed by policy`, detail: '' } });
  assert.deepEqual(await dbState(net.database), before, `${method} ${path}: refused but the database changed`);
}

for (const backend of backends()) {
  test(`policy: Neutron's default rules on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      // --- admin-only attributes, on create and update
      for (const [attrs, rule] of [
        [{ shared: true }, 'create_network:shared'],
        [{ 'router:external': true }, 'create_network:router:external'],
        [{ 'provider:network_type': 'vxlan' }, 'create_network:provider:network_type'],
        [{ 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' }, 'create_network:provider:network_type'],
        [{ is_default: true }, 'create_network:is_default'],
      ] as const) {
        await refused(net, 'POST', '/v2.0/networks', { network: { name: 'n', ...attrs } }, MEMBER, rule);
      }
      // given with its default value, an attribute is not checked (Neutron's _is_attribute_explicitly_set)
      const own = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'own', shared: false, 'router:external': false } }, MEMBER)).network;
      await refused(net, 'PUT', `/v2.0/networks/${own.id}`, { network: { shared: false } }, MEMBER, 'update_network:shared');
      await refused(net, 'PUT', `/v2.0/networks/${own.id}`, { network: { 'router:external': true } }, MEMBER, 'update_network:router:external');
      assert.equal((await ok(net, 'PUT', `/v2.0/networks/${own.id}`, { network: { name: 'renamed', port_security_enabled: false } }, MEMBER, 200)).network.name, 'renamed');

      // provider attributes are hidden from members, shown to admins
      const shown = (await ok(net, 'GET', `/v2.0/networks/${own.id}`, undefined, MEMBER, 200)).network;
      for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id']) assert.ok(!(k in shown), k);
      assert.equal(shown.name, 'renamed');
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${own.id}`, undefined, ADMIN, 200)).network['provider:network_type'], 'vxlan');
      assert.ok(!('provider:network_type' in (await ok(net, 'GET', '/v2.0/networks', undefined, MEMBER, 200)).networks[0]));

      const sub = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: own.id, cidr: '10.2.0.0/24', ip_version: 4 } }, MEMBER)).subnet;
      // Neutron has create_/update_subnet:service_types = admin in its table but never consults them:
      // neutron-lib's service_types has no enforce_policy (tempest's SubnetServiceTypeTestJSON relies on it)
      const typed = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: own.id, cidr: '10.3.0.0/24', ip_version: 4, service_types: ['compute:nova'] } }, MEMBER)).subnet;
      assert.deepEqual(typed.service_types, ['compute:nova']);
      assert.deepEqual((await ok(net, 'PUT', `/v2.0/subnets/${typed.id}`, { subnet: { service_types: ['test:type_1'] } }, MEMBER, 200)).subnet.service_types, ['test:type_1']);
      await ok(net, 'DELETE', `/v2.0/subnets/${typed.id}`, undefined, MEMBER, 204);

      // --- ports: binding attributes are the admin's (profile the service's), hidden from members
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: own.id, 'binding:host_id': 'h1' } }, MEMBER, 'create_port:binding:host_id');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: own.id, 'binding:profile': { a: 1 } } }, MEMBER, 'create_port:binding:profile');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: own.id, 'binding:profile': { a: 1 } } }, ADMIN, 'create_port:binding:profile');
      assert.deepEqual((await ok(net, 'POST', '/v2.0/ports', { port: { network_id: own.id, 'binding:profile': { a: 1 } } }, SERVICE)).port['binding:profile'], { a: 1 });
      // what the network owner may do on its own network
      const port = (await ok(net, 'POST', '/v2.0/ports', {
        port: { network_id: own.id, mac_address: 'fa:16:3e:11:22:33', fixed_ips: [{ subnet_id: sub.id, ip_address: '10.2.0.50' }], device_owner: 'network:dhcp' },
      }, MEMBER)).port;
      for (const k of ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']) assert.ok(!(k in port), `${k} shown to a member`);
      assert.equal(port['binding:vnic_type'], 'normal');
      assert.equal((await ok(net, 'GET', `/v2.0/ports/${port.id}`, undefined, ADMIN, 200)).port['binding:vif_type'], 'unbound');
      await refused(net, 'PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'h1' } }, MEMBER, 'update_port:binding:host_id');
      await refused(net, 'PUT', `/v2.0/ports/${port.id}`, { port: { mac_address: 'fa:16:3e:11:22:34' } }, MEMBER, 'update_port:mac_address');
      assert.equal((await ok(net, 'PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'h1' } }, ADMIN, 200)).port['binding:host_id'], 'h1');

      // --- readers read, and write nothing (403: they can see what they may not change)
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${own.id}`, undefined, READER, 200)).network.id, own.id);
      assert.equal((await ok(net, 'GET', '/v2.0/ports', undefined, READER, 200)).ports.length, 2);
      await refused(net, 'POST', '/v2.0/networks', { network: { name: 'r' } }, READER, 'create_network');
      await refused(net, 'PUT', `/v2.0/networks/${own.id}`, { network: { name: 'r' } }, READER, 'update_network');
      await refused(net, 'DELETE', `/v2.0/networks/${own.id}`, undefined, READER, 'delete_network');
      await refused(net, 'POST', '/v2.0/subnets', { subnet: { network_id: own.id, cidr: '10.4.0.0/24', ip_version: 4 } }, READER, 'create_subnet');
      await refused(net, 'PUT', `/v2.0/subnets/${sub.id}`, { subnet: { name: 'r' } }, READER, 'update_subnet');
      await refused(net, 'DELETE', `/v2.0/subnets/${sub.id}`, undefined, READER, 'delete_subnet');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: own.id } }, READER, 'create_port');
      await refused(net, 'PUT', `/v2.0/ports/${port.id}`, { port: { name: 'r' } }, READER, 'update_port');
      await refused(net, 'DELETE', `/v2.0/ports/${port.id}`, undefined, READER, 'delete_port');
      await refused(net, 'PUT', `/v2.0/networks/${own.id}/tags/t`, undefined, READER, 'update_networks_tags');
      await refused(net, 'DELETE', `/v2.0/networks/${own.id}/tags`, undefined, READER, 'delete_networks_tags');
      assert.deepEqual((await ok(net, 'GET', `/v2.0/networks/${own.id}/tags`, undefined, READER, 200)).tags, []);
      await refused(net, 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: own.id, action: 'access_as_shared', target_tenant: 'project-b' } }, READER, 'create_rbac_policy');

      // --- a shared network: others use it, within the rules
      const pub = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'pub', shared: true } }, ADMIN)).network;
      const pubSub = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '10.8.0.0/24', ip_version: 4 } }, ADMIN)).subnet;
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${pub.id}`, undefined, OTHER, 200)).network.shared, true);
      assert.equal((await ok(net, 'GET', `/v2.0/subnets/${pubSub.id}`, undefined, OTHER, 200)).subnet.id, pubSub.id);
      // visible, so 403 rather than 404
      await refused(net, 'PUT', `/v2.0/networks/${pub.id}`, { network: { name: 'mine' } }, OTHER, 'update_network');
      await refused(net, 'DELETE', `/v2.0/networks/${pub.id}`, undefined, OTHER, 'delete_network');
      await refused(net, 'PUT', `/v2.0/subnets/${pubSub.id}`, { subnet: { name: 'mine' } }, OTHER, 'update_subnet');
      await refused(net, 'POST', '/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '10.9.0.0/24', ip_version: 4 } }, OTHER, 'create_subnet');
      // a port on it: yes; on its subnet by id: yes; a chosen address, MAC or network device owner: the network owner's
      const p1 = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id } }, OTHER)).port;
      assert.equal(p1.project_id, 'project-b');
      assert.equal(p1.fixed_ips[0].subnet_id, pubSub.id);
      assert.equal((await ok(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, fixed_ips: [{ subnet_id: pubSub.id }] } }, OTHER)).port.fixed_ips.length, 1);
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, fixed_ips: [{ subnet_id: pubSub.id, ip_address: '10.8.0.9' }] } }, OTHER, 'create_port:fixed_ips:ip_address');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, mac_address: 'fa:16:3e:00:00:01' } }, OTHER, 'create_port:mac_address');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, device_owner: 'network:router_interface' } }, OTHER, 'create_port:device_owner');
      await refused(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, allowed_address_pairs: [{ ip_address: '10.8.0.0/24' }] } }, OTHER, 'create_port:allowed_address_pairs');
      assert.equal((await ok(net, 'POST', '/v2.0/ports', { port: { network_id: pub.id, device_owner: 'compute:nova' } }, OTHER)).port.device_owner, 'compute:nova');
      // B's own port: B updates it; the fixed_ips rule wants the network owner
      assert.equal((await ok(net, 'PUT', `/v2.0/ports/${p1.id}`, { port: { name: 'b-port' } }, OTHER, 200)).port.name, 'b-port');
      await refused(net, 'PUT', `/v2.0/ports/${p1.id}`, { port: { fixed_ips: [{ ip_address: '10.8.0.99' }] } }, OTHER, 'update_port:fixed_ips');
    } finally {
      await net.close();
    }
  });
}
