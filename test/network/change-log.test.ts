// The change log agents follow: every mutating API call leaves exactly the entries an agent
// needs, written in the change's own transaction (a failure that rolls back leaves none), and
// revisions become visible densely and in order even under many concurrent writers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Change } from '../../src/agent/protocol.js';
import { backends } from '../support/backends.js';
import { startNetwork, type RunningNetwork } from '../support/network-server.js';
import { registerTestFailDriver } from '../support/test-fail-driver.js';
import { L2, l2Configurations, report } from '../support/agents.js';

registerTestFailDriver();

type Entry = [Change['resource'], Change['op'], string, string[]?, string[]?];

/** Asserts the entries written since the last call are exactly `want` (network_ids and hosts when given). */
function follower(net: RunningNetwork) {
  const log = net.server.plugin.ctx.changeLog;
  let last = 0;
  return async (what: string, want: Entry[]) => {
    const got = await log.since(net.database.db, last, 1000);
    const shape = got.map((c, i) => {
      const w = want[i];
      return [c.resource, c.op, c.id, ...(w?.[3] ? [c.network_ids] : []), ...(w?.[4] ? [c.hosts] : [])];
    });
    assert.deepEqual(shape, want, `${what}: ${JSON.stringify(got)}`);
    got.forEach((c, i) => assert.equal(c.revision, last + i + 1, `${what}: revisions are dense`));
    if (got.length) last = got[got.length - 1].revision;
    assert.equal(await log.currentRevision(net.database.db), last);
  };
}

async function ok(net: RunningNetwork, method: string, path: string, body?: unknown, status = method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200) {
  const r = await net.call(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

for (const backend of backends()) {
  test(`change log: every mutating call leaves exactly its entries on ${backend.name}`, async () => {
    const net = await startNetwork(backend, (cfg) => {
      cfg.network.ml2.mechanism_drivers = ['logger', 'test_fail'];
    });
    try {
      const expect = follower(net);
      await expect('fresh', []);
      const sg = (await ok(net, 'POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).security_group;
      const dflt = (await ok(net, 'GET', '/v2.0/security-groups?name=default')).security_groups[0];
      await expect('security group (and the project default)', [['security_group', 'create', dflt.id], ['security_group', 'create', sg.id]]);
      const rule = (await ok(net, 'POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp' } })).security_group_rule;
      await expect('rule', [['security_group_rule', 'create', rule.id]]);
      await ok(net, 'PUT', `/v2.0/security-groups/${sg.id}`, { security_group: { description: 'd' } });
      await expect('group update', [['security_group', 'update', sg.id]]);
      await ok(net, 'DELETE', `/v2.0/security-group-rules/${rule.id}`);
      await expect('rule delete', [['security_group_rule', 'delete', rule.id]]);

      const n = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'n' } })).network;
      await expect('network', [['network', 'create', n.id, [n.id]]]);
      const s4 = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.9.0.0/24', ip_version: 4 } })).subnet;
      await expect('subnet', [['subnet', 'create', s4.id, [n.id]]]);
      const p = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: n.id, 'binding:host_id': 'h1' } })).port;
      await expect('port', [['port', 'create', p.id, [n.id], ['h1']]]);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'h2' } });
      await expect('port moved', [['port', 'update', p.id, [n.id], ['h1', 'h2']]]);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': '' } });
      await expect('port unbound', [['port', 'update', p.id, [n.id], ['h2']]]);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'h1' } });
      await expect('port bound', [['port', 'update', p.id, [n.id], ['h1']]]);
      await ok(net, 'PUT', `/v2.0/networks/${n.id}`, { network: { name: 'n2' } });
      await expect('network update', [['network', 'update', n.id, [n.id]]]);

      // tags, all four ways, on a port
      await ok(net, 'PUT', `/v2.0/ports/${p.id}/tags`, { tags: ['a', 'b'] });
      await expect('tags replaced', [['port', 'update', p.id, [n.id], ['h1']]]);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}/tags/c`, undefined, 201);
      await expect('tag added', [['port', 'update', p.id]]);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}/tags/c`, undefined, 201);
      await expect('tag already there', []);
      await ok(net, 'DELETE', `/v2.0/ports/${p.id}/tags/c`);
      await expect('tag removed', [['port', 'update', p.id]]);
      await ok(net, 'DELETE', `/v2.0/ports/${p.id}/tags/zz`, undefined, 404);
      await expect('missing tag', []);
      await ok(net, 'DELETE', `/v2.0/ports/${p.id}/tags`);
      await expect('tags cleared', [['port', 'update', p.id]]);
      await ok(net, 'PUT', `/v2.0/networks/${n.id}/tags/x`, undefined, 201);
      await expect('network tag', [['network', 'update', n.id, [n.id]]]);
      // quotas change no agent's state
      await ok(net, 'PUT', '/v2.0/quotas/some-project', { quota: { network: 7 } });
      await expect('quota', []);

      // a SLAAC subnet gives the existing port an address: the port changed too; its removal takes it back
      const s6 = (await ok(net, 'POST', '/v2.0/subnets', { subnet: { network_id: n.id, cidr: 'fd00:9::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } })).subnet;
      await expect('slaac subnet', [['port', 'update', p.id, [n.id], ['h1']], ['subnet', 'create', s6.id, [n.id]]]);
      await ok(net, 'DELETE', `/v2.0/subnets/${s6.id}`);
      await expect('slaac subnet gone', [['port', 'update', p.id, [n.id], ['h1']], ['subnet', 'delete', s6.id, [n.id]]]);

      // rbac: which projects see the network
      const pol = (await ok(net, 'POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: n.id, action: 'access_as_shared', target_tenant: 'other' } })).rbac_policy;
      await expect('rbac create', [['rbac_policy', 'create', pol.id, [n.id]]]);
      await ok(net, 'PUT', `/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { target_tenant: 'third' } });
      await expect('rbac update', [['rbac_policy', 'update', pol.id, [n.id]]]);
      await ok(net, 'DELETE', `/v2.0/rbac-policies/${pol.id}`);
      await expect('rbac delete', [['rbac_policy', 'delete', pol.id, [n.id]]]);

      // failures: refused or rolled back in precommit, nothing; a postcommit failure, the create and its undo
      await ok(net, 'POST', '/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '10.99.0.1' }] } }, 400);
      await ok(net, 'POST', '/v2.0/ports', { ports: [{ network_id: n.id }, { network_id: n.id, name: 'fail-create_port_precommit' }] }, 500);
      await ok(net, 'PUT', `/v2.0/ports/${p.id}`, { port: { name: 'fail-update_port_precommit' } }, 500);
      await ok(net, 'POST', '/v2.0/networks', { network: { name: 'fail-create_network_precommit' } }, 500);
      await expect('rolled back', []);
      await ok(net, 'POST', '/v2.0/ports', { port: { network_id: n.id, name: 'fail-create_port_postcommit' } }, 500);
      const undone = await net.server.plugin.ctx.changeLog.since(net.database.db, 0, 1000);
      const made = undone[undone.length - 2];
      await expect('postcommit undone', [['port', 'create', made.id, [n.id]], ['port', 'delete', made.id, [n.id]]]);

      // deletes: a port; a network takes its subnets and (DHCP) ports with it
      await ok(net, 'DELETE', `/v2.0/ports/${p.id}`);
      await expect('port delete', [['port', 'delete', p.id, [n.id], ['h1']]]);
      const dhcp = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: n.id, device_owner: 'network:dhcp', 'binding:host_id': 'h3' } })).port;
      await expect('dhcp port', [['port', 'create', dhcp.id, [n.id], ['h3']]]);
      await ok(net, 'DELETE', `/v2.0/networks/${n.id}`);
      await expect('network delete', [['port', 'delete', dhcp.id, [n.id], ['h3']], ['subnet', 'delete', s4.id, [n.id]], ['network', 'delete', n.id, [n.id]]]);
      await ok(net, 'DELETE', `/v2.0/security-groups/${sg.id}`);
      await expect('group delete', [['security_group', 'delete', sg.id]]);
    } finally {
      await net.close();
    }
  });

  test(`change log: agents' reports; a moved tunnel endpoint names the networks bound to its host on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    try {
      const expect = follower(net);
      await expect('start', []);
      const l2 = await report(net, 'h1', L2, l2Configurations('192.0.2.1'), { start_flag: true });
      await expect('first report', [['agent', 'create', l2, [], ['h1']]]);
      const n = (await ok(net, 'POST', '/v2.0/networks', { network: { name: 'tun' } })).network;
      await expect('network', [['network', 'create', n.id]]);
      const p = (await ok(net, 'POST', '/v2.0/ports', { port: { network_id: n.id, 'binding:host_id': 'h1' } })).port;
      const made = await net.server.plugin.ctx.changeLog.since(net.database.db, 0, 1000);
      await expect('port (and the default security group)', made.slice(-2).map((c) => [c.resource, c.op, c.id] as Entry));
      assert.deepEqual(made.at(-1), { ...made.at(-1)!, resource: 'port', id: p.id, network_ids: [n.id], hosts: ['h1'] });
      await report(net, 'h1', L2, l2Configurations('192.0.2.1'));
      await expect('a heartbeat', []);
      await report(net, 'h1', L2, l2Configurations('192.0.2.1', { devices: 1 }));
      await expect('new configurations, same endpoint', [['agent', 'update', l2, [], ['h1']]]);
      await report(net, 'h1', L2, l2Configurations('192.0.2.9', { devices: 1 }));
      await expect('the endpoint moved', [['agent', 'update', l2, [n.id], ['h1']]]);
    } finally {
      await net.close();
    }
  });

  test(`change log: concurrent writers, a follower never skips a revision on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    try {
      const { ctx } = net.server.plugin;
      const db = net.database.db;
      const WRITERS = 16;
      const EACH = 12;
      let writing = true;
      const seen: number[] = [];
      const follow = (async () => {
        let last = 0;
        while (writing || last < WRITERS * EACH) {
          const batch = await ctx.changeLog.since(db, last, 7);
          // whatever a follower sees continues exactly where it stopped: nothing it must go back for
          for (const c of batch) {
            assert.equal(c.revision, last + 1, `saw ${c.revision} after ${last}`);
            last = c.revision;
            seen.push(c.revision);
          }
          if (!batch.length) await new Promise((r) => setTimeout(r, 1));
        }
      })();
      const writer = async (w: number) => {
        for (let i = 0; i < EACH; i++) {
          await ctx.tx(async (tx) => {
            await ctx.changeLog.record(tx, { resource: 'network', op: 'update', id: `w${w}-${i}`, network_ids: [], hosts: [] });
            // commit late, and in another order than the writes started
            if (backend.name === 'postgres') await sql`SELECT pg_sleep(${Math.random() * 0.004})`.execute(tx);
            if (i % 5 === 4) throw Object.assign(new Error('rolled back on purpose'), { rollback: true });
          }).catch((e: { rollback?: boolean }) => {
            if (!e.rollback) throw e;
          });
          if (i % 5 === 4) await ctx.tx((tx) => ctx.changeLog.record(tx, { resource: 'network', op: 'update', id: `w${w}-${i}b`, network_ids: [], hosts: [] }));
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      writing = false;
      await follow;
      assert.equal(seen.length, WRITERS * EACH);
      const all = await ctx.changeLog.since(db, 0, 10_000);
      assert.equal(all.length, WRITERS * EACH);
      assert.equal(all.filter((c) => c.id.endsWith('-4') || c.id.endsWith('-9')).length, 0, 'rolled-back entries are gone');

      // compaction keeps the last ones, and never the revision counter's base
      assert.equal(await ctx.changeLog.compact(db, 10), WRITERS * EACH - 10);
      assert.equal(await ctx.changeLog.oldestRevision(db), WRITERS * EACH - 9);
      await ctx.changeLog.compact(db, 0);
      assert.equal(await ctx.changeLog.oldestRevision(db), WRITERS * EACH);
      const next = await ctx.tx((tx) => ctx.changeLog.record(tx, { resource: 'network', op: 'update', id: 'after', network_ids: [], hosts: [] }));
      assert.equal(next, WRITERS * EACH + 1);
    } finally {
      await net.close();
    }
  });
}
