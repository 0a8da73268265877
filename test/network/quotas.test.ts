// Neutron's quota API (quotas, quota_details) and its enforcement: defaults,
// policy, validation, limits below usage, bulk creates, the default security
// group, and concurrent creates at the limit never ending above it.
import { test } from 'node:test';
import { sql } from 'kysely';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { defaultLimits, servedQuotas } from '../../src/network/quota/resources.js';
import { backends } from '../support/backends.js';
import { as, testHeaderAuth } from '../support/header-auth.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';

const A = as('project-a', 'member');
const B = as('project-b', 'member');
const MANAGER_B = as('project-b', 'manager', 'member');
const ADMIN = as('admin-project', 'admin');
const DEFAULTS = { network: 100, subnet: 100, port: 500, security_group: 10, security_group_rule: 100, rbac_policy: 10 };

async function ok(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status = 200) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function fails(net: RunningNetwork, method: string, path: string, body: unknown, headers: Record<string, string>, status: number, type: string, message?: string) {
  const r = await net.call(method, path, body, headers);
  assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.NeutronError.type, type, JSON.stringify(r.body));
  if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
}

const setQuota = (net: RunningNetwork, project: string, quota: Record<string, unknown>) => ok(net, 'PUT', `/v2.0/quotas/${project}`, { quota }, ADMIN);
const count = async (net: RunningNetwork, table: 'networks' | 'security_groups', project: string) =>
  Number((await net.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('project_id', '=', project).executeTakeFirstOrThrow()).n);
const network = (name: string) => ({ network: { name } });

test('default_quota is the default of a resource whose own option is left empty in the YAML file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cloudlet-quota-'));
  try {
    const file = join(dir, 'cloudlet.yaml');
    await writeFile(file, 'network:\n  quotas:\n    default_quota: 42\n    quota_port: ~\n    quota_subnet: -5\n');
    const limits = defaultLimits(loadConfig({ file, env: {} }).network.quotas, servedQuotas());
    assert.deepEqual(limits, { ...DEFAULTS, port: 42, subnet: -1 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const backend of backends()) {
  test(`quota API: defaults, policy, validation, reset (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const aliases = (await ok(net, 'GET', '/v2.0/extensions', undefined, A)).extensions.map((x: any) => x.alias);
      for (const a of ['quotas', 'quota_details', 'quota-check-limit', 'quota-check-limit-default']) assert.ok(aliases.includes(a), a);

      // Neutron's defaults; router and floatingip wait for the L3 resources
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a', undefined, A)).quota, DEFAULTS);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a/default', undefined, A)).quota, DEFAULTS);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a.json', undefined, A)).quota, DEFAULTS);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project', undefined, A)), { project: { project_id: 'project-a' } });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/tenant', undefined, A)), { tenant: { tenant_id: 'project-a' } });
      await ok(net, 'POST', '/v2.0/networks', network('n1'), A, 201);
      const details = (await ok(net, 'GET', '/v2.0/quotas/project-a/details.json', undefined, A)).quota;
      assert.deepEqual(details.network, { limit: 100, used: 1, reserved: 0 });
      assert.deepEqual(details.port, { limit: 500, used: 0, reserved: 0 });
      assert.deepEqual(Object.keys(details).sort(), Object.keys(DEFAULTS).sort());

      // another project's quota: get_quota (admin, or a manager) for show and default; details are for admins
      await fails(net, 'GET', '/v2.0/quotas/project-b', undefined, A, 403, 'PolicyNotAuthorized', '(rule:get_quota) is disallowed by policy');
      await fails(net, 'GET', '/v2.0/quotas/project-b/default', undefined, A, 403, 'PolicyNotAuthorized');
      await fails(net, 'GET', '/v2.0/quotas/project-b/details', undefined, A, 403, 'AdminRequired',
        'User does not have admin privileges: Only admin is authorized to access quotas for another project.');
      await fails(net, 'GET', '/v2.0/quotas/project-a/details', undefined, MANAGER_B, 403, 'AdminRequired');
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a', undefined, MANAGER_B)).quota, DEFAULTS);
      await fails(net, 'GET', '/v2.0/quotas', undefined, A, 403, 'PolicyNotAuthorized');
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 5 } }, A, 403, 'PolicyNotAuthorized', '(rule:update_quota) is disallowed by policy');
      await fails(net, 'DELETE', '/v2.0/quotas/project-a', undefined, MANAGER_B, 403, 'PolicyNotAuthorized', '(rule:delete_quota) is disallowed by policy');
      await fails(net, 'POST', '/v2.0/quotas', { quota: {} }, ADMIN, 501, 'HTTPNotImplemented');
      assert.equal((await net.call('GET', '/v2.0/quotas/project-a/bogus', undefined, A)).status, 404);

      // invalid values, in Neutron's words
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: -2 } }, ADMIN, 400, 'HTTPBadRequest',
        "Invalid input for network. Reason: '-2' is too small - must be at least '-1'.");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { port: 2 ** 31 } }, ADMIN, 400, 'HTTPBadRequest',
        "Invalid input for port. Reason: '2147483648' is too large - must be no larger than '2147483647'.");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 'many' } }, ADMIN, 400, 'InvalidInput',
        "Invalid input for operation: 'many' is not an integer.");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { router: 5 } }, ADMIN, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'router'");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 5, gadgets: 1 } }, ADMIN, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'gadgets'");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { network: 5 }, ADMIN, 400, 'HTTPBadRequest');
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas', undefined, ADMIN)).quotas, [], 'nothing was set by the refused PUTs');

      // set (a numeric string is an integer, as neutron_lib's convert_to_int), list, show, reset
      const set = (await setQuota(net, 'project-a', { network: '7', port: -1, check_limit: true })).quota;
      assert.deepEqual(set, { ...DEFAULTS, network: 7, port: -1 });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas', undefined, ADMIN)).quotas, [{ ...DEFAULTS, network: 7, port: -1, project_id: 'project-a', tenant_id: 'project-a' }]);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a', undefined, A)).quota, set);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a/default', undefined, A)).quota, DEFAULTS);
      assert.equal((await net.call('DELETE', '/v2.0/quotas/project-a', undefined, ADMIN)).status, 204);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas', undefined, ADMIN)).quotas, []);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a', undefined, A)).quota, DEFAULTS);
      await fails(net, 'DELETE', '/v2.0/quotas/project-a', undefined, ADMIN, 404, 'TenantQuotaNotFound', 'Quota for project project-a could not be found.');
    } finally {
      await net.close();
    }
  });

  test(`quota API: bad project ids, force as a string, PATCH, ?fields=, indexes for counting (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      // a project id longer than the column (varchar(255)) is refused on every path, never a 500
      const long = 'p'.repeat(300);
      const tooLong = `Invalid input for operation: '${long}' exceeds maximum length of 255.`;
      await fails(net, 'PUT', `/v2.0/quotas/${long}`, { quota: { network: 5 } }, ADMIN, 400, 'InvalidInput', tooLong);
      for (const path of [long, `${long}.json`, `${long}/default`, `${long}/details`]) await fails(net, 'GET', `/v2.0/quotas/${path}`, undefined, ADMIN, 400, 'InvalidInput', tooLong);
      await fails(net, 'DELETE', `/v2.0/quotas/${long}`, undefined, ADMIN, 400, 'InvalidInput', tooLong);
      assert.equal((await setQuota(net, 'p'.repeat(255), { network: 5 })).quota.network, 5);

      // force and check_limit are converted as neutron_lib's convert_to_boolean
      await ok(net, 'POST', '/v2.0/networks', network('n1'), A, 201);
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 0, force: 'false' } }, ADMIN, 400, 'HTTPBadRequest');
      assert.equal((await setQuota(net, 'project-a', { network: 0, force: 'TRUE' })).quota.network, 0);
      assert.equal((await setQuota(net, 'project-a', { subnet: 0, force: 1, check_limit: 'False' })).quota.subnet, 0);
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 0, force: 'yes' } }, ADMIN, 400, 'InvalidInput',
        "Invalid input for operation: 'yes' cannot be converted to boolean.");
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 0, check_limit: 'maybe' } }, ADMIN, 400, 'InvalidInput');

      await fails(net, 'PATCH', '/v2.0/quotas/project-a', { quota: { network: 1 } }, ADMIN, 405, 'HTTPMethodNotAllowed');

      // ?fields= keeps the keys named exactly, as for other resources
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a?fields=network&fields=port', undefined, A)).quota, { network: 0, port: 500 });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a/default?fields=subnet', undefined, A)).quota, { subnet: 100 });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a/details?fields=network', undefined, A)).quota, { network: { limit: 0, used: 1, reserved: 0 } });
      assert.deepEqual((await ok(net, 'PUT', '/v2.0/quotas/project-a?fields=port', { quota: { port: 7 } }, ADMIN)).quota, { port: 7 });
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas?fields=project_id&fields=port', undefined, ADMIN)).quotas,
        [{ project_id: 'p'.repeat(255), port: 500 }, { project_id: 'project-a', port: 7 }]);

      // what a counted create counts, by project_id, is indexed
      const indexes = backend.name === 'postgres'
        ? (await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()`.execute(net.database.db)).rows
        : (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index'`.execute(net.database.db)).rows;
      const names = new Set(indexes.map((i) => i.name));
      for (const table of ['networks', 'subnets', 'ports', 'security_groups', 'security_group_rules', 'network_rbacs']) assert.ok(names.has(`${table}_project`), table);
    } finally {
      await net.close();
    }
  });

  test(`quota enforcement: networks, bulk, limits below usage, other resources (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      await setQuota(net, 'project-a', { network: 2 });
      const n1 = (await ok(net, 'POST', '/v2.0/networks', network('n1'), A, 201)).network;
      // a bulk create counts every item, and fails whole
      await fails(net, 'POST', '/v2.0/networks', { networks: [{ name: 'b1' }, { name: 'b2' }] }, A, 409, 'OverQuota', "Quota exceeded for resources: ['network'].");
      assert.equal(await count(net, 'networks', 'project-a'), 1);
      await ok(net, 'POST', '/v2.0/networks', network('n2'), A, 201);
      await fails(net, 'POST', '/v2.0/networks', network('n3'), A, 409, 'OverQuota', "Quota exceeded for resources: ['network'].");
      // an admin creating in the project is counted against the project's quota
      await fails(net, 'POST', '/v2.0/networks', { network: { name: 'n4', project_id: 'project-a' } }, ADMIN, 409, 'OverQuota');
      // other projects are untouched
      await ok(net, 'POST', '/v2.0/networks', network('other'), B, 201);

      // a limit below usage is refused unless forced (Neutron's check-limit default)
      await fails(net, 'PUT', '/v2.0/quotas/project-a', { quota: { network: 1 } }, ADMIN, 400, 'HTTPBadRequest',
        'Quota limit 1 for network must be greater than or equal to already used 2');
      assert.equal((await setQuota(net, 'project-a', { network: 1, force: true })).quota.network, 1);
      await fails(net, 'POST', '/v2.0/networks', network('n5'), A, 409, 'OverQuota');
      // deleting makes room only below the limit
      await ok(net, 'DELETE', `/v2.0/networks/${n1.id}`, undefined, A, 204);
      await fails(net, 'POST', '/v2.0/networks', network('n6'), A, 409, 'OverQuota');
      // 0 allows none, -1 any number
      await setQuota(net, 'project-b', { network: 0, force: true });
      await fails(net, 'POST', '/v2.0/networks', network('none'), B, 409, 'OverQuota');
      await setQuota(net, 'project-a', { network: -1 });
      await ok(net, 'POST', '/v2.0/networks', { networks: [{ name: 'u1' }, { name: 'u2' }, { name: 'u3' }] }, A, 201);

      // subnets and ports
      const netId = (await ok(net, 'POST', '/v2.0/networks', network('addr'), A, 201)).network.id;
      await setQuota(net, 'project-a', { subnet: 1, port: 2 });
      await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netId, ip_version: 4, cidr: '10.9.0.0/24' } }, A, 201);
      await fails(net, 'POST', '/v2.0/subnets', { subnet: { network_id: netId, ip_version: 4, cidr: '10.9.1.0/24' } }, A, 409, 'OverQuota', "Quota exceeded for resources: ['subnet'].");
      await ok(net, 'POST', '/v2.0/ports', { ports: [{ network_id: netId }, { network_id: netId }] }, A, 201);
      await fails(net, 'POST', '/v2.0/ports', { port: { network_id: netId } }, A, 409, 'OverQuota', "Quota exceeded for resources: ['port'].");
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-a/details', undefined, A)).quota.port, { limit: 2, used: 2, reserved: 0 });

      // RBAC policies
      await setQuota(net, 'project-a', { rbac_policy: 1 });
      const rbac = (target: string) => ({ rbac_policy: { object_type: 'network', object_id: netId, action: 'access_as_shared', target_tenant: target } });
      await ok(net, 'POST', '/v2.0/rbac-policies', rbac('project-b'), A, 201);
      await fails(net, 'POST', '/v2.0/rbac-policies', rbac('project-c'), A, 409, 'OverQuota', "Quota exceeded for resources: ['rbac_policy'].");
    } finally {
      await net.close();
    }
  });

  test(`quota enforcement: security groups, their template rules and the default group (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      // the default group is made whatever the quota, and counts against it
      await setQuota(net, 'project-a', { security_group: 2 });
      assert.equal((await ok(net, 'GET', '/v2.0/security-groups', undefined, A)).security_groups.length, 1);
      const web = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'web' } }, A, 201)).security_group;
      await fails(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'db' } }, A, 409, 'OverQuota', "Quota exceeded for resources: ['security_group'].");
      await setQuota(net, 'project-b', { security_group: 0, force: true });
      assert.equal((await ok(net, 'GET', '/v2.0/security-groups', undefined, B)).security_groups.length, 1);
      assert.deepEqual((await ok(net, 'GET', '/v2.0/quotas/project-b/details', undefined, B)).quota.security_group, { limit: 0, used: 1, reserved: 0 });

      // rules: the default group's 4 and web's 2 are used; a new group needs room for its 2 egress rules
      await setQuota(net, 'project-a', { security_group: 5, security_group_rule: 7 });
      await fails(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'db' } }, A, 409, 'OverQuota', "Quota exceeded for resources: ['security_group_rule'].");
      const rule = (port: number) => ({ security_group_rule: { security_group_id: web.id, direction: 'ingress', protocol: 'tcp', port_range_min: port, port_range_max: port } });
      await ok(net, 'POST', '/v2.0/security-group-rules', rule(22), A, 201);
      await fails(net, 'POST', '/v2.0/security-group-rules', rule(80), A, 409, 'OverQuota', "Quota exceeded for resources: ['security_group_rule'].");
      assert.equal(await count(net, 'security_groups', 'project-a'), 2);
    } finally {
      await net.close();
    }
  });

  test(`quota enforcement under concurrency: a project at its limit never ends above it (${backend.name})`, async () => {
    const net = await startNetwork(backend, () => {}, testHeaderAuth);
    try {
      const C = as('project-c', 'member');
      await setQuota(net, 'project-c', { network: 5 });
      const singles = Array.from({ length: 24 }, (_, i) => net.call('POST', '/v2.0/networks', network(`c${i}`), C));
      const bulks = Array.from({ length: 6 }, (_, i) => net.call('POST', '/v2.0/networks', { networks: [{ name: `cb${i}a` }, { name: `cb${i}b` }] }, C));
      const replies = await Promise.all([...singles, ...bulks]);
      for (const r of replies) assert.ok(r.status === 201 || (r.status === 409 && r.body.NeutronError.type === 'OverQuota'), JSON.stringify(r.body));
      const made = replies.filter((r) => r.status === 201).reduce((n, r) => n + (r.body.networks?.length ?? 1), 0);
      assert.equal(made, 5, 'exactly the limit was created');
      assert.equal(await count(net, 'networks', 'project-c'), 5);

      // the same with the limit lowered while creates race (force) and another project alongside
      await setQuota(net, 'project-c', { network: 8 });
      const more = await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => net.call('POST', '/v2.0/networks', network(`d${i}`), C)),
        ...Array.from({ length: 4 }, (_, i) => net.call('POST', '/v2.0/networks', network(`e${i}`), A)),
      ]);
      assert.equal(more.filter((r) => r.status === 201).length, 3 + 4);
      assert.equal(await count(net, 'networks', 'project-c'), 8);
    } finally {
      await net.close();
    }
  });
}

test('quota PUTs listing resources in any order and security group creates never deadlock (postgres)', { skip: !backends().some((b) => b.name === 'postgres') }, async () => {
  const net = await startNetwork(backends().find((b) => b.name === 'postgres')!, () => {}, testHeaderAuth);
  try {
    // stats reach pg_stat_database when a backend goes idle, at most once a second
    const deadlocks = async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const { rows } = await sql<{ deadlocks: string }>`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`.execute(net.database.db);
      return Number(rows[0].deadlocks);
    };
    const before = await deadlocks();
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all([
        ...Array.from({ length: 3 }, (_, i) => net.call('PUT', '/v2.0/quotas/project-a', { quota: { security_group_rule: 1000 + i, security_group: 100 + i } }, ADMIN)),
        ...Array.from({ length: 3 }, (_, i) => net.call('PUT', '/v2.0/quotas/project-a', { quota: { security_group: 100 + i, security_group_rule: 1000 + i } }, ADMIN)),
        ...Array.from({ length: 4 }, (_, i) => net.call('POST', '/v2.0/security-groups', { security_group: { name: `g${round}-${i}` } }, A)),
      ]);
      for (const r of replies) assert.ok(r.status < 500, JSON.stringify(r.body));
    }
    assert.equal(await deadlocks(), before, 'no transaction was chosen as a deadlock victim');
    assert.equal(await count(net, 'security_groups', 'project-a'), 41);
  } finally {
    await net.close();
  }
});
