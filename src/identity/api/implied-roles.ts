// Implied roles (role inference rules): holding the prior role gives the implied
// one too (admin → member → reader out of bootstrap). PUT/GET/HEAD/DELETE
// /v3/roles/{prior}/implies/{implied}, GET /v3/roles/{prior}/implies, GET /v3/role_inferences.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { Errors } from '../errors.js';
import { baseUrl, enforce, type Ctx, listLinks } from './context.js';
import { getRow, type Row } from './entity.js';
import { roleChangeRevocations } from '../groups.js';

/** keystone's [assignment] prohibited_implied_role default: nothing may imply admin */
const PROHIBITED_IMPLIED = ['admin'];

type Pair = { Params: { prior: string; implied: string } };

const ref = (req: FastifyRequest, r: Row) => ({ id: r.id, name: r.name, links: { self: `${baseUrl(req)}/v3/roles/${r.id}` } });

async function rule(db: Db, prior: string, implied: string) {
  return db.selectFrom('implied_roles').selectAll().where('prior_role_id', '=', prior).where('implied_role_id', '=', implied).executeTakeFirst();
}

/** every rule, or those of one prior role, grouped by prior role as Keystone answers them */
async function inferences(db: Db, req: FastifyRequest, prior?: string) {
  let q = db
    .selectFrom('implied_roles')
    .innerJoin('roles as p', 'p.id', 'implied_roles.prior_role_id')
    .innerJoin('roles as i', 'i.id', 'implied_roles.implied_role_id')
    .select(['p.id as pid', 'p.name as pname', 'i.id as iid', 'i.name as iname']);
  if (prior !== undefined) q = q.where('implied_roles.prior_role_id', '=', prior);
  const rows = await q.orderBy('p.id').orderBy('i.id').execute();
  const byPrior = new Map<string, { prior_role: ReturnType<typeof ref>; implies: Array<ReturnType<typeof ref>> }>();
  for (const r of rows) {
    let entry = byPrior.get(r.pid);
    if (!entry) byPrior.set(r.pid, (entry = { prior_role: ref(req, { id: r.pid, name: r.pname }), implies: [] }));
    entry.implies.push(ref(req, { id: r.iid, name: r.iname }));
  }
  return [...byPrior.values()];
}

export function registerImpliedRoles(app: FastifyInstance, ctx: Ctx): void {
  const db = ctx.database.db;
  const path = '/v3/roles/:prior/implies/:implied';
  const roles = async (p: Pair['Params']) => [await getRow(db, { table: 'roles', kind: 'role' }, p.prior), await getRow(db, { table: 'roles', kind: 'role' }, p.implied)];
  const body = (req: FastifyRequest<Pair>, prior: Row, implied: Row) => ({
    role_inference: { prior_role: ref(req, prior), implies: ref(req, implied) },
    links: { self: `${baseUrl(req)}/v3/roles/${prior.id}/implies/${implied.id}` },
  });

  app.put<Pair>(path, async (req, reply) => {
    await enforce(ctx, req, 'identity:create_implied_role');
    const [prior, implied] = await roles(req.params);
    if (PROHIBITED_IMPLIED.includes(implied.name)) throw Errors.forbiddenAction(`${implied.id} cannot be an implied roles.`);
    // a global role implying a domain's role would hand that domain's role out everywhere
    if (prior.domain_id === null && implied.domain_id !== null) throw Errors.forbiddenAction('Global role cannot imply a domain-specific role.');
    await db.insertInto('implied_roles').values({ prior_role_id: prior.id, implied_role_id: implied.id }).onConflict((oc) => oc.doNothing()).execute();
    reply.code(201);
    return body(req, prior, implied);
  });

  const show = async (req: FastifyRequest<Pair>, rule_: string) => {
    await enforce(ctx, req, rule_);
    const [prior, implied] = await roles(req.params);
    if (!(await rule(db, prior.id, implied.id))) throw Errors.notFound('implied role', `${prior.id} implies ${implied.id}`);
    return [prior, implied];
  };
  app.get<Pair>(path, { exposeHeadRoute: false }, async (req) => {
    const [prior, implied] = await show(req, 'identity:get_implied_role');
    return body(req, prior, implied);
  });
  app.head<Pair>(path, async (req, reply) => {
    await show(req, 'identity:check_implied_role');
    reply.code(204).send();
  });

  app.delete<Pair>(path, async (req, reply) => {
    const [prior, implied] = await show(req, 'identity:delete_implied_role');
    const events = await db.transaction().execute(async (tx) => {
      // tokens list the roles they were issued with: those that got the implied role through this rule go
      const revoke = await roleChangeRevocations(tx, prior.id);
      await tx.deleteFrom('implied_roles').where('prior_role_id', '=', prior.id).where('implied_role_id', '=', implied.id).execute();
      return ctx.tokens.record(tx, revoke);
    });
    ctx.tokens.remember(events);
    reply.code(204).send();
  });

  app.get<{ Params: { prior: string } }>('/v3/roles/:prior/implies', async (req) => {
    await enforce(ctx, req, 'identity:list_implied_roles');
    const prior = await getRow(db, { table: 'roles', kind: 'role' }, req.params.prior);
    const [found] = await inferences(db, req, prior.id);
    return { role_inference: found ?? { prior_role: ref(req, prior), implies: [] }, links: { self: `${baseUrl(req)}/v3/roles/${prior.id}/implies` } };
  });

  app.get('/v3/role_inferences', async (req) => {
    await enforce(ctx, req, 'identity:list_role_inference_rules');
    return { role_inferences: await inferences(db, req), links: listLinks(req) };
  });
}
