// Tenant segment allocation under concurrency: with half of vni_ranges 1:400
// in use, 200 concurrent network creates (spread over two servers on one
// PostgreSQL database) all succeed with distinct VNIs and nothing leaks; only
// a truly full range answers 503 NoNetworkAvailable, also when many requests
// race for the last few ids. Explicit ids in use stay 409 TunnelIdInUse; VLAN
// tenant networks fill every physnet's range, and concurrent bulk creates share
// the last ids without a 5xx, also with explicit ids among them: no wait is one
// PostgreSQL cannot see (a cycle through it would hang for ever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kysely, PostgresDialect, sql, type ControlledTransaction } from 'kysely';
import pg from 'pg';
import { defaultConfig, type Config } from '../../src/config.js';
import { migrate, openDatabase, type Database } from '../../src/common/db/index.js';
import { migrations, type Schema } from '../../src/schema.js';
import type { NetworkSchema } from '../../src/network/db/schema.js';
import { SegmentPool } from '../../src/network/ml2/drivers/type/segment-pool.js';
import { createLogger } from '../../src/common/logging.js';
import { createNetworkServer, type NetworkServer } from '../../src/network/server.js';
import { backends, type Backend } from '../support/backends.js';
import { jsonCaller, type Reply } from '../support/json-call.js';

interface Server {
  call: ReturnType<typeof jsonCaller>;
  database: Database<Schema>;
  server: NetworkServer;
}

/** `count` network servers on one fresh database, as several cloudlet hosts would run. */
async function startServers(backend: Backend, count: number, ml2: Partial<Config['network']['ml2']>) {
  const fresh = await backend.fresh();
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const cfg = defaultConfig();
    cfg.data_dir = fresh.dataDir;
    cfg.database_url = fresh.databaseUrl ?? '';
    cfg.log_level = process.env.CLOUDLET_TEST_LOG_LEVEL ?? 'silent';
    Object.assign(cfg.network.ml2, ml2);
    // the networks here outnumber the default per-project quota, which is not what is tested
    cfg.network.quotas.quota_network = -1;
    const database = await openDatabase<Schema>(cfg);
    await migrate(database, migrations);
    const server = await createNetworkServer(cfg, database, createLogger(cfg.log_level));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    servers.push({ call: jsonCaller(url), database, server });
  }
  return {
    servers,
    async close() {
      for (const s of servers) {
        await s.server.app.close();
        await s.database.close();
      }
      await fresh.cleanup();
    },
  };
}

const vni = (r: Reply): number => r.body.network['provider:segmentation_id'];

function statuses(replies: Reply[]): string {
  const by = new Map<string, number>();
  for (const r of replies) {
    const k = r.status === 201 ? '201' : `${r.status} ${r.body?.NeutronError?.type ?? JSON.stringify(r.body)}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return JSON.stringify([...by]);
}

/** Every allocation row belongs to a network holding that id, and every vxlan network has one. */
async function assertNoLeak(database: Database<Schema>, networks: number): Promise<void> {
  const rows = await database.db.selectFrom('segment_allocations').select(['segmentation_id', 'network_id'])
    .where('network_type', '=', 'vxlan').execute();
  const segs = await database.db.selectFrom('network_segments').select(['segmentation_id', 'network_id'])
    .where('network_type', '=', 'vxlan').execute();
  assert.equal(segs.length, networks, 'vxlan networks');
  assert.equal(rows.length, networks, 'segment_allocations rows leaked or missing');
  const held = new Map(segs.map((s) => [s.network_id, Number(s.segmentation_id)]));
  for (const r of rows) assert.equal(held.get(r.network_id), Number(r.segmentation_id), `allocation ${r.segmentation_id} has no network`);
}

for (const backend of backends()) {
  const count = backend.name === 'postgres' ? 2 : 1;
  test(`200 concurrent tenant network creates over ${count} server(s), half of 1:400 in use, on ${backend.name}`, async () => {
    const { servers, close } = await startServers(backend, count, { vni_ranges: ['1:400'] });
    const on = (i: number) => servers[i % servers.length];
    const create = (i: number, network: Record<string, unknown> = {}) => on(i).call('POST', '/v2.0/networks', { network: { name: `n${i}`, ...network } });
    try {
      // 300 networks in three bulk requests (VNIs 1..300), then every third one deleted: 200 in use,
      // free ids both in scattered holes and at the top of the range
      const taken = new Map<number, string>();
      for (let b = 0; b < 3; b++) {
        const bulk = await on(0).call('POST', '/v2.0/networks', { networks: Array.from({ length: 100 }, (_, i) => ({ name: `fill${b}-${i}` })) });
        assert.equal(bulk.status, 201, JSON.stringify(bulk.body));
        for (const n of bulk.body.networks) taken.set(n['provider:segmentation_id'], n.id);
      }
      const holes = [...taken.keys()].filter((id) => id % 3 === 0);
      await Promise.all(holes.map(async (id, i) => {
        assert.equal((await on(i).call('DELETE', `/v2.0/networks/${taken.get(id)}`)).status, 204);
        taken.delete(id);
      }));
      assert.equal(taken.size, 200);

      const made = await Promise.all(Array.from({ length: 200 }, (_, i) => create(i)));
      assert.equal(made.filter((r) => r.status === 201).length, 200, statuses(made));
      const ids = made.map(vni);
      assert.equal(new Set(ids).size, 200, 'a VNI was handed out twice');
      for (const id of ids) {
        assert.ok(id >= 1 && id <= 400, `VNI ${id} outside 1:400`);
        assert.ok(!taken.has(id), `VNI ${id} was already in use`);
      }
      await assertNoLeak(on(0).database, 400);

      // truly full: Neutron's 503, from every server
      for (let i = 0; i < servers.length; i++) {
        const full = await create(i);
        assert.equal(full.status, 503, JSON.stringify(full.body));
        assert.equal(full.body.NeutronError.type, 'NoNetworkAvailable');
        assert.equal(full.body.NeutronError.message, 'Unable to create the network. No tenant network is available for allocation.');
      }

      // 40 requests race for the 5 ids freed: exactly 5 win them, the others find the range full
      const freed = made.slice(0, 5);
      await Promise.all(freed.map((r, i) => on(i).call('DELETE', `/v2.0/networks/${r.body.network.id}`)));
      const race = await Promise.all(Array.from({ length: 40 }, (_, i) => create(i)));
      assert.equal(race.filter((r) => r.status === 201).length, 5, statuses(race));
      assert.equal(race.filter((r) => r.status === 503 && r.body.NeutronError.type === 'NoNetworkAvailable').length, 35, statuses(race));
      assert.deepEqual(race.filter((r) => r.status === 201).map(vni).sort((a, b) => a - b), freed.map(vni).sort((a, b) => a - b));
      await assertNoLeak(on(0).database, 400);
    } finally {
      await close();
    }
  });

  test(`explicit VNIs: in use is 409 TunnelIdInUse, concurrent requests for one id get it once, on ${backend.name}`, async () => {
    const { servers, close } = await startServers(backend, count, { vni_ranges: ['1:10'] });
    const on = (i: number) => servers[i % servers.length];
    const create = (i: number, network: Record<string, unknown>) => on(i).call('POST', '/v2.0/networks', { network });
    try {
      const tenant = await create(0, { name: 't' });
      assert.equal(tenant.status, 201);
      const dup = await create(1, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': vni(tenant) });
      assert.equal(dup.status, 409, JSON.stringify(dup.body));
      assert.equal(dup.body.NeutronError.type, 'TunnelIdInUse');

      // one explicit id outside the tenant range and one inside it, each asked for 10 times at once, with tenant creates in between
      const asks = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        i % 3 === 2 ? create(i, { name: `t${i}` }) : create(i, { 'provider:network_type': 'vxlan', 'provider:segmentation_id': i % 3 === 0 ? 5000 : 7 })));
      const explicit = (id: number) => asks.filter((r, i) => i % 3 !== 2 && (i % 3 === 0 ? 5000 : 7) === id);
      const tenants = asks.filter((r, i) => i % 3 === 2);
      const won = tenants.filter((r) => r.status === 201);
      // 7 is also in the tenant range: an explicit request or a tenant network gets it, never both
      const sevenWon = explicit(7).filter((r) => r.status === 201).length;
      assert.equal(sevenWon + won.filter((r) => vni(r) === 7).length, 1, `7: ${statuses(explicit(7))} ${statuses(tenants)}`);
      for (const [id, wins] of [[5000, 1], [7, sevenWon]]) {
        const mine = explicit(id);
        assert.equal(mine.filter((r) => r.status === 201).length, wins, `${id}: ${statuses(mine)}`);
        assert.equal(mine.filter((r) => r.status === 409 && r.body.NeutronError.type === 'TunnelIdInUse').length, 10 - wins, `${id}: ${statuses(mine)}`);
      }
      // the 9 free tenant ids all go, to tenants or to the explicit 7; the other tenant creates find the range full
      assert.equal(won.length, 9 - sevenWon, statuses(tenants));
      assert.equal(new Set([vni(tenant), ...won.map(vni)]).size, won.length + 1);
      for (const r of tenants.filter((x) => x.status !== 201)) assert.equal(r.body.NeutronError.type, 'NoNetworkAvailable');
      await assertNoLeak(on(0).database, 11);
    } finally {
      await close();
    }
  });


  test(`60 concurrent VLAN tenant creates fill two physnets' 20 ids each over ${count} server(s) on ${backend.name}`, async () => {
    const { servers, close } = await startServers(backend, count, {
      tenant_network_types: ['vlan'], network_vlan_ranges: ['physnet1:100:119', 'physnet2:200:219'],
    });
    const on = (i: number) => servers[i % servers.length];
    try {
      const made = await Promise.all(Array.from({ length: 60 }, (_, i) => on(i).call('POST', '/v2.0/networks', { network: { name: `v${i}` } })));
      const won = made.filter((r) => r.status === 201);
      assert.equal(won.length, 40, statuses(made));
      assert.equal(made.filter((r) => r.status === 503 && r.body.NeutronError.type === 'NoNetworkAvailable').length, 20, statuses(made));
      const got = won.map((r) => `${r.body.network['provider:physical_network']}:${vni(r)}`);
      assert.equal(new Set(got).size, 40, 'a VLAN was handed out twice');
      for (const g of got) assert.match(g, /^(physnet1:1[01]\d|physnet2:2[01]\d)$/);
      const rows = await on(0).database.db.selectFrom('segment_allocations').select('segmentation_id').where('network_type', '=', 'vlan').execute();
      assert.equal(rows.length, 40, 'segment_allocations rows leaked or missing');
    } finally {
      await close();
    }
  });

  test(`30 concurrent bulk creates of 5 networks share 1:100 exactly (20 win, none 5xx) over ${count} server(s) on ${backend.name}`, async () => {
    const { servers, close } = await startServers(backend, count, { vni_ranges: ['1:100'] });
    const on = (i: number) => servers[i % servers.length];
    try {
      // each bulk holds some ids while it takes the next: near the end, bulks wait for (or give way to) each other
      const made = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        on(i).call('POST', '/v2.0/networks', { networks: Array.from({ length: 5 }, (_, k) => ({ name: `b${i}-${k}` })) })));
      assert.equal(made.filter((r) => r.status === 201).length, 20, statuses(made));
      assert.equal(made.filter((r) => r.status === 503 && r.body.NeutronError.type === 'NoNetworkAvailable').length, 10, statuses(made));
      const ids = made.filter((r) => r.status === 201).flatMap((r) => r.body.networks.map((n: Record<string, number>) => n['provider:segmentation_id']));
      assert.equal(new Set(ids).size, 100, 'a VNI was handed out twice');
      await assertNoLeak(on(0).database, 100);
    } finally {
      await close();
    }
  });

  test(`bulk creates of an explicit id and a tenant network race tenant bulks for 1:6: each answers, none twice, over ${count} server(s) on ${backend.name}`, { timeout: 60000 }, async () => {
    const { servers, close } = await startServers(backend, count, { vni_ranges: ['1:6'] });
    const on = (i: number) => servers[i % servers.length];
    try {
      // the admin bulks' explicit ids are in the tenant range, so their inserts race the other bulks' claims
      const made = await within(Promise.all(Array.from({ length: 18 }, (_, i) => on(i).call('POST', '/v2.0/networks', {
        networks: i % 3 === 0
          ? [{ 'provider:network_type': 'vxlan', 'provider:segmentation_id': 1 + (i / 3), name: `r${i}` }, { name: `r${i}-t` }]
          : [{ name: `b${i}-0` }, { name: `b${i}-1` }],
      }))), 'bulk creates', 30000);
      const won = made.filter((r) => r.status === 201);
      const lost = made.filter((r) => r.status !== 201);
      for (const r of lost) assert.match(`${r.status} ${r.body?.NeutronError?.type}`, /^(409 TunnelIdInUse|503 NoNetworkAvailable)$/, statuses(made));
      const ids = won.flatMap((r) => r.body.networks.map((n: Record<string, number>) => n['provider:segmentation_id']));
      assert.equal(new Set(ids).size, ids.length, 'a VNI was handed out twice');
      assert.equal(ids.length, 6, `the range is not filled: ${statuses(made)}`);
      await assertNoLeak(on(0).database, ids.length);
    } finally {
      await close();
    }
  });
}

// Transactions driven step by step against the pool itself, on PostgreSQL: the waits that matter
// happen between transactions of one database, so each is opened, paused and ended by the test.
const postgres = backends().find((b) => b.name === 'postgres');

async function stepwise(fn: (s: { pool: SegmentPool; begin: () => Promise<ControlledTransaction<NetworkSchema>>; waiters: (n: number) => Promise<void> }) => Promise<void>) {
  const fresh = await postgres!.fresh();
  const cfg = defaultConfig();
  cfg.data_dir = fresh.dataDir;
  cfg.database_url = fresh.databaseUrl ?? '';
  const pool = new pg.Pool({ connectionString: cfg.database_url });
  // connections ended below under a transaction still waiting (the failure tested for) must not crash the run
  pool.on('error', () => undefined);
  pool.on('connect', (c) => c.on('error', () => undefined));
  const db = new Kysely<NetworkSchema>({ dialect: new PostgresDialect({ pool }) });
  const open: Array<ControlledTransaction<NetworkSchema>> = [];
  try {
    await migrate({ db, dialect: 'postgres', close: async () => undefined }, migrations);
    await fn({
      pool: new SegmentPool('vxlan'),
      async begin() {
        const t = await db.startTransaction().execute();
        open.push(t);
        return t;
      },
      // until n transactions wait for a lock
      async waiters(n) {
        for (const end = Date.now() + 5000; ;) {
          const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()`.execute(db);
          if (r.rows[0].n >= n) return;
          if (Date.now() > end) throw new Error(`${r.rows[0].n} of ${n} transactions wait`);
          await new Promise((res) => setTimeout(res, 10));
        }
      },
    });
  } finally {
    if (open.some((t) => !t.isCommitted && !t.isRolledBack)) {
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(db);
      await Promise.all(open.map((t) => (t.isCommitted || t.isRolledBack ? undefined : t.rollback().execute().catch(() => undefined))));
    }
    await db.destroy();
    await fresh.cleanup();
  }
}

/** p's answer, or an error once it has waited `ms`. */
async function within<T>(p: Promise<T>, what: string, ms = 8000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('an admin bulk reserving an explicit id and allocating one, racing two tenant bulks for 1:2: no wait PostgreSQL cannot see', { skip: !postgres && 'needs PostgreSQL', timeout: 30000 }, async () => {
  await stepwise(async ({ pool, begin, waiters }) => {
    const range: Array<[number, number]> = [[1, 2]];
    const x = await begin(); // the oldest: a bulk create holding id 1
    assert.equal(await pool.allocate(x, null, range, 'x1'), 1);
    const r = await begin(); // an admin bulk: item 1 asks for id 2 explicitly
    assert.equal(await pool.reserve(r, null, 2, 'r1'), true);
    const y = await begin(); // a tenant bulk: both ids are being taken, so it waits
    const yGot = pool.allocate(y, null, range, 'y1');
    yGot.catch(() => undefined); // awaited below, unless the test fails first
    await waiters(1);
    // R's item 2 and X's item 2 race for the ids X and R hold; R answering null is a 503, which rolls it back
    const rGot = pool.allocate(r, null, range, 'r2').then(async (id) => {
      await r.rollback().execute();
      return id;
    });
    rGot.catch(() => undefined);
    const xGot = pool.allocate(x, null, range, 'x2');
    assert.equal(await within(xGot, 'X'), 2);
    assert.equal(await within(rGot, 'R'), null);
    await x.commit().execute();
    assert.equal(await within(yGot, 'Y'), null);
    await y.rollback().execute();
  });
});

test('a bulk that read pg_stat_activity earlier still waits for a younger claim, not gives way', { skip: !postgres && 'needs PostgreSQL', timeout: 30000 }, async () => {
  await stepwise(async ({ pool, begin, waiters }) => {
    const range: Array<[number, number]> = [[1, 2]];
    const x = await begin();
    // as an earlier wait of this bulk would have: PostgreSQL keeps what it read for the rest of the transaction
    await sql`SELECT count(*) FROM pg_stat_activity`.execute(x);
    assert.equal(await pool.allocate(x, null, range, 'x1'), 1);
    const y = await begin(); // younger, started after X's read
    assert.equal(await pool.allocate(y, null, range, 'y1'), 2);
    const xGot = pool.allocate(x, null, range, 'x2');
    await waiters(1);
    await y.rollback().execute();
    assert.equal(await within(xGot, 'X'), 2);
    await x.commit().execute();
  });
});
