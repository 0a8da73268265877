import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallbackRegistry, type Payload } from '../../src/network/callbacks.js';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';

test('BEFORE and PRECOMMIT subscribers may refuse; AFTER errors are only reported', async () => {
  const reported: unknown[] = [];
  const reg = new CallbackRegistry((err) => reported.push(err));
  const seen: string[] = [];
  reg.subscribe('network', 'after_create', () => { seen.push('after'); throw new Error('late'); });
  reg.subscribe('network', 'before_create', () => { seen.push('before'); });
  await reg.publish({ resource: 'network', event: 'before_create' });
  await reg.publish({ resource: 'network', event: 'after_create' });
  assert.deepEqual(seen, ['before', 'after']);
  assert.equal(reported.length, 1);
  const off = reg.subscribe('port', 'precommit_delete', () => { throw new Error('no'); });
  await assert.rejects(reg.publish({ resource: 'port', event: 'precommit_delete' }), /no/);
  off();
  await reg.publish({ resource: 'port', event: 'precommit_delete' });
});

for (const backend of backends().slice(0, 1)) {
  test('the plugin publishes every phase, and a refusing precommit leaves no port', async () => {
    const net = await startNetwork(backend);
    try {
      const events: string[] = [];
      const reg = net.server.plugin.callbacks;
      for (const ev of ['before_create', 'precommit_create', 'after_create', 'before_delete', 'precommit_delete', 'after_delete'] as const) {
        reg.subscribe('network', ev, (p: Payload) => { events.push(`${p.event}:${p.tx ? 'tx' : '-'}`); });
      }
      const n = await net.call('POST', '/v2.0/networks', { network: { name: 'cb' } });
      await net.call('DELETE', `/v2.0/networks/${n.body.network.id}`);
      assert.deepEqual(events, ['before_create:-', 'precommit_create:tx', 'after_create:-', 'before_delete:-', 'precommit_delete:tx', 'after_delete:-']);

      reg.subscribe('port', 'precommit_create', () => { throw Object.assign(new Error('vetoed')); });
      const n2 = await net.call('POST', '/v2.0/networks', { network: { name: 'cb2' } });
      const p = await net.call('POST', '/v2.0/ports', { port: { network_id: n2.body.network.id } });
      assert.equal(p.status, 500);
      assert.deepEqual((await net.call('GET', '/v2.0/ports')).body.ports, []);
    } finally {
      await net.close();
    }
  });
}
