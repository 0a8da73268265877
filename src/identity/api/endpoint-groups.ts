// OS-EP-FILTER beyond the endpoint groups' CRUD (entities/extras.ts): the
// endpoints a group matches, and the groups associated with projects, which
// narrow those projects' catalogs (../catalog.ts). Keystone's direct
// endpoint–project associations (/OS-EP-FILTER/projects/{p}/endpoints/{e}) are not served.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../../common/db/index.js';
import { matchingEndpoints } from '../catalog.js';
import { Errors } from '../errors.js';
import { baseUrl, enforce, type Ctx, listLinks } from './context.js';
import { endpointEntity } from './entities/catalog.js';
import { endpointGroupEntity } from './entities/extras.js';
import { projectEntity } from './entities/resource.js';
import { getRow, present, presentAll, type Row } from './entity.js';

const BASE = '/v3/OS-EP-FILTER';

type Group = { Params: { group: string } };
type Pair = { Params: { group: string; project: string } };
type Project = { Params: { project: string } };

const list = (req: FastifyRequest, key: string, items: unknown[]) => ({ [key]: items, links: listLinks(req) });

export function registerEndpointGroups(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const projects = (req: FastifyRequest, rows: Row[]) => presentAll(projectEntity, db, rows, req);

  app.get<Group>(`${BASE}/endpoint_groups/:group/endpoints`, async (req) => {
    await enforce(ctx, req, 'identity:list_endpoints_associated_with_endpoint_group');
    const group = await getRow(db, endpointGroupEntity, req.params.group);
    const rows = await matchingEndpoints(db, JSON.parse(group.filters) as Record<string, unknown>);
    return list(req, 'endpoints', rows.map((r) => present(endpointEntity, r, req)));
  });

  // as Keystone: an unknown group has no projects
  app.get<Group>(`${BASE}/endpoint_groups/:group/projects`, async (req) => {
    await enforce(ctx, req, 'identity:list_projects_associated_with_endpoint_group');
    const rows = await db
      .selectFrom('projects')
      .selectAll('projects')
      .innerJoin('project_endpoint_groups as a', 'a.project_id', 'projects.id')
      .where('a.endpoint_group_id', '=', req.params.group)
      .orderBy('projects.id')
      .execute();
    return list(req, 'projects', await projects(req, rows));
  });

  app.get<Project>(`${BASE}/projects/:project/endpoint_groups`, async (req) => {
    await enforce(ctx, req, 'identity:list_endpoint_groups_for_project');
    await getRow(db, projectEntity, req.params.project);
    const rows = await db
      .selectFrom('endpoint_groups')
      .selectAll('endpoint_groups')
      .innerJoin('project_endpoint_groups as a', 'a.endpoint_group_id', 'endpoint_groups.id')
      .where('a.project_id', '=', req.params.project)
      .orderBy('endpoint_groups.id')
      .execute();
    return list(req, 'endpoint_groups', rows.map((r) => present(endpointGroupEntity, r, req)));
  });

  /** the rule, then the project and the group (404 for either, as Keystone) */
  const both = async (req: FastifyRequest<Pair>, rule: string) => {
    await enforce(ctx, req, rule);
    await getRow(db, projectEntity, req.params.project);
    await getRow(db, endpointGroupEntity, req.params.group);
  };
  const association = (p: Pair['Params']) =>
    db.selectFrom('project_endpoint_groups').selectAll().where('endpoint_group_id', '=', p.group).where('project_id', '=', p.project).executeTakeFirst();
  const noAssociation = () => Errors.notFoundMessage('Endpoint Group Project Association not found');
  const pairPath = `${BASE}/endpoint_groups/:group/projects/:project`;

  app.put<Pair>(pairPath, async (req, reply) => {
    await both(req, 'identity:add_endpoint_group_to_project');
    try {
      await db.insertInto('project_endpoint_groups').values({ endpoint_group_id: req.params.group, project_id: req.params.project }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw Errors.conflict('project_endpoint_group', 'Duplicate entry found with name or id');
      throw err;
    }
    reply.code(204).send();
  });

  // GET and HEAD
  app.get<Pair>(pairPath, async (req) => {
    await both(req, 'identity:get_endpoint_group_in_project');
    const a = await association(req.params);
    if (!a) throw noAssociation();
    return { project_endpoint_group: { ...a, links: { self: `${baseUrl(req)}${BASE}/endpoint_groups/${a.endpoint_group_id}/projects/${a.project_id}` } } };
  });

  app.delete<Pair>(pairPath, async (req, reply) => {
    await both(req, 'identity:remove_endpoint_group_from_project');
    const r = await db.deleteFrom('project_endpoint_groups').where('endpoint_group_id', '=', req.params.group).where('project_id', '=', req.params.project).executeTakeFirst();
    if (!Number(r.numDeletedRows)) throw noAssociation();
    reply.code(204).send();
  });
}
