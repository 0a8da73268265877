// Which changes an agent acts on (pure data, no server): its host's ports, the
// networks it serves, its scheduling; nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Change } from '../../src/agent/protocol.js';
import { needed, served } from '../../src/agent/sync.js';

const c = (resource: Change['resource'], network_ids: string[], hosts: string[] = []): Change => ({ revision: 1, resource, op: 'update', id: 'x', network_ids, hosts });

test('needed: the changes that concern a host', () => {
  const known = new Set(['n1']);
  const l2 = (changes: Change[]) => needed(changes, 'h1', 'Linux bridge agent', known);
  const show = (n: ReturnType<typeof l2>) => ({ full: n.full, ids: [...n.networkIds].sort() });
  assert.deepEqual(show(l2([c('port', ['n9'], ['h2'])])), { full: false, ids: [] }, "another host's port on another network");
  assert.deepEqual(show(l2([c('port', ['n1'], ['h2'])])), { full: false, ids: ['n1'] }, "another host's port on a served network (l2population)");
  assert.deepEqual(show(l2([c('port', ['n2'], ['h2', 'h1'])])), { full: false, ids: ['n2'] }, 'a port moving here');
  assert.deepEqual(show(l2([c('network', ['n1', 'n3'])])), { full: false, ids: ['n1', 'n3'] });
  assert.deepEqual(show(l2([c('agent', [], ['h1'])])), { full: false, ids: [] }, "this host's agents reporting (a start, a new healthy): nothing to act on");
  assert.deepEqual(show(l2([c('agent', [], ['h2'])])), { full: false, ids: [] });
  assert.deepEqual(show(l2([c('agent', ['n1', 'n9'], ['h2'])])), { full: false, ids: ['n1', 'n9'] }, "another host's tunnel endpoint moved: the networks shared with it");
  assert.deepEqual(show(l2([c('agent', ['n1'], ['h1'])])), { full: false, ids: [] }, 'its own endpoint: nothing to refetch');
  assert.deepEqual(show(l2([c('dhcp_binding', ['n5'], ['h1'])])), { full: true, ids: [] });
  assert.deepEqual(show(l2([c('subnet', ['n7'])])), { full: false, ids: [] }, 'a subnet elsewhere: not for L2');
  assert.deepEqual(show(needed([c('subnet', ['n7'])], 'h1', 'DHCP agent', known)), { full: false, ids: ['n7'] }, 'a subnet anywhere may enable DHCP on a network scheduled here');
});

test('served: a full state replaces, a narrowed one adds what is present and drops what was asked for and is absent', () => {
  const state = (ids: string[]) => ({ revision: 1, host: 'h', agent_id: null, networks: ids.map((id) => ({ id }) as never) });
  assert.deepEqual([...served(new Set(['a', 'b']), state(['c']))], ['c']);
  assert.deepEqual([...served(new Set(['a', 'b']), state(['c']), ['b', 'c'])].sort(), ['a', 'c']);
});
