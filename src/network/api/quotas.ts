// Neutron's quotas and quota_details extensions (neutron/extensions/quotasv2.py,
// quotasv2_detail.py): /v2.0/quotas, /v2.0/quotas/{project_id}[/default|/details],
// each also with Neutron's ".json" format suffix.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowed } from '../../common/policy/engine.js';
import { rules } from '../model/policy-rules.js';
import type { AuthStrategy } from './auth.js';
import { searchOf } from './controller.js';
import { Errors } from '../model/errors.js';
import { fieldsOf } from './query.js';
import { prepareUpdate } from './body.js';
import type { Caller } from '../model/caller.js';
import { C } from '../model/validators.js';
import type { PluginContext } from '../ml2/context.js';
import { quotaDef, type QuotaLimits } from '../quota/resources.js';

type Body = Record<string, unknown>;
type IdRequest = FastifyRequest<{ Params: { id: string; action?: string } }>;

const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const noJson = (s: string): string => (s.endsWith('.json') ? s.slice(0, -5) : s);

/** A project id from the path: longer than the quotas column (varchar(255)) is refused, not a database error. */
function projectId(id: string): string {
  if (id.length > 255) throw Errors.invalidInput(`'${id}' exceeds maximum length of 255`);
  return id;
}

/** force and check_limit: neutron_lib's convert_to_boolean ('true', 'False', 1, ...). */
function flag(v: unknown): boolean {
  try {
    return C.boolean(v) as boolean;
  } catch (e) {
    throw Errors.invalidInput((e as Error).message);
  }
}

/** ?fields= as Neutron's UserFilterHook: only the keys named exactly. */
function only(req: FastifyRequest, q: Body): Body {
  const fields = fieldsOf(searchOf(req));
  return fields ? Object.fromEntries(Object.entries(q).filter(([k]) => fields.includes(k))) : q;
}

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
      return { quotas: (await quotas.listSet(ctx.db)).map((q) => only(req, q)) };
    });
    app.post(path, async (req) => {
      await who(req);
      throw Errors.notImplemented('POST requests are not supported on this resource.');
    });
  }

  app.get('/v2.0/quotas/:id', async (req: IdRequest) => {
    const caller = await who(req);
    const id = projectId(noJson(req.params.id));
    // the collection actions: the caller's project
    if (id === 'project') return { project: { project_id: caller.projectId } };
    if (id === 'tenant') return { tenant: { tenant_id: caller.projectId } };
    mayRead(caller, id);
    return { quota: only(req, await quotas.limits(ctx.db, id)) };
  });

  app.get('/v2.0/quotas/:id/:action', async (req: IdRequest) => {
    const caller = await who(req);
    const id = projectId(req.params.id);
    const action = noJson(req.params.action ?? '');
    if (action === 'default') {
      mayRead(caller, id);
      return { quota: only(req, { ...quotas.defaults }) };
    }
    if (action !== 'details') throw Errors.notFoundPath();
    // quotasv2_detail asks no rule: another project's usage is for admins
    if (id !== caller.projectId && !caller.isAdmin) throw Errors.adminRequired('Only admin is authorized to access quotas for another project');
    return { quota: only(req, await quotas.details(ctx.db, id)) };
  });

  app.put('/v2.0/quotas/:id', async (req: IdRequest) => {
    const caller = await who(req);
    enforce(caller, 'update_quota');
    // force and check_limit are flags, not limits (check_limit is the default since 2025.1)
    const body = req.body;
    let force = false;
    let values = body;
    if (isObject(body) && isObject(body.quota)) {
      const { force: f = false, check_limit: checkLimit = false, ...limits } = body.quota;
      force = flag(f);
      flag(checkLimit);
      values = { ...body, quota: limits };
    }
    const changes = prepareUpdate(def, values) as QuotaLimits;
    const id = projectId(noJson(req.params.id));
    return { quota: only(req, await ctx.tx((tx) => quotas.update(tx, id, changes, force))) };
  });

  app.delete('/v2.0/quotas/:id', async (req: IdRequest, reply: FastifyReply) => {
    const caller = await who(req);
    enforce(caller, 'delete_quota');
    const id = projectId(noJson(req.params.id));
    await ctx.tx((tx) => quotas.reset(tx, id));
    reply.code(204);
    return reply.send();
  });
}
