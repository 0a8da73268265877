// A list's marker is read in the caller's scope, as Neutron's _get_marker_obj:
// another project's private resource as a marker is NotFound (404) whatever the
// sort key, and no page follows it, so its sort values (names, addresses...)
// cannot be read by bisection nor its existence told from a random id's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkDef } from '../../src/network/api/resources/network.js';
import { portDef } from '../../src/network/api/resources/port.js';
import { rbacPolicyDef } from '../../src/network/api/resources/rbac-policy.js';
import { securityGroupDef, securityGroupRuleDef } from '../../src/network/api/resources/security-group.js';
import { subnetDef } from '../../src/network/api/resources/subnet.js';
import { collectionOf, isSortable, notFoundOf, type ResourceDef } from '../../src/network/api/resource.js';
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

/** The attributes a list may be sorted by, from the declaration. */
const sortKeys = (def: ResourceDef): string[] => Object.entries(def.attributes).filter(([, a]) => isSortable(a)).map(([k]) => k);

for (const backend of backends()) {
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
