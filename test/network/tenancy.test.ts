// Multi-tenancy as Neutron has it: a project sees its own resources and what is
// shared with it; another project's resource does not exist for it (404, never
// 403), whether shown, updated, deleted, tagged or used as a reference; admins
// see everything. Callers come from testHeaderAuth (test/support/header-auth.ts),
// which stands in for the keystone strategy the lead wires later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

const A = as('project-a', 'member');
const B = as('project-b', 'member');
const ADMIN = as('admin-project', 'admin');

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 201) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function notFound(r: { status: number; body: any }, type: string, what: string) {
  assert.equal(r.status, 404, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, what);
}

for (const backend of backends()) {
  test(`tenancy: projects see only their own and what is shared with them, on ${backend.name}`, async () => {
    // the read cache is on (SQLite): its keys must tell callers apart
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const netA = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'a-private' } }, A)).network;
      assert.equal(netA.project_id, 'project-a');
      const subA = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.1.0.0/24', ip_version: 4 } }, A)).subnet;
      const portA = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id } }, A)).port;
      const netB = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'b-private' } }, B)).network;

      // lists: each its own; the same URL twice, so a cached answer for one caller never reaches another
      for (let round = 0; round < 2; round++) {
        const la = await ok(net, 'GET', '/v2.0/networks', undefined, A, 200);
        assert.deepEqual(la.networks.map((n: any) => n.id), [netA.id]);
        const lb = await ok(net, 'GET', '/v2.0/networks', undefined, B, 200);
        assert.deepEqual(lb.networks.map((n: any) => n.id), [netB.id]);
        assert.deepEqual((await ok(net, 'GET', '/v2.0/subnets', undefined, B, 200)).subnets, []);
        assert.deepEqual((await ok(net, 'GET', '/v2.0/ports', undefined, B, 200)).ports, []);
        const all = await ok(net, 'GET', '/v2.0/networks', undefined, ADMIN, 200);
        assert.deepEqual(new Set(all.networks.map((n: any) => n.id)), new Set([netA.id, netB.id]));
      }
      // filters cannot reach past the scope
      assert.deepEqual((await ok(net, 'GET', `/v2.0/networks?id=${netA.id}`, undefined, B, 200)).networks, []);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/ports?project_id=project-a', undefined, B, 200)).ports, []);

      // show, update, delete: 404 NotFound, never 403
      notFound(await net.call('GET', `/v2.0/networks/${netA.id}`, undefined, B), 'NetworkNotFound', 'show network');
      notFound(await net.call('PUT', `/v2.0/networks/${netA.id}`, { network: { name: 'x' } }, B), 'NetworkNotFound', 'update network');
      notFound(await net.call('DELETE', `/v2.0/networks/${netA.id}`, undefined, B), 'NetworkNotFound', 'delete network');
      notFound(await net.call('GET', `/v2.0/subnets/${subA.id}`, undefined, B), 'SubnetNotFound', 'show subnet');
      notFound(await net.call('PUT', `/v2.0/subnets/${subA.id}`, { subnet: { name: 'x' } }, B), 'SubnetNotFound', 'update subnet');
      notFound(await net.call('DELETE', `/v2.0/subnets/${subA.id}`, undefined, B), 'SubnetNotFound', 'delete subnet');
      notFound(await net.call('GET', `/v2.0/ports/${portA.id}`, undefined, B), 'PortNotFound', 'show port');
      notFound(await net.call('PUT', `/v2.0/ports/${portA.id}`, { port: { name: 'x' } }, B), 'PortNotFound', 'update port');
      notFound(await net.call('DELETE', `/v2.0/ports/${portA.id}`, undefined, B), 'PortNotFound', 'delete port');
      notFound(await net.call('PUT', `/v2.0/networks/${netA.id}/tags/t`, undefined, B), 'NetworkNotFound', 'tag network');
      notFound(await net.call('GET', `/v2.0/networks/${netA.id}/tags`, undefined, B), 'NetworkNotFound', 'list tags');

      // as a reference: a port or subnet on A's private network
      notFound(await net.call('POST', '/v2.0/ports', { port: { network_id: netA.id } }, B), 'NetworkNotFound', 'port on a private network');
      notFound(await net.call('POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.9.0.0/24', ip_version: 4 } }, B), 'NetworkNotFound', 'subnet on a private network');
      // in a bulk request too, and nothing of the batch stays
      notFound(await net.call('POST', '/v2.0/ports', { ports: [{ network_id: netB.id }, { network_id: netA.id }] }, B), 'NetworkNotFound', 'bulk');
      assert.deepEqual((await ok(net, 'GET', '/v2.0/ports', undefined, B, 200)).ports, []);

      // A's resources are untouched
      assert.equal((await ok(net, 'GET', `/v2.0/networks/${netA.id}`, undefined, A, 200)).network.name, 'a-private');
      assert.equal((await ok(net, 'GET', `/v2.0/ports/${portA.id}`, undefined, A, 200)).port.network_id, netA.id);

      // the admin acts for another project; a member may not (400, neutron-lib's _validate_privileges, before any rule)
      const forB = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'made-for-b', project_id: 'project-b' } }, ADMIN)).network;
      assert.equal(forB.project_id, 'project-b');
      assert.ok((await ok(net, 'GET', '/v2.0/networks', undefined, B, 200)).networks.some((n: any) => n.id === forB.id));
      const portForB = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netA.id, tenant_id: 'project-b' } }, ADMIN)).port;
      assert.equal(portForB.project_id, 'project-b');
      const r = await net.call('POST', '/v2.0/networks', { network: { name: 'for-a', project_id: 'project-a' } }, B);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.deepEqual(r.body.NeutronError, {
        type: 'HTTPBadRequest', detail: '',
        message: "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges",
      });
      assert.equal((await net.call('POST', '/v2.0/ports', { port: { network_id: netA.id, tenant_id: 'project-a' } }, B)).status, 400);
      assert.equal((await net.call('POST', '/v2.0/networks', { network: { name: 'own', tenant_id: 'project-b' } }, B)).status, 201);

      // the network owner sees (and may delete) other projects' ports on its network, as Neutron's port query does
      assert.ok((await ok(net, 'GET', '/v2.0/ports', undefined, A, 200)).ports.some((p: any) => p.id === portForB.id));
      // B sees its port, though not the network it is on
      assert.equal((await ok(net, 'GET', `/v2.0/ports/${portForB.id}`, undefined, B, 200)).port.id, portForB.id);
      notFound(await net.call('GET', `/v2.0/networks/${netA.id}`, undefined, B), 'NetworkNotFound', 'network of own port');
      await ok(net, 'DELETE', `/v2.0/ports/${portForB.id}`, undefined, A, 204);

      // a caller with no role in its project reads nothing of it
      const none = as('project-a');
      assert.deepEqual((await ok(net, 'GET', '/v2.0/networks', undefined, none, 200)).networks, []);
      notFound(await net.call('GET', `/v2.0/networks/${netA.id}`, undefined, none), 'NetworkNotFound', 'no role');
    } finally {
      await net.close();
    }
  });
}
