// GET /v2.0/extensions advertises exactly what is served: every alias that brings
// resources in Neutron has them answering here, and availability_zone is served as
// Neutron serves it with no agent (no zone; a hint names a zone that does not exist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork } from '../support/network-server.js';
import { dbState } from './db-counts.js';

const MEMBER = as('project-a', 'member');
const ADMIN = as('admin-project', 'admin');

/** Neutron's aliases that bring resources, and a GET each of them answers (an admin asking). */
const RESOURCES: Record<string, string[]> = {
  'rbac-policies': ['/v2.0/rbac-policies'],
  'security-group': ['/v2.0/security-groups', '/v2.0/security-group-rules'],
  availability_zone: ['/v2.0/availability_zones'],
  quotas: ['/v2.0/quotas', '/v2.0/quotas/project-a', '/v2.0/quotas/project-a/default'],
  quota_details: ['/v2.0/quotas/project-a/details.json'],
  'auto-allocated-topology': ['/v2.0/auto-allocated-topology/project-a'],
  agent: ['/v2.0/agents'],
  // any network id: Neutron lists the agents of an unknown network as none
  dhcp_agent_scheduler: ['/v2.0/networks/00000000-0000-0000-0000-000000000000/dhcp-agents'],
  router: ['/v2.0/routers', '/v2.0/floatingips'],
  subnet_allocation: ['/v2.0/subnetpools'],
  'address-scope': ['/v2.0/address-scopes'],
  segment: ['/v2.0/segments'],
  'network-segment-range': ['/v2.0/network_segment_ranges'],
  'network-ip-availability': ['/v2.0/network-ip-availabilities'],
  trunk: ['/v2.0/trunks'],
  qos: ['/v2.0/qos/policies'],
  'address-group': ['/v2.0/address-groups'],
  'service-type': ['/v2.0/service-providers'],
};

/** Aliases that only add attributes or behaviour to the resources above. */
const ATTRIBUTES_ONLY = new Set([
  'net-mtu', 'net-mtu-writable', 'provider', 'external-net', 'binding', 'port-security', 'allowed-address-pairs', 'extra_dhcp_opt',
  'standard-attr-description', 'standard-attr-revisions', 'standard-attr-timestamp', 'standard-attr-tag', 'tag-ext', 'project-id',
  'pagination', 'sorting', 'filter-validation', 'ip-substring-filtering', 'network_availability_zone', 'subnet-service-types',
  'stateful-security-group', 'empty-string-filtering', 'quota-check-limit', 'quota-check-limit-default',
  'agent-resources-synced',
]);

for (const backend of backends()) {
  test(`extensions: every advertised alias's resources are served, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const { extensions } = (await net.call('GET', '/v2.0/extensions', undefined, MEMBER)).body;
      const aliases: string[] = extensions.map((x: any) => x.alias);
      assert.ok(aliases.includes('availability_zone') && aliases.includes('network_availability_zone'));
      let served = 0;
      for (const alias of aliases) {
        if (ATTRIBUTES_ONLY.has(alias)) continue;
        assert.ok(RESOURCES[alias], `${alias}: say in this test which resources it brings`);
        for (const path of RESOURCES[alias]) {
          const r = await net.call('GET', path, undefined, ADMIN);
          assert.equal(r.status, 200, `${alias} advertised, but GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
          served++;
        }
      }
      assert.ok(served >= 4, `only ${served} resources checked`);
    } finally {
      await net.close();
    }
  });

  test(`availability zones without agents: none listed, hints refused as Neutron, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      for (const who of [MEMBER, ADMIN]) {
        assert.deepEqual((await net.call('GET', '/v2.0/availability_zones', undefined, who)).body, { availability_zones: [] });
      }
      const listed = async (query: string, status = 200) => {
        const r = await net.call('GET', `/v2.0/availability_zones?${query}`, undefined, MEMBER);
        assert.equal(r.status, status, `${query}: ${JSON.stringify(r.body)}`);
        return r.body;
      };
      assert.deepEqual(await listed('name=nova&resource=network&state=available&fields=name'), { availability_zones: [] });
      const paged = await listed('limit=1');
      assert.deepEqual(paged.availability_zones, []);
      assert.deepEqual(paged.availability_zones_links.map((l: any) => l.rel), ['previous']);
      assert.equal((await listed('zone=nova', 400)).NeutronError.type, 'HTTPBadRequest');
      assert.equal((await listed('sort_key=name', 400)).NeutronError.type, 'HTTPBadRequest');
      const show = await net.call('GET', '/v2.0/availability_zones/nova', undefined, MEMBER);
      assert.equal(show.status, 404);
      assert.deepEqual(show.body.NeutronError, { type: 'AvailabilityZoneNotFound', message: 'AvailabilityZone nova could not be found.', detail: '' });
      assert.equal((await net.call('POST', '/v2.0/availability_zones', { availability_zone: { name: 'x' } }, ADMIN)).status, 405);

      // network_availability_zone: a hint must name an existing zone (validate_availability_zones); there is none
      const before = await dbState(net.database);
      for (const body of [{ network: { name: 'n', availability_zone_hints: ['nova'] } },
        { networks: [{ name: 'n1' }, { name: 'n2', availability_zone_hints: ['zone-1'] }] }]) {
        const r = await net.call('POST', '/v2.0/networks', body, MEMBER);
        assert.equal(r.status, 404, JSON.stringify(r.body));
        assert.equal(r.body.NeutronError.type, 'AvailabilityZoneNotFound');
      }
      assert.deepEqual(await dbState(net.database), before, 'a refused hint left something behind');
      // malformed hints are 400 before any zone is looked for
      assert.equal((await net.call('POST', '/v2.0/networks', { network: { availability_zone_hints: ['a', 'a'] } }, MEMBER)).status, 400);
      const made = await net.call('POST', '/v2.0/networks', { network: { name: 'n', availability_zone_hints: [] } }, MEMBER);
      assert.equal(made.status, 201);
      assert.deepEqual([made.body.network.availability_zone_hints, made.body.network.availability_zones], [[], []]);
    } finally {
      await net.close();
    }
  });
}
