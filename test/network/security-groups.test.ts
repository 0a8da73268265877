// The security-group API (Neutron's security-group and stateful-security-group
// extensions): groups with their embedded rules, the project's default group and
// its rules, Neutron's rule validation and error types, what a port may name,
// and tenancy (another project's group or rule does not exist for a caller).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { Migrator, type Migration } from 'kysely';
import { migrate, openDatabase } from '../../src/common/db/index.js';
import { migrations, type Schema } from '../../src/schema.js';

const A = as('project-a', 'member');
const B = as('project-b', 'member');
const READER_A = as('project-a', 'reader');
const ADMIN = as('admin-project', 'admin');

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 201) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function fails(r: { status: number; body: any }, status: number, type: string, what: string) {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, `${what}: ${JSON.stringify(r.body)}`);
}

const shape = (r: any) => [r.direction, r.ethertype, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix, r.remote_group_id];

for (const backend of backends()) {
  test(`security groups: default group, CRUD, rules and validation, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      // the first list makes the project's default group with Neutron's four rules
      const first = (await ok(net, 'GET', '/v2.0/security-groups', undefined, A, 200)).security_groups;
      assert.equal(first.length, 1);
      const dflt = first[0];
      assert.equal(dflt.name, 'default');
      assert.equal(dflt.project_id, 'project-a');
      assert.equal(dflt.tenant_id, 'project-a');
      assert.equal(dflt.stateful, true);
      assert.deepEqual(dflt.security_group_rules.map(shape).sort(), [
        ['egress', 'IPv4', null, null, null, null, null],
        ['egress', 'IPv6', null, null, null, null, null],
        ['ingress', 'IPv4', null, null, null, null, dflt.id],
        ['ingress', 'IPv6', null, null, null, null, dflt.id],
      ].sort());
      // listing again makes no second one
      assert.equal((await ok(net, 'GET', '/v2.0/security-groups', undefined, A, 200)).security_groups.length, 1);

      // create: two egress rules, as Neutron's templates give a non-default group
      const web = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'web', description: 'web servers' } }, A)).security_group;
      assert.equal(web.name, 'web');
      assert.equal(web.description, 'web servers');
      assert.equal(web.stateful, true);
      assert.equal(web.revision_number, 1);
      assert.ok(web.created_at && web.updated_at);
      assert.deepEqual(web.tags, []);
      assert.deepEqual(web.security_group_rules.map(shape).sort(), [
        ['egress', 'IPv4', null, null, null, null, null], ['egress', 'IPv6', null, null, null, null, null]]);
      const stateless = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'udp', stateful: false } }, A)).security_group;
      assert.equal(stateless.stateful, false);

      // show, update, filters
      assert.equal((await ok(net, 'GET', `/v2.0/security-groups/${web.id}`, undefined, A, 200)).security_group.name, 'web');
      const renamed = (await ok(net, 'PUT', `/v2.0/security-groups/${web.id}`, { security_group: { name: 'www', description: 'd' } }, A, 200)).security_group;
      assert.equal(renamed.name, 'www');
      assert.equal(renamed.revision_number, 2);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/security-groups?name=www', undefined, A, 200)).security_groups.map((g: any) => g.id), [web.id]);
      // tags
      await ok(net, 'PUT', `/v2.0/security-groups/${web.id}/tags/red`, undefined, A, 201);
      assert.deepEqual((await ok(net, 'GET', `/v2.0/security-groups/${web.id}`, undefined, A, 200)).security_group.tags, ['red']);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/security-groups?tags=red', undefined, A, 200)).security_groups.map((g: any) => g.id), [web.id]);

      // rules: a tcp range, names and numbers, a prefix gets its length
      const tcp = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'ingress', protocol: 'TCP', port_range_min: 80, port_range_max: '443', remote_ip_prefix: '10.0.0.5', description: 'http',
      } }, A)).security_group_rule;
      assert.deepEqual(shape(tcp), ['ingress', 'IPv4', 'tcp', 80, 443, '10.0.0.5/32', null]);
      assert.equal(tcp.security_group_id, web.id);
      assert.equal(tcp.project_id, 'project-a');
      assert.equal(tcp.description, 'http');
      const icmp6 = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'ingress', ethertype: 'ipv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0,
      } }, A)).security_group_rule;
      assert.deepEqual(shape(icmp6), ['ingress', 'IPv6', 'ipv6-icmp', 128, 0, null, null]);
      // the whole port range is no range; 'any' is no protocol
      const all = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'ingress', protocol: 'udp', port_range_min: 1, port_range_max: 65535,
      } }, A)).security_group_rule;
      assert.deepEqual(shape(all), ['ingress', 'IPv4', 'udp', null, null, null, null]);
      const fromDefault = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'ingress', protocol: 'any', remote_group_id: dflt.id,
      } }, A)).security_group_rule;
      assert.deepEqual(shape(fromDefault), ['ingress', 'IPv4', null, null, null, null, dflt.id]);
      // bulk
      const bulk = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rules: [
        { security_group_id: web.id, direction: 'ingress', protocol: '6', port_range_min: 22, port_range_max: 22 },
        { security_group_id: web.id, direction: 'ingress', protocol: 'vrrp' },
      ] }, A)).security_group_rules;
      assert.equal(bulk.length, 2);
      const group = (await ok(net, 'GET', `/v2.0/security-groups/${web.id}`, undefined, A, 200)).security_group;
      assert.equal(group.security_group_rules.length, 8);
      assert.ok(group.revision_number > renamed.revision_number, 'a rule change moves the group revision');
      assert.deepEqual((await ok(net, 'GET', `/v2.0/security-group-rules/${tcp.id}`, undefined, A, 200)).security_group_rule, tcp);
      const filtered = (await ok(net, 'GET', `/v2.0/security-group-rules?security_group_id=${web.id}&direction=egress`, undefined, A, 200)).security_group_rules;
      assert.equal(filtered.length, 2);

      // duplicates: 409, by name or number, any address as none
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 443, remote_ip_prefix: '10.0.0.5/32',
      } }, A), 409, 'SecurityGroupRuleExists', 'same rule');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: web.id, direction: 'egress', remote_ip_prefix: '0.0.0.0/0',
      } }, A), 409, 'SecurityGroupRuleExists', 'egress to anywhere again');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rules: [
        { security_group_id: web.id, direction: 'ingress', protocol: 'gre' }, { security_group_id: web.id, direction: 'ingress', protocol: '47' },
      ] }, A), 409, 'DuplicateSecurityGroupRuleInPost', 'duplicate in one POST');

      // bad input: each 400 with Neutron's type, and nothing changes
      const before = JSON.stringify((await ok(net, 'GET', '/v2.0/security-group-rules?sort_key=id', undefined, A, 200)).security_group_rules);
      const rule = (extra: Record<string, unknown>) => ({ security_group_rule: { security_group_id: web.id, direction: 'ingress', ...extra } });
      const bad: Array<[unknown, string]> = [
        [rule({ direction: 'sideways' }), 'HTTPBadRequest'],
        [{ security_group_rule: { security_group_id: web.id } }, 'HTTPBadRequest'],
        [rule({ protocol: 'bogus' }), 'SecurityGroupRuleInvalidProtocol'],
        [rule({ protocol: 256 }), 'SecurityGroupRuleInvalidProtocol'],
        [rule({ ethertype: 'IPv5' }), 'SecurityGroupRuleInvalidEtherType'],
        [rule({ protocol: 'tcp', port_range_min: 70000, port_range_max: 70001 }), 'SecurityGroupInvalidPortValue'],
        [rule({ protocol: 'tcp', port_range_min: 'x' }), 'SecurityGroupInvalidPortValue'],
        [rule({ port_range_min: 80, port_range_max: 80 }), 'SecurityGroupProtocolRequiredWithPorts'],
        [rule({ protocol: 'tcp', port_range_min: 90, port_range_max: 80 }), 'SecurityGroupInvalidPortRange'],
        [rule({ protocol: 'tcp', port_range_min: 80 }), 'SecurityGroupInvalidPortRange'],
        [rule({ protocol: 'udp', port_range_min: 0, port_range_max: 10 }), 'SecurityGroupInvalidPortValue'],
        [rule({ protocol: 'icmp', port_range_min: 256 }), 'SecurityGroupInvalidIcmpValue'],
        [rule({ protocol: 'icmp', port_range_min: 8, port_range_max: 300 }), 'SecurityGroupInvalidIcmpValue'],
        [rule({ protocol: 'icmp', port_range_max: 0 }), 'SecurityGroupMissingIcmpType'],
        [rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }), 'SecurityGroupInvalidProtocolForPort'],
        [rule({ remote_ip_prefix: '10.0.0.0/33' }), 'InvalidCIDR'],
        [rule({ remote_ip_prefix: 'not-a-cidr' }), 'InvalidCIDR'],
        [rule({ remote_ip_prefix: '2001:db8::/32' }), 'SecurityGroupRuleParameterConflict'],
        [rule({ ethertype: 'IPv4', protocol: 'ipv6-icmp' }), 'SecurityGroupEthertypeConflictWithProtocol'],
        [rule({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: dflt.id }), 'SecurityGroupMultipleRemoteEntites'],
        [rule({ remote_address_group_id: dflt.id }), 'HTTPBadRequest'],
        [rule({ bogus: 1 }), 'HTTPBadRequest'],
        [{ security_group_rules: [{ security_group_id: web.id, direction: 'ingress' }, { security_group_id: dflt.id, direction: 'ingress', protocol: 'tcp' }] }, 'SecurityGroupNotSingleGroupRules'],
      ];
      for (const [body, type] of bad) fails(await net.call('POST', '/v2.0/security-group-rules', body, A), 400, type, JSON.stringify(body));
      fails(await net.call('PUT', `/v2.0/security-group-rules/${tcp.id}`, { security_group_rule: { direction: 'egress' } }, A), 400, 'HTTPBadRequest', 'rules are read-only');
      fails(await net.call('POST', '/v2.0/security-group-rules', rule({ remote_group_id: '00000000-0000-0000-0000-000000000000' }), A), 404, 'SecurityGroupNotFound', 'unknown remote group');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: '00000000-0000-0000-0000-000000000000', direction: 'ingress' } }, A), 404, 'SecurityGroupNotFound', 'unknown group');
      assert.equal(JSON.stringify((await ok(net, 'GET', '/v2.0/security-group-rules?sort_key=id', undefined, A, 200)).security_group_rules), before);

      const groupsBefore = JSON.stringify((await ok(net, 'GET', '/v2.0/security-groups?sort_key=id', undefined, A, 200)).security_groups);
      const badGroups: Array<[string, string, unknown, number, string]> = [
        ['POST', '/v2.0/security-groups', { security_group: { name: 'default' } }, 409, 'SecurityGroupDefaultAlreadyExists'],
        ['POST', '/v2.0/security-groups', { security_group: { name: 'x'.repeat(256) } }, 400, 'HTTPBadRequest'],
        ['POST', '/v2.0/security-groups', { security_group: { stateful: 'maybe' } }, 400, 'InvalidInput'],
        ['POST', '/v2.0/security-groups', { security_group: { security_group_rules: [] } }, 400, 'HTTPBadRequest'],
        ['PUT', `/v2.0/security-groups/${web.id}`, { security_group: { name: 'Default' } }, 409, 'SecurityGroupDefaultAlreadyExists'],
        ['PUT', `/v2.0/security-groups/${web.id}`, { security_group: { id: web.id } }, 400, 'HTTPBadRequest'],
        ['PUT', `/v2.0/security-groups/${dflt.id}`, { security_group: { name: 'renamed' } }, 409, 'SecurityGroupCannotUpdateDefault'],
        ['DELETE', `/v2.0/security-groups/${dflt.id}`, undefined, 409, 'SecurityGroupCannotRemoveDefault'],
      ];
      for (const [m, path, body, status, type] of badGroups) fails(await net.call(m, path, body, A), status, type, `${m} ${path} ${JSON.stringify(body)}`);
      assert.equal(JSON.stringify((await ok(net, 'GET', '/v2.0/security-groups?sort_key=id', undefined, A, 200)).security_groups), groupsBefore);
      // the default group's description may change
      await ok(net, 'PUT', `/v2.0/security-groups/${dflt.id}`, { security_group: { description: 'mine' } }, A, 200);

      // ports: the default group when none is named, a named one, not another project's, not stateful with stateless
      const network = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'n' } }, A)).network;
      const p1 = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: network.id } }, A)).port;
      assert.deepEqual(p1.security_groups, [dflt.id]);
      const p2 = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: network.id, security_groups: [web.id] } }, A)).port;
      assert.deepEqual(p2.security_groups, [web.id]);
      fails(await net.call('POST', '/v2.0/ports', { port: { network_id: network.id, security_groups: [web.id, stateless.id] } }, A), 409, 'SecurityGroupConflict', 'stateful and stateless');
      // in use: no delete, no statefulness change
      fails(await net.call('DELETE', `/v2.0/security-groups/${web.id}`, undefined, A), 409, 'SecurityGroupInUse', 'delete in use');
      fails(await net.call('PUT', `/v2.0/security-groups/${web.id}`, { security_group: { stateful: false } }, A), 409, 'SecurityGroupInUse', 'stateful in use');
      await ok(net, 'PUT', `/v2.0/ports/${p2.id}`, { port: { security_groups: [] } }, A, 200);

      // rule delete, group delete (its rules go, and rules naming it as remote)
      await ok(net, 'DELETE', `/v2.0/security-group-rules/${tcp.id}`, undefined, A, 204);
      fails(await net.call('GET', `/v2.0/security-group-rules/${tcp.id}`, undefined, A), 404, 'SecurityGroupRuleNotFound', 'deleted rule');
      const remoteUser = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: {
        security_group_id: dflt.id, direction: 'ingress', protocol: 'tcp', remote_group_id: web.id,
      } }, A)).security_group_rule;
      await ok(net, 'DELETE', `/v2.0/security-groups/${web.id}`, undefined, A, 204);
      fails(await net.call('GET', `/v2.0/security-groups/${web.id}`, undefined, A), 404, 'SecurityGroupNotFound', 'deleted group');
      fails(await net.call('GET', `/v2.0/security-group-rules/${remoteUser.id}`, undefined, A), 404, 'SecurityGroupRuleNotFound', 'cascaded rule');
      assert.deepEqual((await ok(net, 'GET', `/v2.0/security-group-rules?security_group_id=${web.id}`, undefined, ADMIN, 200)).security_group_rules, []);

      // the extensions are listed
      const aliases = (await ok(net, 'GET', '/v2.0/extensions', undefined, A, 200)).extensions.map((x: any) => x.alias);
      assert.ok(aliases.includes('security-group') && aliases.includes('stateful-security-group'));
    } finally {
      await net.close();
    }
  });

  test(`security groups: tenancy and policy, on ${backend.name}`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const sgA = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'a' } }, A)).security_group;
      const ruleA = sgA.security_group_rules[0];
      const sgB = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'b' } }, B)).security_group;
      // each sees its own (and its default group), twice so a cached answer never crosses callers
      for (let round = 0; round < 2; round++) {
        const la = (await ok(net, 'GET', '/v2.0/security-groups', undefined, A, 200)).security_groups;
        assert.deepEqual(la.map((g: any) => g.name).sort(), ['a', 'default']);
        assert.ok(la.every((g: any) => g.project_id === 'project-a'));
        const lb = (await ok(net, 'GET', '/v2.0/security-groups', undefined, B, 200)).security_groups;
        assert.deepEqual(lb.map((g: any) => g.name).sort(), ['b', 'default']);
        const rb = (await ok(net, 'GET', '/v2.0/security-group-rules', undefined, B, 200)).security_group_rules;
        assert.ok(rb.every((r: any) => r.project_id === 'project-b'), 'B sees only its rules');
      }
      assert.deepEqual((await ok(net, 'GET', '/v2.0/security-groups?project_id=project-a', undefined, B, 200)).security_groups, []);
      assert.deepEqual((await ok(net, 'GET', `/v2.0/security-group-rules?security_group_id=${sgA.id}`, undefined, B, 200)).security_group_rules, []);

      // another project's group and rule do not exist for B
      fails(await net.call('GET', `/v2.0/security-groups/${sgA.id}`, undefined, B), 404, 'SecurityGroupNotFound', 'show');
      fails(await net.call('PUT', `/v2.0/security-groups/${sgA.id}`, { security_group: { name: 'x' } }, B), 404, 'SecurityGroupNotFound', 'update');
      fails(await net.call('DELETE', `/v2.0/security-groups/${sgA.id}`, undefined, B), 404, 'SecurityGroupNotFound', 'delete');
      fails(await net.call('GET', `/v2.0/security-groups/${sgA.id}/tags`, undefined, B), 404, 'SecurityGroupNotFound', 'tags');
      fails(await net.call('GET', `/v2.0/security-group-rules/${ruleA.id}`, undefined, B), 404, 'SecurityGroupRuleNotFound', 'show rule');
      fails(await net.call('DELETE', `/v2.0/security-group-rules/${ruleA.id}`, undefined, B), 404, 'SecurityGroupRuleNotFound', 'delete rule');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sgA.id, direction: 'ingress' } }, B), 404, 'SecurityGroupNotFound', 'rule in A\'s group');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sgB.id, direction: 'ingress', remote_group_id: sgA.id } }, B), 404, 'SecurityGroupNotFound', 'A\'s group as remote');
      // nor on B's ports
      const netB = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'nb' } }, B)).network;
      fails(await net.call('POST', '/v2.0/ports', { port: { network_id: netB.id, security_groups: [sgA.id] } }, B), 404, 'SecurityGroupNotFound', 'port with A\'s group');
      const portB = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: netB.id, security_groups: [sgB.id] } }, B)).port;
      fails(await net.call('PUT', `/v2.0/ports/${portB.id}`, { port: { security_groups: [sgA.id] } }, B), 404, 'SecurityGroupNotFound', 'port update with A\'s group');
      // naming another project in a body: 400 before any rule, as neutron-lib
      assert.equal((await net.call('POST', '/v2.0/security-groups', { security_group: { name: 'x', project_id: 'project-a' } }, B)).status, 400);

      // a reader reads, does not write
      assert.equal((await ok(net, 'GET', `/v2.0/security-groups/${sgA.id}`, undefined, READER_A, 200)).security_group.id, sgA.id);
      fails(await net.call('POST', '/v2.0/security-groups', { security_group: { name: 'r' } }, READER_A), 403, 'PolicyNotAuthorized', 'reader create');
      fails(await net.call('PUT', `/v2.0/security-groups/${sgA.id}`, { security_group: { name: 'r' } }, READER_A), 403, 'PolicyNotAuthorized', 'reader update');
      fails(await net.call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sgA.id, direction: 'ingress' } }, READER_A), 403, 'PolicyNotAuthorized', 'reader rule');

      // admins see and change everything, and may remove a default group
      const all = (await ok(net, 'GET', '/v2.0/security-groups', undefined, ADMIN, 200)).security_groups;
      assert.ok([sgA.id, sgB.id].every((id) => all.some((g: any) => g.id === id)));
      const adminRule = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sgA.id, direction: 'ingress', protocol: 'tcp' } }, ADMIN)).security_group_rule;
      // the group's owner sees the rule an admin put in its group
      assert.equal((await ok(net, 'GET', `/v2.0/security-group-rules/${adminRule.id}`, undefined, A, 200)).security_group_rule.id, adminRule.id);
      const dfltA = (await ok(net, 'GET', '/v2.0/security-groups?name=default', undefined, A, 200)).security_groups[0];
      await ok(net, 'DELETE', `/v2.0/security-groups/${dfltA.id}`, undefined, ADMIN, 204);
      // the next list makes it again
      const again = (await ok(net, 'GET', '/v2.0/security-groups?name=default', undefined, A, 200)).security_groups;
      assert.equal(again.length, 1);
      assert.notEqual(again[0].id, dfltA.id);
      assert.equal(again[0].security_group_rules.length, 4);
    } finally {
      await net.close();
    }
  });

  test(`security groups: migration 0004 gives default groups made before it their rules, on ${backend.name}`, async () => {
    const fresh = await backend.fresh();
    const database = await openDatabase<Schema>({ data_dir: fresh.dataDir, database_url: fresh.databaseUrl ?? '' });
    try {
      const provider = { getMigrations: async (): Promise<Record<string, Migration>> => migrations };
      const r = await new Migrator({ db: database.db, provider }).migrateTo('0003_network_rbac');
      assert.equal(r.error, undefined);
      const t = '2026-01-01T00:00:00Z';
      await (database.db as any).insertInto('security_groups').values([
        { id: 'g-default', project_id: 'p1', name: 'default', description: 'Default security group', created_at: t, updated_at: t },
        { id: 'g-other', project_id: 'p1', name: 'other', description: '', created_at: t, updated_at: t },
      ]).execute();
      await migrate(database, migrations);
      const groups = await database.db.selectFrom('security_groups').selectAll().orderBy('id').execute();
      assert.deepEqual(groups.map((g) => [g.id, g.stateful, g.revision_number]), [['g-default', 1, 1], ['g-other', 1, 1]]);
      const rules = await database.db.selectFrom('security_group_rules').selectAll().execute();
      assert.deepEqual(rules.map((x) => [x.security_group_id, x.direction, x.ethertype, x.remote_group_id, x.project_id]).sort(), [
        ['g-default', 'egress', 'IPv4', null, 'p1'], ['g-default', 'egress', 'IPv6', null, 'p1'],
        ['g-default', 'ingress', 'IPv4', 'g-default', 'p1'], ['g-default', 'ingress', 'IPv6', 'g-default', 'p1'],
      ]);
    } finally {
      await database.close();
      await fresh.cleanup();
    }
  });
}
