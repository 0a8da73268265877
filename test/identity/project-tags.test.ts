// Keystone's project tags: `tags` on projects and domains, the
// /v3/projects/{id}/tags routes, the tag filters of GET /v3/projects, the
// policy (readers look, admins and domain managers write), bad input (a 400,
// nothing stored) and tags going with their project or domain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backends } from '../support/backends.js';
import { startIdentity, type RunningIdentity } from '../support/identity-server.js';
import { identityState } from './db-state.js';

async function state(id: RunningIdentity): Promise<Record<string, unknown[]>> {
  const db = id.database.db;
  return {
    ...(await identityState(id)),
    project_tags: await db.selectFrom('project_tags').selectAll().orderBy('project_id').orderBy('name').execute(),
    domain_tags: await db.selectFrom('domain_tags').selectAll().orderBy('domain_id').orderBy('name').execute(),
  };
}

for (const backend of backends()) {
  test(`project tags on ${backend.name}`, async (t) => {
    const id = await startIdentity(backend);
    try {
      const h = { 'x-auth-token': await id.login() };
      const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = h) => id.call(method, path, body, headers);
      const project = async (name: string, tags?: string[]) => {
        const r = await call('POST', '/v3/projects', { project: { name, ...(tags ? { tags } : {}) } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.project.id as string;
      };
      const tagsOf = async (pid: string) => (await call('GET', `/v3/projects/${pid}`)).body.project.tags;

      let pa = '';
      await t.test('tags on create and PATCH, shown by GET and list alike', async () => {
        const r = await call('POST', '/v3/projects', { project: { name: 'pa', tags: ['c', 'a', 'b'] } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.deepEqual(r.body.project.tags, ['a', 'b', 'c']);
        pa = r.body.project.id;
        const shown = (await call('GET', `/v3/projects/${pa}`)).body.project;
        const listed = (await call('GET', '/v3/projects')).body.projects.find((p: any) => p.id === pa);
        assert.deepEqual(shown, listed);
        assert.deepEqual(shown.tags, ['a', 'b', 'c']);
        assert.deepEqual((await call('GET', '/v3/projects?name=admin')).body.projects[0].tags, []);

        assert.deepEqual((await call('PATCH', `/v3/projects/${pa}`, { project: { tags: ['x', 'y'] } })).body.project.tags, ['x', 'y']);
        assert.deepEqual((await call('PATCH', `/v3/projects/${pa}`, { project: { description: 'kept' } })).body.project.tags, ['x', 'y']);
        assert.deepEqual(await tagsOf(pa), ['x', 'y']);
        assert.deepEqual((await call('PATCH', `/v3/projects/${pa}`, { project: { tags: [] } })).body.project.tags, []);
        // tags are case-sensitive, as in Keystone
        assert.deepEqual((await call('PATCH', `/v3/projects/${pa}`, { project: { tags: ['case', 'CASE', 'a', 'b'] } })).body.project.tags, ['CASE', 'a', 'b', 'case']);
      });

      await t.test('domains take tags too', async () => {
        const d = await call('POST', '/v3/domains', { domain: { name: 'tagged', tags: ['blue', 'green'] } });
        assert.equal(d.status, 201, JSON.stringify(d.body));
        assert.deepEqual(d.body.domain.tags, ['blue', 'green']);
        const did = d.body.domain.id;
        assert.deepEqual((await call('PATCH', `/v3/domains/${did}`, { domain: { tags: ['red'] } })).body.domain.tags, ['red']);
        assert.deepEqual((await call('GET', `/v3/domains/${did}`)).body.domain.tags, ['red']);
        assert.deepEqual((await call('GET', '/v3/domains?name=tagged')).body.domains[0].tags, ['red']);
        // Keystone's domains are projects: the /tags routes serve them
        assert.equal((await call('PUT', `/v3/projects/${did}/tags/white`)).status, 201);
        assert.deepEqual((await call('GET', `/v3/projects/${did}/tags`)).body.tags, ['red', 'white']);
        assert.deepEqual((await call('GET', `/v3/domains/${did}`)).body.domain.tags, ['red', 'white']);

        // a disabled domain's deletion takes its tags and its projects' tags
        const inside = await call('POST', '/v3/projects', { project: { name: 'in-tagged', domain_id: did, tags: ['t1'] } });
        assert.equal(inside.status, 201);
        assert.equal((await call('PATCH', `/v3/domains/${did}`, { domain: { enabled: false } })).status, 200);
        assert.equal((await call('DELETE', `/v3/domains/${did}`)).status, 204);
        const db = id.database.db;
        assert.equal((await db.selectFrom('domain_tags').selectAll().where('domain_id', '=', did).execute()).length, 0);
        assert.equal((await db.selectFrom('project_tags').selectAll().where('project_id', '=', inside.body.project.id).execute()).length, 0);
      });

      await t.test('the /tags routes', async () => {
        const p = await project('routes', ['one', 'two']);
        const base = `/v3/projects/${p}/tags`;
        const list = await call('GET', base);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.tags, ['one', 'two']);
        assert.equal(list.body.links.self, `${id.url}${base}`);
        assert.deepEqual((await call('GET', `${base}/`)).body.tags, ['one', 'two']);

        const put = await call('PUT', `${base}/three`, {});
        assert.equal(put.status, 201);
        assert.equal(put.headers.get('location'), `${id.url}${base}/three`);
        assert.equal((await call('GET', `${base}/three`)).status, 204);
        assert.equal((await call('HEAD', `${base}/three`)).status, 204);
        const missing = await call('GET', `${base}/nine`);
        assert.deepEqual(missing.body, { error: { code: 404, message: 'Could not find project tag: nine.', title: 'Not Found' } });
        assert.equal((await call('HEAD', `${base}/nine`)).status, 404);
        assert.equal((await call('PUT', `${base}/three`)).status, 400); // already there
        // Keystone strips a tag given in the URL
        assert.equal((await call('PUT', `${base}/%20four%20`)).status, 201);
        assert.equal((await call('GET', `${base}/four`)).status, 204);
        assert.equal((await call('PUT', `${base}/caf%C3%A9`)).status, 201);
        assert.deepEqual((await call('GET', base)).body.tags, ['café', 'four', 'one', 'three', 'two']);

        const replaced = await call('PUT', base, { tags: ['z', 'y'] });
        assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
        assert.deepEqual(replaced.body.tags, ['z', 'y']);
        assert.deepEqual(await tagsOf(p), ['y', 'z']);

        assert.equal((await call('DELETE', `${base}/z`)).status, 204);
        assert.equal((await call('DELETE', `${base}/z`)).status, 404);
        assert.deepEqual((await call('GET', base)).body.tags, ['y']);
        assert.equal((await call('DELETE', base)).status, 204);
        assert.deepEqual((await call('GET', base)).body.tags, []);

        // at most 80, counted in characters (255 of them, even outside the BMP)
        const eighty = Array.from({ length: 80 }, (_, i) => `t${i}`);
        assert.equal((await call('PUT', base, { tags: eighty })).status, 200);
        assert.equal((await call('PUT', `${base}/t80`)).status, 400);
        assert.equal((await call('PUT', base, { tags: ['😀'.repeat(255)] })).status, 200);
        assert.deepEqual(await tagsOf(p), ['😀'.repeat(255)]);

        for (const [method, path] of [['GET', '/v3/projects/nope/tags'], ['PUT', '/v3/projects/nope/tags/a'], ['GET', '/v3/projects/nope/tags/a'], ['DELETE', '/v3/projects/nope/tags']]) {
          const r = await call(method, path, method === 'PUT' ? {} : undefined);
          assert.deepEqual(r.body, { error: { code: 404, message: 'Could not find project: nope.', title: 'Not Found' } }, `${method} ${path}`);
        }
        assert.equal((await call('PUT', '/v3/projects/nope/tags', { tags: ['a'] })).status, 404);

        // the tags go with their project
        assert.equal((await call('DELETE', `/v3/projects/${p}`)).status, 204);
        assert.equal((await id.database.db.selectFrom('project_tags').selectAll().where('project_id', '=', p).execute()).length, 0);
      });

      await t.test('GET /v3/projects filters: tags, tags-any, not-tags, not-tags-any', async () => {
        const p1 = await project('f1', ['fa', 'fb']);
        const p2 = await project('f2', ['fb', 'fc']);
        const p3 = await project('f3');
        const mine = new Set([p1, p2, p3]);
        const ids = async (query: string) => {
          const r = await call('GET', `/v3/projects?${query}`);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          return r.body.projects.map((x: any) => x.id).filter((x: string) => mine.has(x)).sort();
        };
        const sorted = (...xs: string[]) => [...xs].sort();
        assert.deepEqual(await ids('tags=fa,fb'), [p1]);
        assert.deepEqual(await ids('tags=fb'), sorted(p1, p2));
        assert.deepEqual(await ids('tags=fa,fc'), []);
        assert.deepEqual(await ids('tags=fb,fb'), sorted(p1, p2));
        assert.deepEqual(await ids('tags-any=fa,fc'), sorted(p1, p2));
        assert.deepEqual(await ids('not-tags=fa,fb'), sorted(p2, p3));
        assert.deepEqual(await ids('not-tags-any=fa,fc'), [p3]);
        assert.deepEqual(await ids('tags-any=fb&not-tags-any=fa'), [p2]);
        assert.deepEqual(await ids('tags=fa,fb&not-tags=fa,fb'), []);
        assert.deepEqual(await ids('tags-any=fa,fb&not-tags-any=fa,fb'), []);
        assert.deepEqual(await ids('tags-any=fb&name=f2'), [p2]);
        assert.deepEqual(await ids('tags-any=fb&name=nope'), []);
        // %2C is a comma too once decoded; a tag nobody has matches nothing
        assert.deepEqual(await ids('tags-any=fa%2Cfc'), sorted(p1, p2));
        assert.deepEqual(await ids('tags=zz'), []);
        const all = (await call('GET', '/v3/projects?not-tags-any=zz')).body.projects.length;
        assert.equal(all, (await call('GET', '/v3/projects')).body.projects.length);
        // the filtered rows show their tags
        assert.deepEqual((await call('GET', '/v3/projects?tags=fa')).body.projects[0].tags, ['fa', 'fb']);
      });

      await t.test('policy: project users and domain readers look, admins and domain managers write', async () => {
        const mine = await project('mine', ['m1']);
        const other = await project('other', ['o1']);
        const roles = Object.fromEntries((await call('GET', '/v3/roles')).body.roles.map((r: any) => [r.name, r.id]));
        const user = async (name: string) => (await call('POST', '/v3/users', { user: { name, password: `${name}-pw` } })).body.user.id as string;
        const carol = await user('carol');
        assert.equal((await call('PUT', `/v3/projects/${mine}/users/${carol}/roles/${roles.member}`)).status, 204);
        const m = { 'x-auth-token': await id.login({ user: 'carol', password: 'carol-pw', project: 'mine' }) };

        assert.deepEqual((await call('GET', `/v3/projects/${mine}/tags`, undefined, m)).body.tags, ['m1']);
        assert.equal((await call('GET', `/v3/projects/${mine}/tags/m1`, undefined, m)).status, 204);
        assert.equal((await call('HEAD', `/v3/projects/${mine}/tags/m1`, undefined, m)).status, 204);
        for (const [method, path, body] of [
          ['PUT', `/v3/projects/${mine}/tags/m2`, {}], ['PUT', `/v3/projects/${mine}/tags`, { tags: [] }],
          ['DELETE', `/v3/projects/${mine}/tags/m1`, undefined], ['DELETE', `/v3/projects/${mine}/tags`, undefined],
          ['GET', `/v3/projects/${other}/tags`, undefined], ['GET', `/v3/projects/${other}/tags/o1`, undefined],
          ['PUT', `/v3/projects/${other}/tags/x`, {}],
          // a project that does not exist is refused before its absence is revealed
          ['GET', '/v3/projects/nope/tags', undefined],
        ] as const) {
          const r = await call(method, path, body, m);
          assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.title, 'Forbidden');
        }
        assert.equal((await call('GET', `/v3/projects/${mine}/tags`, undefined, {})).status, 401);

        // a reader of the domain may look at its projects' tags, not change them
        const dave = await user('dave');
        assert.equal((await call('PUT', `/v3/domains/default/users/${dave}/roles/${roles.reader}`)).status, 204);
        const dr = { 'x-auth-token': await id.login({ user: 'dave', password: 'dave-pw', domain: 'default' }) };
        assert.deepEqual((await call('GET', `/v3/projects/${other}/tags`, undefined, dr)).body.tags, ['o1']);
        assert.equal((await call('PUT', `/v3/projects/${other}/tags/x`, {}, dr)).status, 403);

        // Keystone's domain manager may write the tags of its domain's projects
        const manager = (await call('POST', '/v3/roles', { role: { name: 'manager' } })).body.role.id;
        const erin = await user('erin');
        assert.equal((await call('PUT', `/v3/domains/default/users/${erin}/roles/${manager}`)).status, 204);
        const dm = { 'x-auth-token': await id.login({ user: 'erin', password: 'erin-pw', domain: 'default' }) };
        assert.equal((await call('PUT', `/v3/projects/${other}/tags/o2`, {}, dm)).status, 201);
        assert.equal((await call('DELETE', `/v3/projects/${other}/tags`, undefined, dm)).status, 204);
        // ...but not those of a domain (Keystone: a domain's domain_id is None)
        assert.equal((await call('PUT', '/v3/projects/default/tags/x', {}, dm)).status, 403);
      });

      await t.test('bad input: keystone 400 body, nothing stored', async () => {
        await call('PUT', `/v3/projects/${pa}/tags`, { tags: ['keep'] });
        const before = await state(id);
        const bad = [
          ['a/b'], ['a,b'], ['x'.repeat(256)], [''], [1], [null], ['dup', 'dup'],
          Array.from({ length: 81 }, (_, i) => `t${i}`), 'notalist', null, { a: 1 },
        ];
        const cases: Array<[string, string, unknown]> = [];
        for (const tags of bad) {
          cases.push(['POST', '/v3/projects', { project: { name: 'bad-tags', tags } }]);
          cases.push(['PATCH', `/v3/projects/${pa}`, { project: { tags } }]);
          cases.push(['PATCH', `/v3/projects/${pa}`, { project: { description: 'changed', tags } }]);
          cases.push(['POST', '/v3/domains', { domain: { name: 'bad-tags', tags } }]);
          cases.push(['PATCH', '/v3/domains/default', { domain: { tags } }]);
          cases.push(['PUT', `/v3/projects/${pa}/tags`, { tags }]);
        }
        cases.push(
          ['PUT', `/v3/projects/${pa}/tags`, {}],
          ['PUT', `/v3/projects/${pa}/tags`, { tags: ['ok'], other: 1 }],
          ['PUT', `/v3/projects/${pa}/tags`, ['ok']],
          ['PUT', `/v3/projects/${pa}/tags`, { tags: ['a', ' a'] }],
          ['PUT', `/v3/projects/${pa}/tags`, { tags: ['  '] }],
          ['PUT', `/v3/projects/${pa}/tags/a%2Cb`, {}],
          ['PUT', `/v3/projects/${pa}/tags/a%2Fb`, {}],
          ['PUT', `/v3/projects/${pa}/tags/${'x'.repeat(256)}`, {}],
          ['PUT', `/v3/projects/${pa}/tags/%20%20`, {}],
          ['PUT', `/v3/projects/${pa}/tags/%20keep`, {}],
        );
        for (const [method, path, body] of cases) {
          const r = await call(method, path, body);
          assert.equal(r.status, 400, `${method} ${path} ${String(JSON.stringify(body)).slice(0, 80)}: ${r.status} ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, 400);
          assert.equal(r.body.error.title, 'Bad Request');
          assert.equal(typeof r.body.error.message, 'string');
        }
        assert.deepEqual(await state(id), before);
      });
    } finally {
      await id.close();
    }
  });
}
