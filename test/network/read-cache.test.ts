// The read cache, keyed on the change log's revision: with two API servers on one database,
// a read through one server after a write acknowledged by the other is never stale, and a
// repeated read with nothing changed is served from the cache (on PostgreSQL too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork, startSibling } from '../support/network-server.js';

for (const backend of backends()) {
  test(`read cache: no stale read across two servers on ${backend.name}`, async () => {
    const a = await startNetwork(backend);
    const b = await startSibling(a);
    try {
      const n = (await a.call('POST', '/v2.0/networks', { network: { name: 'v0' } })).body.network;
      const p = (await a.call('POST', '/v2.0/ports', { port: { network_id: n.id, name: 'p0' } })).body.port;
      // each server reads (and caches), the other writes, the first reads again: the write is there
      for (let i = 1; i <= 40; i++) {
        const [reader, writer] = i % 2 ? [a.call, b.call] : [b.call, a.call];
        assert.equal((await reader('GET', `/v2.0/networks/${n.id}`)).status, 200);
        assert.equal((await reader('GET', '/v2.0/ports')).status, 200);
        assert.equal((await writer('PUT', `/v2.0/networks/${n.id}`, { network: { name: `v${i}` } })).status, 200);
        assert.equal((await writer('PUT', `/v2.0/ports/${p.id}/tags/t${i}`)).status, 201);
        assert.equal((await reader('GET', `/v2.0/networks/${n.id}`)).body.network.name, `v${i}`, `read ${i} after the other server's write`);
        const ports = (await reader('GET', '/v2.0/ports')).body.ports;
        assert.ok(ports[0].tags.includes(`t${i}`), `port tags after write ${i}: ${JSON.stringify(ports[0].tags)}`);
      }
      // concurrent: every reader started after a write's acknowledgement sees at least that write
      const writes = Array.from({ length: 30 }, async (_, i) => {
        const writer = i % 2 ? a.call : b.call;
        const reader = i % 2 ? b.call : a.call;
        assert.equal((await writer('PUT', `/v2.0/networks/${n.id}/tags/c${i}`)).status, 201);
        const tags = (await reader('GET', `/v2.0/networks/${n.id}`)).body.network.tags as string[];
        assert.ok(tags.includes(`c${i}`), `c${i} acknowledged, then missing from ${JSON.stringify(tags)}`);
      });
      await Promise.all(writes);

      if (backend.name === 'postgres') {
        // the cache is on: a row changed behind the log's back (nothing any API does) is not seen...
        await a.call('GET', `/v2.0/networks/${n.id}`);
        await a.database.db.updateTable('networks').set({ description: 'behind the log' }).where('id', '=', n.id).execute();
        assert.equal((await a.call('GET', `/v2.0/networks/${n.id}`)).body.network.description, '');
        // ...until the log moves on
        assert.equal((await b.call('PUT', `/v2.0/ports/${p.id}`, { port: { name: 'p1' } })).status, 200);
        assert.equal((await a.call('GET', `/v2.0/networks/${n.id}`)).body.network.description, 'behind the log');
      }
    } finally {
      await b.close();
      await a.close();
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends().filter((b) => b.name === 'postgres')) {
  test('read cache on postgres: a GET that arrives while a revision read is in flight waits for the next read', async () => {
    const a = await startNetwork(backend);
    const b = await startSibling(a);
    try {
      const n = (await a.call('POST', '/v2.0/networks', { network: { name: 'before' } })).body.network;
      assert.equal((await a.call('GET', `/v2.0/networks/${n.id}`)).body.network.name, 'before'); // now cached
      // the first revision read from here on is sent and answered at once, but its answer is held back
      const real = a.database.readValue;
      assert.ok(real, 'the PostgreSQL database reads the revision on a connection of its own');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let answered = 0;
      a.database.readValue = async (name, text) => {
        const v = await real(name, text);
        if (answered++ === 0) await gate;
        return v;
      };
      const first = a.call('GET', `/v2.0/networks/${n.id}`);
      for (let i = 0; answered === 0; i++) {
        assert.ok(i < 500, 'the first GET never read the revision');
        await sleep(10);
      }
      // a write through the other server is acknowledged after that read was answered...
      assert.equal((await b.call('PUT', `/v2.0/networks/${n.id}`, { network: { name: 'after' } })).status, 200);
      // ...then a GET arrives while the read is still in flight: sharing it would answer 'before' from the cache
      const second = a.call('GET', `/v2.0/networks/${n.id}`);
      await sleep(300);
      assert.equal(answered, 1, 'no second read is sent while the first is in flight');
      release();
      assert.equal((await first).status, 200);
      assert.equal((await second).body.network.name, 'after');
      assert.equal(answered, 2);
    } finally {
      await b.close();
      await a.close();
    }
  });
}
