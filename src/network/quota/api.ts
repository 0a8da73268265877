// Neutron's quotas and quota_details extensions (neutron/extensions/quotasv2.py,
// quotasv2_detail.py): /v2.0/quotas, /v2.0/quotas/{project_id}[/default|/details],
// each also with Neutron's ".json" format suffix.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowed } from '../../common/policy/engine.js';
import { rules } from '../../common/policy/rules.js';
import type { AuthStrategy } from '../api/auth.js';
import { Errors } from '../api/errors.js';
import { prepareUpdate, type Caller } from '../api/resource.js';
import type { PluginContext } from '../ml2/context.js';
import { quotaDef } from './resources.js';

type Body = Record<string, unknown>;
type IdRequest = FastifyRequest<{ Params: { id: string; action?: string } }>;

const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const noJson = (s: string): string => (s.endsWith('.json') ? s.slice(0, -5) : s);

/**
 * quotasv2's validate_policy: the rule is asked about the caller's own project whatever project
 * the URL names (so get_quota, admin or the project's manager, decides for any project).
 */
function enforce(caller: Caller, rule: string): void {
  if (!allowed(rules, rule, caller, { project_id: caller.projectId, tenant_id: caller.projectId })) throw Errors.policyNotAuthorized(rule);
}

/** Another project's quota is for get_quota to allow; one's own is always readable. */
function mayRead(caller: Caller, projectId: string): void {
  if (projectId !== caller.projectId) enforce(caller, 'get_quota');
}

export function registerQuotas(app: FastifyInstance, ctx: PluginContext, auth: AuthStrategy): void {
  const quotas = ctx.quotas;
  const def = quotaDef(quotas.served);
  const who = (req: FastifyRequest) => auth.authenticate(req.headers);

  for (const path of ['/v2.0/quotas', '/v2.0/quotas.json']) {
    app.get(path, async (req) => {
      enforce(await who(req), 'get_quota');
      return { quotas: await quotas.listSet(ctx.db) };
    });
    app.post(path, async (req) => {
      await who(req);
      throw Errors.notImplemented('POST requests are not supported on this resource.');
    });
  }

  app.get('/v2.0/quotas/:id', async (req: IdRequest) => {
    const caller = await who(req);
    const id = noJson(req.params.id);
    // the collection actions: the caller's project
    if (id === 'project') return { project: { project_id: caller.projectId } };
    if (id === 'tenant') return { tenant: { tenant_id: caller.projectId } };
    mayRead(caller, id);
    return { quota: await quotas.limits(ctx.db, id) };
  });

  app.get('/v2.0/quotas/:id/:action', async (req: IdRequest) => {
    const caller = await who(req);
    const { id } = req.params;
    const action = noJson(req.params.action ?? '');
    if (action === 'default') {
      mayRead(caller, id);
      return { quota: { ...quotas.defaults } };
    }
    if (action !== 'details') throw Errors.notFoundPath();
    // quotasv2_detail asks no rule: another project's usage is for admins
    if (id !== caller.projectId && !caller.isAdmin) throw Errors.adminRequired('Only admin is authorized to access quotas for another project');
    return { quota: await quotas.details(ctx.db, id) };
  });

  app.put('/v2.0/quotas/:id', async (req: IdRequest) => {
    const caller = await who(req);
    enforce(caller, 'update_quota');
    // force and check_limit are flags, not limits (check_limit is the default since 2025.1)
    const body = req.body;
    let force = false;
    let values = body;
    if (isObject(body) && isObject(body.quota)) {
      const { force: f, check_limit: _checkLimit, ...limits } = body.quota;
      force = f === true;
      values = { ...body, quota: limits };
    }
    const changes = prepareUpdate(def, values) as Record<string, number>;
    const id = noJson(req.params.id);
    return { quota: await ctx.tx((tx) => quotas.update(tx, id, changes, force)) };
  });

  app.delete('/v2.0/quotas/:id', async (req: IdRequest, reply: FastifyReply) => {
    const caller = await who(req);
    enforce(caller, 'delete_quota');
    const id = noJson(req.params.id);
    await ctx.tx((tx) => quotas.reset(tx, id));
    reply.code(204);
    return reply.send();
  });
}
