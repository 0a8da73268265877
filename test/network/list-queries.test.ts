// Neutron's list semantics: filters on any attribute (a repeated key means
// any of), fields=, sort_key/sort_dir, limit/marker/page_reverse with
// <collection>_links, and the tag extension with its four filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/backends.js';
import { startNetwork } from '../support/network-server.js';

for (const backend of backends()) {
  test(`list filters, fields, sorting, paging and tags on ${backend.name}`, async () => {
    const net = await startNetwork(backend);
    const call = net.call.bind(net);
    try {
      const bulk = await call('POST', '/v2.0/networks', { networks: ['d', 'b', 'e', 'a', 'c'].map((name, i) => ({ name, admin_state_up: i % 2 === 0, description: i < 2 ? 'first' : 'rest' })) });
      assert.equal(bulk.status, 201);
      assert.equal(bulk.body.networks.length, 5);
      const byName = new Map(bulk.body.networks.map((n: any) => [n.name, n.id]));
      const names = (r: any) => r.body.networks.map((n: any) => n.name);

      assert.deepEqual(names(await call('GET', '/v2.0/networks?name=a&name=c&sort_key=name&sort_dir=asc')), ['a', 'c']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?admin_state_up=False&sort_key=name')), ['a', 'b']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?description=first&sort_key=name&sort_dir=desc')), ['d', 'b']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc')), ['b', 'a', 'e', 'd', 'c']);
      const fields = await call('GET', '/v2.0/networks?fields=name&fields=id&name=e');
      assert.deepEqual(fields.body.networks, [{ id: byName.get('e'), name: 'e' }]);
      // as Neutron's UserFilterHook: a value is one name as written (no comma list), an unknown one or
      // an empty one matches nothing, and creates, updates and shows are filtered too
      const only = async (path: string, method = 'GET', body?: unknown) => {
        const r = await call(method, path, body);
        assert.ok(r.status === 200 || r.status === 201, `${method} ${path}: ${JSON.stringify(r.body)}`);
        return r.body.networks ?? r.body.network;
      };
      assert.deepEqual(await only('/v2.0/networks?fields=bogus&name=e'), [{}]);
      assert.deepEqual(await only('/v2.0/networks?fields=name,id&name=e'), [{}]);
      assert.deepEqual(await only('/v2.0/networks?fields=&name=e'), [{}]);
      assert.deepEqual(await only('/v2.0/networks?fields=name&fields=&fields=bogus&name=e'), [{ name: 'e' }]);
      assert.deepEqual(await only('/v2.0/networks?fields=tenant_id&name=e'), [{ tenant_id: 'fake_project_id' }]);
      assert.deepEqual(await only(`/v2.0/networks/${byName.get('e')}?fields=bogus`), {});
      assert.deepEqual(await only(`/v2.0/networks/${byName.get('e')}?fields=name&fields=mtu`), { name: 'e', mtu: 1450 });
      const made = await only('/v2.0/networks?fields=name&fields=status', 'POST', { network: { name: 'f' } });
      assert.deepEqual(made, { name: 'f', status: 'ACTIVE' });
      const f = (await call('GET', '/v2.0/networks?name=f')).body.networks[0];
      assert.deepEqual(await only(`/v2.0/networks/${f.id}?fields=description`, 'PUT', { network: { description: 'x' } }), { description: 'x' });
      assert.equal((await call('DELETE', `/v2.0/networks/${f.id}?fields=name`)).status, 204);
      // the pagination links still carry the marker (the id), though the fields leave it out
      const paged = await call('GET', '/v2.0/networks?fields=name&limit=1&sort_key=name');
      assert.deepEqual(paged.body.networks, [{ name: 'a' }]);
      assert.equal(new URL(paged.body.networks_links[0].href).searchParams.get('marker'), byName.get('a'));
      assert.equal((await call('GET', '/v2.0/networks?bogus=1')).status, 400);
      assert.equal((await call('GET', '/v2.0/networks?sort_key=subnets')).status, 400);

      // walk forward two at a time, then back from the end
      const seen: string[] = [];
      let next: string | undefined = '/v2.0/networks?limit=2&sort_key=name&sort_dir=asc';
      for (let hops = 0; next && hops < 5; hops++) {
        const page: any = await call('GET', next);
        assert.equal(page.status, 200);
        seen.push(...names(page));
        const link = page.body.networks_links?.find((l: any) => l.rel === 'next');
        next = link ? new URL(link.href).pathname + new URL(link.href).search : undefined;
      }
      assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
      const back = await call('GET', `/v2.0/networks?limit=2&sort_key=name&sort_dir=asc&marker=${byName.get('e')}&page_reverse=True`);
      assert.deepEqual(names(back), ['c', 'd']);
      const prev = back.body.networks_links.find((l: any) => l.rel === 'previous');
      assert.match(prev.href, /marker=.*&page_reverse=True$/);
      assert.equal((await call('GET', '/v2.0/networks?limit=2&marker=00000000-0000-0000-0000-000000000000')).status, 404);
      // past the end: an empty page, no next link, and a previous link without a marker that reads
      // the last page backwards (Neutron's get_previous_link; tempest's _list_all_with_hrefs walks it)
      const end = await call('GET', `/v2.0/networks?limit=2&sort_key=name&sort_dir=asc&marker=${byName.get('e')}`);
      assert.deepEqual(end.body.networks, []);
      assert.deepEqual(end.body.networks_links.map((l: any) => l.rel), ['previous']);
      const last = new URL(end.body.networks_links[0].href);
      assert.equal(last.searchParams.get('marker'), null);
      assert.equal(last.searchParams.get('page_reverse'), 'True');
      assert.deepEqual(names(await call('GET', last.pathname + last.search)), ['d', 'e']);

      // tags
      const a = byName.get('a');
      assert.equal((await call('PUT', `/v2.0/networks/${a}/tags`, { tags: ['red', 'blue'] })).status, 200);
      assert.equal((await call('PUT', `/v2.0/networks/${byName.get('b')}/tags/red`)).status, 201);
      assert.equal((await call('PUT', `/v2.0/networks/${byName.get('c')}/tags/blue`)).status, 201);
      assert.deepEqual((await call('GET', `/v2.0/networks/${a}/tags`)).body, { tags: ['blue', 'red'] });
      assert.equal((await call('GET', `/v2.0/networks/${a}/tags/red`)).status, 204);
      assert.equal((await call('GET', `/v2.0/networks/${a}/tags/green`)).status, 404);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?tags=red,blue')), ['a']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?tags-any=red,blue&sort_key=name')), ['a', 'b', 'c']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?not-tags=red,blue&sort_key=name')), ['b', 'c', 'd', 'e']);
      assert.deepEqual(names(await call('GET', '/v2.0/networks?not-tags-any=red,blue&sort_key=name')), ['d', 'e']);
      const shown = (await call('GET', `/v2.0/networks/${a}`)).body.network;
      assert.deepEqual(shown.tags, ['blue', 'red']);
      assert.equal(shown.revision_number, 2, 'a tag change moves the revision on');
      assert.equal((await call('DELETE', `/v2.0/networks/${a}/tags/red`)).status, 204);
      assert.equal((await call('DELETE', `/v2.0/networks/${a}/tags/red`)).status, 404);
      assert.equal((await call('DELETE', `/v2.0/networks/${a}/tags`)).status, 204);
      assert.deepEqual((await call('GET', `/v2.0/networks/${a}/tags`)).body, { tags: [] });

      // ports: filters through computed attributes
      const s = (await call('POST', '/v2.0/subnets', { subnet: { network_id: a, cidr: '10.20.0.0/24', ip_version: 4 } })).body.subnet;
      await call('POST', '/v2.0/ports', { ports: [{ network_id: a, name: 'x', device_owner: 'compute:nova' }, { network_id: a, name: 'y', fixed_ips: [{ ip_address: '10.20.0.99' }] }] });
      const ports = (q: string) => call('GET', `/v2.0/ports?${q}`).then((r) => r.body.ports.map((p: any) => p.name).sort());
      assert.deepEqual(await ports('fixed_ips=ip_address%3D10.20.0.99'), ['y']);
      assert.deepEqual(await ports(`fixed_ips=subnet_id%3D${s.id}`), ['x', 'y']);
      assert.deepEqual(await ports('fixed_ips=ip_address_substr%3D0.99'), ['y']);
      assert.deepEqual(await ports('device_owner=compute:nova'), ['x']);
      assert.deepEqual(await ports(`network_id=${a}&name=x&name=y`), ['x', 'y']);
    } finally {
      await net.close();
    }
  });
}
