// Every id a request carries (path, body, filter, marker, remote_group_id, subnet_id
// in fixed_ips, rbac object_id, tag paths) is read in the caller's scope: another
// project's private resource answers exactly as an id that does not exist, so a
// member can neither use it nor tell that it exists. A list's marker in particular
// (Neutron's _get_marker_obj): another project's resource is NotFound whatever the
// sort key, so its sort values (names, addresses...) cannot be read by bisection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { networkDef } from '../../src/network/model/resources/network.js';
import { portDef } from '../../src/network/model/resources/port.js';
import { rbacPolicyDef } from '../../src/network/model/resources/rbac-policy.js';
import { securityGroupDef, securityGroupRuleDef } from '../../src/network/model/resources/security-group.js';
import { subnetDef } from '../../src/network/model/resources/subnet.js';
import { collectionOf, isSortable, notFoundOf, type ResourceDef } from '../../src/network/model/resource.js';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

const A = as('project-a', 'member');
const B = as('project-b', 'member');

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 201) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A request made with a foreign id and with a fresh one: the answers differ in nothing but the id. */
async function sameAsMissing(net: RunningNetwork, method: string, path: (id: string) => string, body: (id: string) => unknown, foreign: string) {
  const missing = randomUUID();
  const mine = await net.call(method, path(foreign), body(foreign), B);
  const none = await net.call(method, path(missing), body(missing), B);
  const what = `${method} ${path(foreign)} ${JSON.stringify(body(foreign)) ?? ''}`;
  assert.ok(mine.status === 404 || mine.status === 400 || mine.status === 200, `${what}: ${mine.status} ${JSON.stringify(mine.body)}`);
  assert.equal(mine.status, none.status, `${what}: ${JSON.stringify(mine.body)} vs ${JSON.stringify(none.body)}`);
  assert.equal(JSON.stringify(mine.body).replaceAll(foreign, 'ID'), JSON.stringify(none.body).replaceAll(missing, 'ID'), what);
  return mine;
}

/** The attributes a list may be sorted by, from the declaration. */
const sortKeys = (def: ResourceDef): string[] => Object.entries(def.attributes).filter(([, a]) => isSortable(a)).map(([k]) => k);

for (const backend of backends()) {
  test(`reference scope: another project's ids answer as missing ones wherever a request names them, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const netA = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'a' } }, A)).network;
      const subA = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4 } }, A)).subnet;
      const portA = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id } }, A)).port;
      const sgA = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'a' } }, A)).security_group;
      const ruleA = sgA.security_group_rules[0];
      const rbacA = (await ok(net, 'POST', '/v2.0/rbac-policies',
        { rbac_policy: { object_type: 'network', object_id: netA.id, action: 'access_as_shared', target_tenant: 'project-c' } }, A)).rbac_policy;

      const netB = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'b' } }, B)).network;
      await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.2.0.0/24', ip_version: 4 } }, B);
      const portB = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netB.id } }, B)).port;
      const sgB = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'b' } }, B)).security_group;
      const none = () => undefined;

      // paths, tag paths included
      for (const [collection, id] of [['networks', netA.id], ['subnets', subA.id], ['ports', portA.id], ['security-groups', sgA.id],
        ['security-group-rules', ruleA.id], ['rbac-policies', rbacA.id]]) {
        const r = await sameAsMissing(net, 'GET', (x) => `/v2.0/${collection}/${x}`, none, id);
        assert.equal(r.status, 404);
        await sameAsMissing(net, 'GET', (x) => `/v2.0/${collection}?limit=1&marker=${x}`, none, id);
      }
      for (const [collection, id] of [['networks', netA.id], ['subnets', subA.id], ['ports', portA.id], ['security-groups', sgA.id]]) {
        await sameAsMissing(net, 'GET', (x) => `/v2.0/${collection}/${x}/tags`, none, id);
        await sameAsMissing(net, 'PUT', (x) => `/v2.0/${collection}/${x}/tags/t`, none, id);
      }

      // bodies
      await sameAsMissing(net, 'POST', () => '/v2.0/ports', (x) => ({ port: { network_id: x } }), netA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/subnets', (x) => ({ subnet: { network_id: x, cidr: '10.9.0.0/24', ip_version: 4 } }), netA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/ports', (x) => ({ port: { network_id: netB.id, fixed_ips: [{ subnet_id: x }] } }), subA.id);
      await sameAsMissing(net, 'PUT', () => `/v2.0/ports/${portB.id}`, (x) => ({ port: { fixed_ips: [{ subnet_id: x }] } }), subA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/ports', (x) => ({ port: { network_id: netB.id, security_groups: [x] } }), sgA.id);
      await sameAsMissing(net, 'PUT', () => `/v2.0/ports/${portB.id}`, (x) => ({ port: { security_groups: [x] } }), sgA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/security-group-rules', (x) => ({ security_group_rule: { security_group_id: x, direction: 'ingress' } }), sgA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/security-group-rules',
        (x) => ({ security_group_rule: { security_group_id: sgB.id, direction: 'ingress', remote_group_id: x } }), sgA.id);
      await sameAsMissing(net, 'POST', () => '/v2.0/rbac-policies',
        (x) => ({ rbac_policy: { object_type: 'network', object_id: x, action: 'access_as_shared', target_tenant: 'project-b' } }), netA.id);

      // filters
      for (const path of [(x: string) => `/v2.0/ports?fixed_ips=subnet_id%3D${x}`, (x: string) => `/v2.0/ports?security_groups=${x}`,
        (x: string) => `/v2.0/ports?network_id=${x}`, (x: string) => `/v2.0/subnets?network_id=${x}`, (x: string) => `/v2.0/networks?id=${x}`,
        (x: string) => `/v2.0/security-group-rules?security_group_id=${x}`, (x: string) => `/v2.0/security-group-rules?remote_group_id=${x}`,
        (x: string) => `/v2.0/rbac-policies?object_id=${x}`]) {
        const id = path('').includes('fixed_ips') ? subA.id : path('').includes('security_group') ? sgA.id : netA.id;
        await sameAsMissing(net, 'GET', path, none, id);
      }

      // a network-owned port gets no security group at creation (Neutron ignores the ids asked for),
      // so another project's group is neither bound to it nor kept from being deleted by its owner
      for (const groups of [[sgA.id], [randomUUID()]]) {
        const dhcp = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netB.id, device_owner: 'network:dhcp', security_groups: groups } }, B)).port;
        assert.deepEqual(dhcp.security_groups, []);
      }
      await ok(net, 'DELETE', `/v2.0/security-groups/${sgA.id}`, undefined, A, 204);

      // a caller with no role in A reads none of A's rbac policies, listed or shown (get_rbac_policy: a reader's)
      const noRole = as('project-a');
      assert.deepEqual((await ok(net, 'GET', '/v2.0/rbac-policies', undefined, noRole, 200)).rbac_policies, []);
      assert.equal((await net.call('GET', `/v2.0/rbac-policies/${rbacA.id}`, undefined, noRole)).status, 404);
    } finally {
      await net.close();
    }
  });

  test(`marker scope: another project's resource as a marker is 404 for every resource and sort key, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      // project A's private resources, one of each kind; B has its own so that its lists are not empty
      const netA = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'a-secret' } }, A)).network;
      const subA = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4 } }, A)).subnet;
      const portA = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id, name: 'a-port' } }, A)).port;
      const sgA = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'a-sg' } }, A)).security_group;
      const ruleA = sgA.security_group_rules[0];
      const rbacA = (await ok(net, 'POST', '/v2.0/rbac-policies',
        { rbac_policy: { object_type: 'network', object_id: netA.id, action: 'access_as_shared', target_tenant: 'project-c' } }, A)).rbac_policy;
      const netB = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'b' } }, B)).network;
      await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.2.0.0/24', ip_version: 4 } }, B);
      await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netB.id } }, B);
      await ok(net, 'POST', '/v2.0/rbac-policies',
        { rbac_policy: { object_type: 'network', object_id: netB.id, action: 'access_as_shared', target_tenant: 'project-c' } }, B);

      const foreign: Array<[ResourceDef, string]> = [
        [networkDef, netA.id], [subnetDef, subA.id], [portDef, portA.id],
        [securityGroupDef, sgA.id], [securityGroupRuleDef, ruleA.id], [rbacPolicyDef, rbacA.id],
      ];
      let checked = 0;
      for (const [def, id] of foreign) {
        const base = `/v2.0/${collectionOf(def)}`;
        const expected = notFoundOf(def, id);
        // the marker is good for its owner: what B gets is about scope, not about the marker
        await ok(net, 'GET', `${base}?limit=1&marker=${id}`, undefined, A, 200);
        for (const key of sortKeys(def)) {
          for (const query of [`sort_key=${key}&sort_dir=asc`, `sort_key=${key}&sort_dir=desc&page_reverse=True`]) {
            const path = `${base}?limit=5&${query}&marker=${id}`;
            const r = await net.call('GET', path, undefined, B);
            assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
            assert.deepEqual(r.body, { NeutronError: { type: expected.type, message: expected.message, detail: '' } }, path);
            checked++;
          }
        }
      }
      assert.ok(checked > 100, `only ${checked} lists checked`);

      // a network shared with B is in its scope: its id pages B's list
      await ok(net, 'POST', '/v2.0/rbac-policies',
        { rbac_policy: { object_type: 'network', object_id: netA.id, action: 'access_as_shared', target_tenant: 'project-b' } }, A);
      const page = await ok(net, 'GET', `/v2.0/networks?sort_key=name&sort_dir=asc&marker=${netA.id}`, undefined, B, 200);
      assert.deepEqual(page.networks.map((n: any) => n.name), ['b']);
    } finally {
      await net.close();
    }
  });
}
