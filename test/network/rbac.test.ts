// Network RBAC (/v2.0/rbac-policies): sharing a network with one project or with
// '*', as external, and what taking access away is refused for. Callers come
// from testHeaderAuth, which stands in for the keystone strategy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { dbState } from './db-counts.js';

const A = as('project-a', 'member');
const B = as('project-b', 'member');
const C = as('project-c', 'member');
const ADMIN = as('admin-project', 'admin');

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 201) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function fails(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status: number, type: string) {
  const before = await dbState(net.database);
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, `${method} ${path} ${JSON.stringify(body)}`);
  assert.deepEqual(await dbState(net.database), before, `${method} ${path}: failed but the database changed`);
  return r.body;
}

const policy = (object_id: string, target_tenant: string, action = 'access_as_shared') =>
  ({ rbac_policy: { object_type: 'network', object_id, action, target_tenant } });
const ids = (body: any, key: string) => body[key].map((x: any) => x.id).sort();

for (const backend of backends()) {
  test(`rbac: sharing networks by policy on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const ext = await ok(net, 'GET', '/v2.0/extensions/rbac-policies', undefined, A, 200);
      assert.equal(ext.extension.alias, 'rbac-policies');

      const netA = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'a' } }, A)).network;
      const subA = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4 } }, A)).subnet;

      // --- bad input: 400 and nothing stored
      const bad: Array<[unknown, string]> = [
        [{ rbac_policy: { object_type: 'network', object_id: netA.id, action: 'access_as_shared' } }, 'HTTPBadRequest'],
        [{ rbac_policy: { object_type: 'network', object_id: netA.id, target_tenant: 'project-b' } }, 'HTTPBadRequest'],
        [{ rbac_policy: { object_id: netA.id, action: 'access_as_shared', target_tenant: 'project-b' } }, 'HTTPBadRequest'],
        [{ rbac_policy: { object_type: 'qos_policy', object_id: netA.id, action: 'access_as_shared', target_tenant: 'project-b' } }, 'InvalidInput'],
        [{ rbac_policy: { object_type: 'network', object_id: 'not-a-uuid', action: 'access_as_shared', target_tenant: 'project-b' } }, 'HTTPBadRequest'],
        [policy(netA.id, 'project-b', 'access_as_readonly'), 'InvalidActionForType'],
        [policy(netA.id, 'project-b', 'bogus'), 'InvalidActionForType'],
        [policy(netA.id, 'x'.repeat(256)), 'HTTPBadRequest'],
        [{ rbac_policy: { ...policy(netA.id, 'project-b').rbac_policy, target_tenant: 5 } }, 'HTTPBadRequest'],
        [{ rbac_policy: { ...policy(netA.id, 'project-b').rbac_policy, id: randomUUID() } }, 'HTTPBadRequest'],
        [{ rbac_policy: { ...policy(netA.id, 'project-b').rbac_policy, extra: 1 } }, 'HTTPBadRequest'],
        [{ rbac_policies: [] }, 'HTTPBadRequest'],
        [{ network: {} }, 'HTTPBadRequest'],
      ];
      for (const [body, type] of bad) await fails(net, 'POST', '/v2.0/rbac-policies', body, A, 400, type);
      // a network that does not exist, or that the caller cannot see
      await fails(net, 'POST', '/v2.0/rbac-policies', policy(randomUUID(), 'project-b'), A, 404, 'NetworkNotFound');
      await fails(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, 'project-c'), B, 404, 'NetworkNotFound');
      // '*' is the admin's
      await fails(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, '*'), A, 403, 'PolicyNotAuthorized');

      // --- A shares with B: B sees and uses the network, C does not
      const toB = (await ok(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, 'project-b'), A)).rbac_policy;
      assert.deepEqual({ ...toB, id: undefined }, {
        id: undefined, project_id: 'project-a', tenant_id: 'project-a', object_type: 'network', object_id: netA.id,
        action: 'access_as_shared', target_tenant: 'project-b',
      });
      await fails(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, 'project-b'), A, 409, 'DuplicateRbacPolicy');
      const seenByB = (await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, B, 200)).network;
      assert.equal(seenByB.shared, true, 'shared to B as B sees it');
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, A, 200)).network.shared, false, 'not shared to A');
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/networks?shared=true', undefined, B, 200), 'networks'), [netA.id]);
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/networks?shared=false', undefined, A, 200), 'networks'), [netA.id]);
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/subnets', undefined, B, 200), 'subnets'), [subA.id]);
      // subnets filter on shared too (neutron-lib: not shown, but a filter), as the caller sees the network
      const subOwnB = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'b' } }, B)).network.id, cidr: '10.2.0.0/24', ip_version: 4 } }, B)).subnet;
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/subnets?shared=True', undefined, B, 200), 'subnets'), [subA.id]);
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/subnets?shared=False', undefined, B, 200), 'subnets'), [subOwnB.id]);
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/subnets?shared=False', undefined, A, 200), 'subnets'), [subA.id]);
      assert.equal('shared' in (await ok(net, 'GET', `/v2.0/subnets/${subA.id}`, undefined, B, 200)).subnet, false);
      await fails(net, 'GET', '/v2.0/subnets?shared=maybe', undefined, B, 400, 'InvalidInput');
      await fails(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.3.0.0/24', ip_version: 4, shared: true } }, A, 400, 'HTTPBadRequest');
      const portB = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id } }, B)).port;
      assert.equal(portB.fixed_ips[0].subnet_id, subA.id);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/networks', undefined, C, 200)).networks, []);
      await fails(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, C, 404, 'NetworkNotFound');
      await fails(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id } }, C, 404, 'NetworkNotFound');

      // policies are their owner's: B does not see A's, the admin sees all
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/rbac-policies', undefined, A, 200), 'rbac_policies'), [toB.id]);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/rbac-policies', undefined, B, 200)).rbac_policies, []);
      await fails(net, 'GET', `/v2.0/rbac-policies/${toB.id}`, undefined, B, 404, 'RbacPolicyNotFound');
      await fails(net, 'DELETE', `/v2.0/rbac-policies/${toB.id}`, undefined, B, 404, 'RbacPolicyNotFound');
      assert.equal((await ok(net, 'GET', `/v2.0/rbac-policies/${toB.id}`, undefined, ADMIN, 200)).rbac_policy.id, toB.id);
      assert.deepEqual(ids(await ok(net, 'GET', '/v2.0/rbac-policies?target_tenant=project-b&object_type=network', undefined, A, 200), 'rbac_policies'), [toB.id]);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/rbac-policies?object_type=qos_policy', undefined, A, 200)).rbac_policies, []);

      // --- taking access away from a project with ports there: 409 RbacPolicyInUse, nothing changes
      await fails(net, 'DELETE', `/v2.0/rbac-policies/${toB.id}`, undefined, A, 409, 'RbacPolicyInUse');
      await fails(net, 'PUT', `/v2.0/rbac-policies/${toB.id}`, { rbac_policy: { target_tenant: 'project-c' } }, A, 409, 'RbacPolicyInUse');
      await fails(net, 'PUT', `/v2.0/rbac-policies/${toB.id}`, { rbac_policy: { object_id: randomUUID() } }, A, 400, 'HTTPBadRequest');
      // a '*' policy covers B's port: then the targeted one may go, but not the '*' one
      const all = (await ok(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, '*'), ADMIN)).rbac_policy;
      assert.equal(all.project_id, 'admin-project');
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, A, 200)).network.shared, true, "'*' shares it with everyone");
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, C, 200)).network.shared, true);
      await ok(net, 'DELETE', `/v2.0/rbac-policies/${toB.id}`, undefined, A, 204);
      await fails(net, 'DELETE', `/v2.0/rbac-policies/${all.id}`, undefined, ADMIN, 409, 'RbacPolicyInUse');
      await fails(net, 'PUT', `/v2.0/networks/${netA.id}`, { network: { shared: false } }, ADMIN, 409, 'InvalidSharedSetting');
      // once B's port is gone, the '*' policy goes too
      await ok(net, 'DELETE', `/v2.0/ports/${portB.id}`, undefined, B, 204);
      await ok(net, 'DELETE', `/v2.0/rbac-policies/${all.id}`, undefined, ADMIN, 204);
      await fails(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, B, 404, 'NetworkNotFound');
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, A, 200)).network.shared, false);

      // --- shared=True is the '*' policy, shared=False removes it
      const pub = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'pub', shared: true } }, ADMIN)).network;
      assert.equal(pub.shared, true);
      const star = (await ok(net, 'GET', `/v2.0/rbac-policies?object_id=${pub.id}`, undefined, ADMIN, 200)).rbac_policies;
      assert.deepEqual(star.map((p: any) => [p.action, p.target_tenant, p.project_id]), [['access_as_shared', '*', 'admin-project']]);
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${pub.id}`, undefined, C, 200)).network.shared, true);
      await ok(net, 'PUT', `/v2.0/networks/${pub.id}`, { network: { shared: false } }, ADMIN, 200);
      assert.deepEqual((await ok(net, 'GET', `/v2.0/rbac-policies?object_id=${pub.id}`, undefined, ADMIN, 200)).rbac_policies, []);
      await fails(net, 'GET', `/v2.0/networks/${pub.id}`, undefined, C, 404, 'NetworkNotFound');

      // --- external: visible to the targets, no ports for them, router:external follows the policies
      const extNet = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'ext' } }, ADMIN)).network;
      const extB = (await ok(net, 'POST', '/v2.0/rbac-policies', policy(extNet.id, 'project-b', 'access_as_external'), ADMIN)).rbac_policy;
      const extSeen = (await ok(net, 'GET', `/v2.0/networks/${extNet.id}`, undefined, B, 200)).network;
      assert.equal(extSeen['router:external'], true);
      assert.equal(extSeen.shared, false);
      await fails(net, 'GET', `/v2.0/networks/${extNet.id}`, undefined, C, 404, 'NetworkNotFound');
      await fails(net, 'POST', '/v2.0/ports', { port: { network_id: extNet.id } }, B, 404, 'NetworkNotFound');
      await ok(net, 'DELETE', `/v2.0/rbac-policies/${extB.id}`, undefined, ADMIN, 204);
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${extNet.id}`, undefined, ADMIN, 200)).network['router:external'], false);

      // --- deleting a network deletes its policies
      const gone = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'gone' } }, A)).network;
      await ok(net, 'POST', '/v2.0/rbac-policies', policy(gone.id, 'project-c'), A);
      await ok(net, 'DELETE', `/v2.0/networks/${gone.id}`, undefined, A, 204);
      assert.deepEqual((await ok(net, 'GET', `/v2.0/rbac-policies?object_id=${gone.id}`, undefined, ADMIN, 200)).rbac_policies, []);

      // --- only the network's owner (or an admin) shares it; B reaches the network but does not own it
      const toBAgain = (await ok(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, 'project-b'), A)).rbac_policy;
      await fails(net, 'POST', '/v2.0/rbac-policies', policy(netA.id, 'project-c'), B, 400, 'InvalidInput');
      assert.equal((await ok(net, 'PUT', `/v2.0/rbac-policies/${toBAgain.id}`, { rbac_policy: { target_tenant: 'project-c' } }, A, 200)).rbac_policy.target_tenant, 'project-c');
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, C, 200)).network.shared, true);
      await fails(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, B, 404, 'NetworkNotFound');
      await fails(net, 'PUT', `/v2.0/rbac-policies/${toBAgain.id}`, { rbac_policy: { target_tenant: '*' } }, A, 403, 'PolicyNotAuthorized');
    } finally {
      await net.close();
    }
  });
}
